/**
 * The dev fake: main's own IPC core (electron/main/ipc/core.ts) and handler factories, validated against the
 * contract exactly as in main, over back ends that need no host: an in-memory inventory (fakeInventory.ts: its
 * behaviours by address are documented there and in docs/ui.md), a migration engine that replays lab captures
 * (fakeEngine.ts), path/audit/tuning answers built from the lab's fixtures (fakeNetwork.ts), saved profiles and
 * imported reports in memory, evacuations over that engine (fakeEvacuation.ts). Every channel of the contract answers; the store reaches it like the real client.
 *
 * Dev only: main.tsx loads it for `?fake=1` when import.meta.env.DEV, so it never reaches the production bundle
 * (test/unit/renderer-bundle-no-fake.test.ts checks the built files). It is also the back end of the renderer's
 * unit tests.
 */
import type { RequestDef, StreamDef } from '../../../shared/ipc/define';
import { appInfo, type InventoryEvent } from '../../../shared/ipc/contract';
import type { FerryError } from '../../../shared/errors';
import type { HostView } from '../../../shared/inventory/types';
import { err, ok, type Result } from '../../../shared/result';
import { BUILT_IN_PROFILES, removeProfileFrom, saveProfileInto, type MigrationProfile } from '../../../shared/migration/options';
import type { ReportEntry } from '../../../shared/reports/schema';
import { createIpcCore, type IpcCore } from '../../../electron/main/ipc/core';
import type { Caller, IpcHandlers } from '../../../electron/main/ipc/handlers';
import { inventoryHandlers } from '../../../electron/main/inventory/handlers';
import { planHandler } from '../../../electron/main/migration/plan';
import { profileHandlers, type ProfileSource } from '../../../electron/main/migration/profile-handlers';
import { migrationHandlers } from '../../../electron/main/migration/handlers';
import { predictHandlers } from '../../../electron/main/migration/predict-gather';
import { trialHandler } from '../../../electron/main/migration/trial-handler';
import { reportChannels, type ImportedReports } from '../../../electron/main/reports/channels';
import type { ImportedEntry } from '../../../electron/main/reports/imported-store';
import type { FerryApi } from '../store/ports';
import { createFakeInventory } from './fakeInventory';
import { createFakeEngine, fakeDomainRunner, fakePreflight } from './fakeEngine';
import { fakeNetworkHandlers } from './fakeNetwork';
import { fakeEvacuation } from './fakeEvacuation';

export interface FakeOptions {
  /** 'lab': hvA, hvB, hvC connected; 'problems': those plus one host in each troubled state; 'empty': nothing. */
  readonly scenario?: 'lab' | 'problems' | 'empty';
  /** VMs on each lab host (default 800, 700, 500: 2,000 in all). */
  readonly vmsPerHost?: readonly number[];
  /** Delay of every answer and event; 0 delivers on the next microtask (tests). */
  readonly latencyMs?: number;
  /** Period of simulated VM state changes while subscribed; 0 turns them off. */
  readonly tickMs?: number;
  /** Period of a replayed migration sample; default 1000 ms, 0 when latencyMs is 0 (runs move only when controlled). */
  readonly migrationTickMs?: number;
  readonly seed?: number;
  readonly now?: () => Date;
}

export interface FakeApi extends FerryApi {
  /** What the fake inventory holds, for tests. */
  readonly hosts: Map<string, HostView>;
  /** Pushes an inventory event to every subscriber as main would (validated by the core like main's). */
  emit(event: InventoryEvent): void;
  /** Live subscriptions to the inventory watch. */
  subscriberCount(): number;
  /** The IPC core behind it, for tests that speak to it by channel id. */
  readonly core: IpcCore;
  /** Stops the fake's timers. */
  dispose(): void;
}

/** Saved migration profiles in memory, decided by the same pure rules as main's store. */
function memoryProfiles(): ProfileSource {
  let user: MigrationProfile[] = [];
  return {
    list: () => [...BUILT_IN_PROFILES, ...user],
    problems: [],
    save: async (req) => {
      const r = saveProfileInto(user, req);
      if (!r.ok) return r;
      user = [...r.value.profiles];
      return ok(r.value.saved);
    },
    remove: async (id) => {
      const r = removeProfileFrom(user, id);
      if (!r.ok) return r;
      user = [...r.value];
      return ok({});
    },
  };
}

/** Imported reports in memory, replaced by migration id as main's store does. */
function memoryImported(now: () => number): ImportedReports {
  let entries: ImportedEntry[] = [];
  return {
    list: async () => ({ entries, problems: [] }),
    get: async (id) => entries.find((e) => e.record.id === id),
    add: async (items: readonly ReportEntry[], importedFrom?: string) => {
      const incoming = new Map(items.map((e) => [e.record.id, e]));
      const replaced = entries.filter((e) => incoming.has(e.record.id)).length;
      const at = now();
      entries = [
        ...entries.filter((e) => !incoming.has(e.record.id)),
        ...[...incoming.values()].map((e) => ({ record: e.record, samples: e.samples, importedAt: at, ...(importedFrom === undefined ? {} : { importedFrom }) })),
      ];
      return ok({ ids: [...incoming.keys()], replaced });
    },
  };
}

const CALLER: Caller = { clientId: 'fake', transport: 'web' };

export function createFakeApi(o: FakeOptions = {}): FakeApi {
  const latency = o.latencyMs ?? 250;
  const now = o.now ?? (() => new Date());
  const wall = () => now().getTime();
  const later = (fn: () => void) => (latency === 0 ? queueMicrotask(fn) : void setTimeout(fn, latency));

  const inventory = createFakeInventory({
    ...(o.scenario ? { scenario: o.scenario } : {}),
    ...(o.vmsPerHost ? { vmsPerHost: o.vmsPerHost } : {}),
    ...(o.tickMs !== undefined ? { tickMs: o.tickMs } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    now,
    later: (fn) => (latency === 0 ? void setTimeout(fn, 0) : void setTimeout(fn, latency)),
  });
  const hosts = () => inventory.service.views();
  const engine = createFakeEngine({ hosts, now: wall, tickMs: o.migrationTickMs ?? (latency === 0 ? 0 : 1000) });

  // The fake engine holds every run it made: there is no history on disk behind it.
  const noDiskHistory = { heads: async () => [], recent: () => [], readRecord: async () => undefined };
  const handlers: IpcHandlers = {
    [appInfo.id]: async (_input, ctx) => ok({ version: '0.1.0-fake', mode: ctx.transport, dataDir: '/tmp/ferry-fake', platform: 'linux', problems: [] }),
    ...inventoryHandlers({ service: inventory.service, watch: inventory.watch, readSshConfig: async (input) => inventory.readSshConfig(input.path) }),
    ...planHandler({ hosts }),
    ...profileHandlers(memoryProfiles()),
    ...migrationHandlers({ engine, history: noDiskHistory, hosts, now: wall, preflight: async (input) => fakePreflight(input) }),
    ...trialHandler({ hosts, run: (req) => engine.trial(req) }),
    ...fakeNetworkHandlers({ hosts, engine, now: wall }),
    // Prediction inputs from the replayed lab runs the engine holds, by main's own gatherer and estimator; every VM
    // answers as the lab's TCG guests do (so no dirty-rate measurement is tried).
    ...predictHandlers({ history: { heads: async () => engine.records(), readRecord: async (id) => engine.record(id) }, hosts, runner: () => fakeDomainRunner, now: wall }),
    ...reportChannels({
      wallClock: wall,
      migrations: () => handlers,
      generator: 'Ferry 0.1.0-fake',
      pdf: async () => err({ code: 'command.not-found', message: 'The dev fake makes no PDFs (main prints them with Chromium): export HTML and print that.' }),
      store: memoryImported(wall),
    }),
    ...fakeEvacuation({ hosts: inventory.hosts, emitHost: (host) => inventory.emit({ type: 'host', host }), migrations: () => handlers, engine, now: wall, caller: CALLER }),
  };
  const core = createIpcCore(handlers);
  let nextSubscription = 1;

  return {
    hosts: inventory.hosts,
    emit: inventory.emit,
    subscriberCount: inventory.subscriberCount,
    core,
    dispose: () => {
      core.dispose();
      engine.dispose();
    },
    invoke<I, O>(def: RequestDef<I, O>, input: I): Promise<Result<O, FerryError>> {
      return core.invoke(def.id, input, CALLER).then((r) => new Promise((resolve) => later(() => resolve(r as Result<O, FerryError>))));
    },
    subscribe<P, E>(def: StreamDef<P, E>, params: P, onEvent: (event: E) => void, onEnd?: (error?: FerryError) => void): () => void {
      const id = `s${nextSubscription++}`;
      let open = true;
      // Events travel as over a transport: after the call returns, in order, and none after the unsubscribe.
      core.subscribe(CALLER, id, def.id, params, {
        event: (e) => later(() => open && onEvent(e as E)),
        end: (error) =>
          later(() => {
            if (!open) return;
            open = false;
            onEnd?.(error);
          }),
      });
      return () => {
        if (!open) return;
        open = false;
        core.unsubscribe(CALLER.clientId, id);
      };
    },
  };
}

/**
 * Options from the page's query string: `?fake=1` (lab: 3 hosts, 2,000 VMs), `?fake=problems` (plus one host in
 * each troubled state), `?fake=empty`; `&vms=5000` spreads that many VMs over the lab hosts; `&tick=2000` changes
 * a few VM states that often; `&latency=800` slows every answer.
 */
export function fakeOptionsFromQuery(search: string): FakeOptions {
  const q = new URLSearchParams(search);
  const mode = q.get('fake');
  const vms = Number(q.get('vms') ?? '');
  const tick = Number(q.get('tick') ?? '3000');
  const latency = Number(q.get('latency') ?? '250');
  return {
    scenario: mode === 'problems' || mode === 'empty' ? mode : 'lab',
    tickMs: Number.isFinite(tick) ? tick : 3000,
    latencyMs: Number.isFinite(latency) ? latency : 250,
    ...(Number.isInteger(vms) && vms > 0 ? { vmsPerHost: [Math.ceil(vms * 0.4), Math.ceil(vms * 0.35), Math.floor(vms * 0.25)] } : {}),
  };
}
