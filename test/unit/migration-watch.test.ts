// The watch stream's verdicts: a sample is announced before its journal line is in the record, and a record event
// (a control, a phase) sent in between must judge with that sample, not go back to the verdict before it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrationHandlers } from '../../electron/main/migration/handlers';
import type { MigrationEngine, MigrationUpdate } from '../../electron/main/migration/engine';
import type { MigrationRecord, MigrationSamplePayload, MigrationStartPayload } from '../../electron/main/migration/record';
import { migrationsWatch } from '../../shared/ipc/contract';
import type { MigrationWatchEvent } from '../../shared/migration/record-schema';

type Sample = MigrationSamplePayload & { at: number };
const run = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'migration-runs', 'autoconverge-8.json'), 'utf8')) as { options: Record<string, unknown>; samples: Sample[] };

/** The part of the engine the handlers use, over one record the test moves by hand. */
/** No history on disk: the run is the engine's alone. */
const noHistory = { heads: () => [], readRecord: async () => undefined };

function fakeEngine(rec: { current: MigrationRecord }) {
  const listeners = new Set<(u: MigrationUpdate) => void>();
  const engine = {
    records: () => [rec.current],
    record: (id: string) => (id === rec.current.id ? rec.current : undefined),
    onUpdate: (l: (u: MigrationUpdate) => void) => (listeners.add(l), () => listeners.delete(l)),
  } satisfies Pick<MigrationEngine, 'records' | 'record' | 'onUpdate'>;
  return { engine: engine as unknown as MigrationEngine, update: (u: MigrationUpdate) => listeners.forEach((l) => l(u)) };
}

describe('migration watch stream', () => {
  it('a record event between a sample and its journal line carries the verdict with that sample', () => {
    const start: MigrationStartPayload = {
      vm: 'vmd',
      source: { id: 'a', name: 'hvA', address: '10.77.0.11' },
      destination: { id: 'b', name: 'hvB', address: '10.77.0.12' },
      options: run.options,
      argv: [],
      commandLine: '',
      intervalMs: 1000,
    };
    // Up to the middle of the run (the throttle rising), then one sample announced but not yet written.
    const written = run.samples.slice(0, 40);
    const next = run.samples[40];
    if (!next?.info) throw new Error('fixture: no sample 40');
    const rec = { current: { id: 'm1', start, startedAt: written[0]?.at ?? 0, samples: written, events: [], state: 'running' } as MigrationRecord };
    const { engine, update } = fakeEngine(rec);
    const h = migrationHandlers({ engine, history: noHistory, hosts: () => [] });
    const events: MigrationWatchEvent[] = [];
    const stop = h[migrationsWatch.id]({}, (e) => events.push(e), { clientId: 'c1', transport: 'web', subscription: 's1', end: () => undefined });
    update({ kind: 'sample', id: 'm1', at: next.at, sample: next });
    update({ kind: 'event', id: 'm1', at: next.at + 1, event: { kind: 'control', message: 'Bandwidth cap set to 16 MiB/s' } });
    // The line is written: the record has it now, and a later event judges the same way.
    rec.current = { ...rec.current, samples: [...written, next] };
    update({ kind: 'event', id: 'm1', at: next.at + 2, event: { kind: 'phase', message: 'still running' } });
    stop();
    const sampleEvent = events.find((e) => e.type === 'sample');
    const recordEvents = events.filter((e) => e.type === 'record');
    expect(sampleEvent?.type === 'sample' && sampleEvent.sample.verdict).toBeTruthy();
    const withSample = sampleEvent?.type === 'sample' ? sampleEvent.sample.verdict : undefined;
    expect(recordEvents).toHaveLength(2);
    for (const e of recordEvents) expect(e.type === 'record' && e.record.verdict).toEqual(withSample);
  });
});
