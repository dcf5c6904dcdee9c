// A start keeps the prediction made for its options: main makes it beside pre-flight, the journal keeps it with the
// start line, the record's view carries it (predicted against actual); a prediction that fails never holds a start
// back, and one the journal cannot read back is said, not dropped with the line.
import { describe, expect, it } from 'vitest';
import { migrationHandlers, recordView } from '../../electron/main/migration/handlers';
import type { MigrationEngine, StartMigration } from '../../electron/main/migration/engine';
import { parseJournal } from '../../electron/main/migration/journal';
import { buildRecords } from '../../electron/main/migration/record';
import { migrationsStart } from '../../shared/ipc/contract';
import type { StartPrediction } from '../../shared/migration/predict-schema';
import { ok } from '../../shared/result';
import { hostView } from './ipc-harness';

const prediction: StartPrediction = {
  inputs: { vm: 'vmd', basisRunIds: ['m-0'], notes: [] },
  prediction: {
    kind: 'predicted',
    outcome: { converges: 'yes', ending: 'pre-copy', totalTimeMs: { value: 6000, low: 5000, high: 8000 }, downtimeMs: { value: 45, low: 40, high: 60 } },
    sentence: 'Converges in about 6 s.',
    changes: [],
  },
};
const ctx = { clientId: 't', transport: 'web' as const };
const input = { vm: 'vmd', sourceHostId: 'h1', destinationHostId: 'h2', options: { live: true, p2p: true, bandwidthMiBps: 32 } };

function handlers(predict: () => Promise<StartPrediction>, destination = hostView('h2')) {
  const starts: StartMigration[] = [];
  const engine = {
    start: async (req: StartMigration) => (starts.push(req), ok({ id: 'm1' })),
    records: () => [],
    record: () => undefined,
    onUpdate: () => () => undefined,
  } as unknown as MigrationEngine;
  const h = migrationHandlers({
    engine,
    history: { heads: async () => [], recent: () => [], readRecord: async () => undefined },
    hosts: () => [hostView('h1'), destination],
    preflight: async () => [],
    predict,
  });
  return { start: h[migrationsStart.id], starts };
}

describe('the prediction a start keeps', () => {
  it('is made beside pre-flight and goes to the engine with the start', async () => {
    const { start, starts } = handlers(async () => prediction);
    expect((await start(input, ctx)).ok).toBe(true);
    expect(starts[0]?.prediction).toEqual(prediction);
  });

  it('never holds a start back when it fails', async () => {
    const { start, starts } = handlers(async () => {
      throw new Error('virsh dominfo: connection lost');
    });
    expect((await start(input, ctx)).ok).toBe(true);
    expect(starts).toHaveLength(1);
    expect(starts[0]?.prediction).toBeUndefined();
  });

  it('is read back from the journal into the record view; an unreadable one says so and the line stays', () => {
    const startLine = (id: string, p: unknown) =>
      JSON.stringify({ v: 1, n: id === 'a' ? 1 : 2, type: 'start', id, at: 1000, start: { vm: 'vmd', source: { id: 'h1', name: 'hvA', address: '10.0.0.1' }, destination: { id: 'h2', name: 'hvB', address: '10.0.0.2' }, options: {}, argv: [], commandLine: '', intervalMs: 1000, prediction: p } });
    const parsed = parseJournal(`${startLine('a', prediction)}\n${startLine('b', { inputs: 'garbled' })}\n`);
    expect(parsed.damaged).toEqual([]);
    const [a, b] = buildRecords(parsed.lines);
    if (!a || !b) throw new Error('records missing');
    expect(recordView(a).prediction).toEqual(prediction.prediction);
    expect(recordView(b).prediction).toEqual({ kind: 'cannot-predict', missing: [], message: 'The prediction recorded with this run could not be read.' });
  });
});

describe('a destination in maintenance', () => {
  it('is refused before pre-flight and prediction, with a sentence saying why', async () => {
    const h2 = hostView('h2');
    let predicted = 0;
    const { start, starts } = handlers(async () => (predicted++, prediction), { ...h2, record: { ...h2.record, maintenance: { since: '2026-12-08T01:00:00.000Z' } } });
    const r = await start(input, ctx);
    expect(r).toMatchObject({ ok: false, error: { code: 'input.invalid' } });
    expect(!r.ok && r.error.message).toMatch(/is in maintenance \(since 2026-12-08T01:00:00.000Z\): it takes no VMs/);
    expect(starts).toEqual([]);
    expect(predicted).toBe(0);
  });
});
