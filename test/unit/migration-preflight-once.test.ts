// A start from the UI runs pre-flight once: the store's start goes through the contract port, the renderer's client,
// main's IPC core and the real migration handlers (only the engine and the checks themselves are stand-ins), and
// the dialog shows the checks that start ran, as main answered them (a skipped check stays skipped, its detail kept).
import { describe, expect, it } from 'vitest';
import { createIpcCore } from '../../electron/main/ipc/core';
import type { MigrationEngine } from '../../electron/main/migration/engine';
import { migrationHandlers } from '../../electron/main/migration/handlers';
import type { FerryBridge } from '../../shared/ipc/define';
import type { PreflightResultView } from '../../shared/migration/preflight-result';
import { ok } from '../../shared/result';
import { createClient } from '../../renderer/src/api/client';
import { createFerryStore } from '../../renderer/src/store';
import { fakeMain, hostView } from './ipc-harness';
import { eventually } from '../support/wait';

const caller = { clientId: 'renderer', transport: 'web' as const };
const hosts = [hostView('h1'), hostView('h2')];

const reach: PreflightResultView = { check: 'p2p', title: 'Source reaches destination', status: 'pass', message: 'hvA opened qemu+ssh://10.0.0.1/system.' };
const rdma: PreflightResultView = { check: 'rdma', title: 'RDMA', status: 'skipped', message: 'No --rdma-pin-all: not checked.', detail: 'ibv_devices: not run' };
const ports: PreflightResultView = { check: 'ports', title: 'Migration ports', status: 'fail', message: '49152-49215 timed out.', overridable: true };

function setup(checks: () => PreflightResultView[]) {
  const runs: string[] = [];
  const starts: string[] = [];
  const refusals: string[] = [];
  // Only what the handlers use of the engine; each call is counted.
  const engine = {
    start: async (req: { vm: string }) => (starts.push(req.vm), ok({ id: `m${starts.length}` })),
    refuse: async (req: { vm: string }) => (refusals.push(req.vm), ok({ id: `r${refusals.length}` })),
    control: async () => ok(undefined),
    records: () => [],
    record: () => undefined,
    onUpdate: () => () => undefined,
  } as unknown as MigrationEngine;
  const main = fakeMain(
    migrationHandlers({
      engine,
      // Nothing ended before: the list and get read only the engine here.
      history: { heads: async () => [], recent: () => [], readRecord: async () => undefined },
      hosts: () => hosts,
      preflight: async (input) => (runs.push(input.vm), checks()),
    }),
  );
  const core = createIpcCore(main.handlers);
  let subscriptions = 0;
  const bridge: FerryBridge = {
    invoke: (channel, input) => core.invoke(channel, input, caller),
    subscribe: (channel, params, onEvent, onEnd) => {
      const id = `s${++subscriptions}`;
      core.subscribe(caller, id, channel, params, { event: onEvent, end: (e) => onEnd?.(e) });
      return () => core.unsubscribe(caller.clientId, id);
    },
  };
  const store = createFerryStore(createClient(bridge));
  store.getState().watchInventory();
  main.push({ type: 'snapshot', hosts });
  return { store, runs, starts, refusals };
}

describe('a start from the UI', () => {
  it('runs pre-flight exactly once, and the dialog shows the checks that start ran', async () => {
    const { store, runs, starts } = setup(() => [reach, rdma]);
    await eventually(() => expect(store.getState().inventory.hosts.h2).toBeDefined());
    store.getState().openMigrate('h1/vmd', 'h2');
    await store.getState().startMigration();
    expect(runs).toEqual(['vmd']);
    expect(starts).toEqual(['vmd']);
    expect(store.getState().migration.openRunId).toBe('m1');
  });

  it('runs it once per press when pre-flight refuses, and the refused checks are main’s, skipped and detail included', async () => {
    const { store, runs, starts, refusals } = setup(() => [reach, rdma, ports]);
    await eventually(() => expect(store.getState().inventory.hosts.h2).toBeDefined());
    store.getState().openMigrate('h1/vmd', 'h2');
    await store.getState().startMigration();
    expect({ runs: runs.length, starts: starts.length, refusals: refusals.length }).toEqual({ runs: 1, starts: 0, refusals: 1 });
    const shown = store.getState().migration.draft?.preflight;
    expect(shown).toEqual([reach, rdma, ports]);
    expect(shown?.find((c) => c.check === 'rdma')).toMatchObject({ status: 'skipped', detail: 'ibv_devices: not run' });
    // The admin confirms the uncertain failure: the next press is one more run, whose checks carry the override.
    store.getState().confirmOverride('ports', true);
    await store.getState().startMigration();
    expect({ runs: runs.length, starts: starts.length, refusals: refusals.length }).toEqual({ runs: 2, starts: 1, refusals: 1 });
    expect(store.getState().migration.draft).toBeNull();
    expect(store.getState().migration.openRunId).toBe('m1');
  });
});
