// One cell of the prediction sweep (bench/predict.ts) on the lab: vmd re-created with a light setting (8 MiB of hot
// set written at 2 MiB/s, `lab.sh guest`) and migrated hvA -> hvB at 32 MiB/s through Ferry's MigrationEngine, where
// it converges in a few seconds. The run must complete and the figures the sweep compares with the model must be
// there; vm-reset must then put the canonical guest (dirty=20, no rate) back at home.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lab } from '../lab/use-lab';
import { setGuest, virsh, vmReset } from '../lab/lab';
import type { LabEngine } from './lab-engine';
import { labEngineSuite } from './lab-engine-suite';
import { cellOptions, makeCell, runPredictionCell, type CellMeasurement } from '../lab/prediction-cell';
import { predictCell } from '../../bench/predict-join';
import type { MigrationRecord } from '../../electron/main/migration/record';

const MiB = 1024 * 1024;
const CELL = makeCell({ dirtyMiB: 8, rateMiBps: 2 }, 32);

/** The kernel command line a host's copy of vmd runs with now. */
async function liveCmdline(host: 'hvA' | 'hvB'): Promise<string | undefined> {
  return /<cmdline>([^<]*)<\/cmdline>/.exec(await virsh(host, ['dumpxml', 'vmd']))?.[1];
}

/**
 * The model's call for this cell, made as the sweep makes it: from the recorded runs of the same guest at the other
 * caps (test/fixtures/prediction-sweep-2026-12-07.json, real lab runs), never this cell's own run. It must not be
 * wrong: the light guest converges at 32 MiB/s, and the model says so.
 */
async function expectCellPredictable(m: CellMeasurement): Promise<void> {
  expect(m.converged).toBe(true);
  expect(m.totalTimeMs).toBeGreaterThan(0);
  expect(m.downtimeMs).toBeGreaterThanOrEqual(0);
  expect(m.passes).toBeGreaterThanOrEqual(1);
  const sweep = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'prediction-sweep-2026-12-07.json'), 'utf8')) as { cells: { record: MigrationRecord; measurement: { id: string } }[] };
  const others = sweep.cells.filter((c) => c.measurement.id.startsWith('d8r2@') && c.measurement.id !== CELL.id).map((c) => c.record);
  expect(others).toHaveLength(2);
  const p = await predictCell('vmd', others, cellOptions(CELL));
  if (p.kind !== 'predicted') throw new Error(`no prediction for ${CELL.id}: ${p.message}`);
  expect(p.prediction.converges).toBe('yes');
  // Printed, not asserted: one run's time on a shared machine varies with its load (the sweep's table is the figure).
  console.log(`${CELL.id}: predicted ${((p.prediction.totalTimeMs ?? 0) / 1000).toFixed(1)} s, measured ${((m.totalTimeMs ?? 0) / 1000).toFixed(1)} s`);
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
    await expectCellPredictable(m);
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
