// One cell of the prediction sweep (bench/predict.ts) on the lab: vmd re-created with a light setting (8 MiB of hot
// set written at 2 MiB/s, `lab.sh guest`) and migrated hvA -> hvB at 32 MiB/s through Ferry's MigrationEngine, where
// it converges in a few seconds. The run must complete and the figures the sweep compares with the model must be
// there; vm-reset must then put the canonical guest (dirty=20, no rate) back at home.
import { describe, expect, it } from 'vitest';
import { lab } from '../lab/use-lab';
import { setGuest, virsh, vmReset } from '../lab/lab';
import type { LabEngine } from './lab-engine';
import { labEngineSuite } from './lab-engine-suite';
import { makeCell, runPredictionCell, type CellMeasurement } from '../lab/prediction-cell';

const MiB = 1024 * 1024;
const CELL = makeCell({ dirtyMiB: 8, rateMiBps: 2 }, 32);

/** The kernel command line a host's copy of vmd runs with now. */
async function liveCmdline(host: 'hvA' | 'hvB'): Promise<string | undefined> {
  return /<cmdline>([^<]*)<\/cmdline>/.exec(await virsh(host, ['dumpxml', 'vmd']))?.[1];
}

/**
 * What the sweep sets against the model for this cell. Once shared/migration/predict.ts lands, the model's call is
 * asserted here too (bench/predict-join.ts `predictCell`: converges 'yes' for this light cell, total time within its
 * range); until then, the measured side it will be compared with.
 */
function expectCellPredictable(m: CellMeasurement): void {
  expect(m.converged).toBe(true);
  expect(m.totalTimeMs).toBeGreaterThan(0);
  expect(m.downtimeMs).toBeGreaterThanOrEqual(0);
  expect(m.passes).toBeGreaterThanOrEqual(1);
}

describe.skipIf(!lab)('a cell of the prediction sweep', () => {
  let t: LabEngine;
  labEngineSuite('ferry-predict-cell-', (opened) => {
    t = opened;
  });

  it('migrates a light guest at 32 MiB/s to completion, with the figures the sweep needs journalled', async () => {
    const { record, measurement: m } = await runPredictionCell(t, CELL, { jobLimitMs: 60_000 });
    // The guest really ran with the cell's settings (the copy on hvB carries the command line it booted with).
    expect(await liveCmdline('hvB')).toBe('console=ttyS0 panic=-1 dirty=8 rate=2');
    expect(record.state).toBe('completed');
    expect(record.end?.final?.readOn).not.toBe('none');
    expect(m).toMatchObject({ id: 'd8r2@32', capMiBps: 32, converged: true, recordId: record.id });
    expect(m.abortedAtMs).toBeUndefined();
    expect(m.samples).toBeGreaterThanOrEqual(1);
    // At least the guest's non-zero memory went over: the hot set alone is 8 MiB.
    expect(m.dataBytes).toBeGreaterThan(8 * MiB);
    expectCellPredictable(m);
    expect(await t.where('vmd')).toMatchObject({ hvA: undefined, hvB: 'running' });
  });

  it('puts the canonical guest back on vm-reset after a guest restarted with other settings', async () => {
    await setGuest('vmd', { dirtyMiB: 30, rateMiBps: 6 });
    expect(await liveCmdline('hvA')).toBe('console=ttyS0 panic=-1 dirty=30 rate=6');
    await vmReset();
    expect(await t.where('vmd')).toMatchObject({ hvA: 'running', hvB: undefined });
    expect(await liveCmdline('hvA')).toBe('console=ttyS0 panic=-1 dirty=20');
  });
});
