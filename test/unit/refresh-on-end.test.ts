// When a migration ends, both of its hosts are read again at once (the inventory must not show the VM on both, or on
// neither, until its next refresh).
import { describe, expect, it } from 'vitest';
import { refreshHostsOnMigrationEnd } from '../../electron/main/migration/refresh-on-end';
import type { MigrationEngine, MigrationUpdate } from '../../electron/main/migration/engine';
import type { MigrationRecord } from '../../electron/main/migration/record';

const start = { vm: 'vmd', source: { id: 'a', name: 'hvA', address: '10.0.0.1' }, destination: { id: 'b', name: 'hvB', address: '10.0.0.2' }, options: {}, argv: [], commandLine: '', intervalMs: 1000 };

function setup() {
  let listener: (u: MigrationUpdate) => void = () => undefined;
  const engine = {
    onUpdate: (l: (u: MigrationUpdate) => void) => ((listener = l), () => (listener = () => undefined)),
    record: (id: string) => (id === 'm1' ? ({ id, start, samples: [], events: [], state: 'completed' } as MigrationRecord) : undefined),
  } satisfies Pick<MigrationEngine, 'onUpdate' | 'record'>;
  const refreshed: string[] = [];
  const stop = refreshHostsOnMigrationEnd(engine, { refreshOne: async (id) => void refreshed.push(id) });
  return { emit: (u: MigrationUpdate) => listener(u), refreshed, stop };
}

describe('refreshHostsOnMigrationEnd', () => {
  it('reads both hosts again when a migration ends, and nothing for samples or unknown runs', () => {
    const { emit, refreshed, stop } = setup();
    emit({ kind: 'sample', id: 'm1', at: 1, sample: { seq: 1, latencyMs: 1 } });
    expect(refreshed).toEqual([]);
    emit({ kind: 'ended', id: 'm1', at: 2, end: { state: 'completed', message: 'ok' }, reconciled: false });
    expect(refreshed).toEqual(['a', 'b']);
    emit({ kind: 'ended', id: 'gone', at: 3, end: { state: 'aborted', message: 'x' }, reconciled: false });
    expect(refreshed).toEqual(['a', 'b']);
    stop();
    emit({ kind: 'ended', id: 'm1', at: 4, end: { state: 'completed', message: 'ok' }, reconciled: false });
    expect(refreshed).toEqual(['a', 'b']);
  });
});
