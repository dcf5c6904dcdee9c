// The watch stream's verdicts: a sample is announced before its journal line is in the record, and a record event
// (a control, a phase) sent in between must judge with that sample, not go back to the verdict before it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrationHandlers } from '../../electron/main/migration/handlers';
import { recentOf } from '../../electron/main/migration/journal-index';
import type { MigrationEngine, MigrationUpdate } from '../../electron/main/migration/engine';
import type { MigrationRecord, MigrationSamplePayload, MigrationStartPayload } from '../../electron/main/migration/record';
import { migrationsList, migrationsWatch } from '../../shared/ipc/contract';
import { WATCH_SNAPSHOT_ENDED, type MigrationWatchEvent } from '../../shared/migration/record-schema';

type Sample = MigrationSamplePayload & { at: number };
const run = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'migration-runs', 'autoconverge-8.json'), 'utf8')) as { options: Record<string, unknown>; samples: Sample[] };

/** The part of the engine the handlers use, over one record the test moves by hand. */
/** No history on disk: the run is the engine's alone. */
const noHistory = { heads: async () => [], recent: () => [], readRecord: async () => undefined };

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

describe('the watch snapshot after years of migrations', () => {
  it('carries every record not ended and the newest ended ones only; a watch of one id gets it whatever its age', async () => {
    const start = (vm: string): MigrationStartPayload => ({
      vm,
      source: { id: 'a', name: 'hvA', address: '10.77.0.11' },
      destination: { id: 'b', name: 'hvB', address: '10.77.0.12' },
      options: {},
      argv: [],
      commandLine: '',
      intervalMs: 1000,
    });
    const ended = (i: number): MigrationRecord => ({
      id: `old-${i}`,
      start: start(`vm${i}`),
      startedAt: 1000 * i,
      samples: [],
      events: [],
      end: { state: 'completed', message: 'ok', at: 1000 * i + 500, reconciled: false },
      state: 'completed',
    });
    const history = Array.from({ length: WATCH_SNAPSHOT_ENDED + 30 }, (_, i) => ended(i));
    const heads = history.map((r) => ({ ...r, digest: { count: 0, recentRunningAts: [] } }));
    const split: MigrationRecord = { id: 'split', start: start('vmd'), startedAt: 1, samples: [], events: [], state: 'post-copy-interrupted' };
    const running: MigrationRecord = { id: 'now', start: start('vm1'), startedAt: 2, samples: [], events: [], state: 'running' };
    const engine = {
      records: () => [split, running],
      record: (id: string) => [split, running].find((r) => r.id === id),
      onUpdate: () => () => undefined,
    } satisfies Pick<MigrationEngine, 'records' | 'record' | 'onUpdate'>;
    const h = migrationHandlers({
      engine: engine as unknown as MigrationEngine,
      // As the journal holds it before the whole list is read: the recent part only (journal-index.ts recentOf).
      history: { heads: async () => heads, recent: () => recentOf(heads, (x) => x), readRecord: async () => undefined },
      hosts: () => [],
    });
    const ctx = { clientId: 'c1', transport: 'web' as const, subscription: 's1', end: () => undefined };
    // Resolves with the first event's records; `sync` says whether it came before the subscribe call returned.
    const snapshotOf = async (params: { id?: string }): Promise<{ ids: string[]; sync: boolean }> => {
      const events: MigrationWatchEvent[] = [];
      let arrived: () => void = () => undefined;
      const got = new Promise<void>((resolve) => (arrived = resolve));
      const stop = h[migrationsWatch.id](params, (e) => (events.push(e), arrived()), ctx);
      const sync = events.length > 0;
      await got;
      stop();
      const first = events[0];
      if (!first) throw new Error('no event');
      if (first.type !== 'snapshot') throw new Error('no snapshot');
      return { ids: first.records.map((r) => r.id), sync };
    };
    const { ids, sync } = await snapshotOf({});
    expect(sync).toBe(true);
    expect(ids).toHaveLength(WATCH_SNAPSHOT_ENDED + 2);
    expect(ids).toEqual(expect.arrayContaining(['split', 'now', `old-${WATCH_SNAPSHOT_ENDED + 29}`, 'old-30']));
    expect(ids).not.toContain('old-29');
    // An old record asked for by id: read from the whole history, its snapshot after the call returned.
    expect(await snapshotOf({ id: 'old-0' })).toEqual({ ids: ['old-0'], sync: false });
    expect(await snapshotOf({ id: 'now' })).toEqual({ ids: ['now'], sync: true });
    // The whole history is still the list's (the Reports browser reads it when opened).
    const list = await h[migrationsList.id]({}, ctx);
    expect(list.ok && list.value.length).toBe(WATCH_SNAPSHOT_ENDED + 32);
  });
});
