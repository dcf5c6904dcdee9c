/**
 * A small stand-in for main's real handlers (the inventory service), enough to drive both transports: app info
 * answers from the caller's transport, host requests answer fixed values, and the inventory stream records when
 * its work starts and stops so a test can see that main only works while someone is subscribed.
 */
import type { IpcHandlers } from '../../electron/main/ipc/handlers';
import type { IpcLogger } from '../../electron/main/ipc/log';
import {
  appInfo,
  hostsAdd,
  hostsList,
  hostsRefresh,
  hostsRemove,
  hostsTest,
  hostsTrustKey,
  hostsUnlock,
  hostsUpdate,
  inventoryWatch,
  settingsGet,
  settingsSet,
  sshConfigImport,
  migrationsControl,
  migrationsGet,
  migrationsList,
  migrationsPreflight,
  migrationsPredictInputs,
  migrationsStart,
  migrationsTrial,
  migrationsWatch,
  profilesList,
  profilesRemove,
  profilesSave,
  type InventoryEvent,
} from '../../shared/ipc/contract';
import { reportsExport, reportsGet, reportsImport, reportsList } from '../../shared/ipc/reports-contract';
import { BUILT_IN_PROFILES } from '../../shared/migration/options';
import { planHandler } from '../../electron/main/migration/plan';
import type { HostDraft, HostView } from '../../shared/inventory/types';
import { ferryError } from '../../shared/errors';
import { tuningApply, tuningHistory, tuningPlan, tuningUndo } from '../../shared/ipc/tuning-contract';
import { pathCheck } from '../../shared/ipc/path-contract';
import { auditHost, auditTroubleshoot } from '../../shared/ipc/audit-contract';
import { err, ok } from '../../shared/result';
import { evacuationUnavailable } from '../../electron/main/evacuation/unavailable';

export const draft: HostDraft = { name: 'hvA', address: '10.0.0.1', port: 22, user: 'root', auth: { kind: 'agent' } };

export function hostView(id: string): HostView {
  return {
    record: { ...draft, id, addedAt: '2025-01-01T00:00:00.000Z', source: 'manual' },
    connection: { state: 'connected', since: '2025-01-01T00:00:00.000Z' },
  };
}

export interface FakeMain {
  readonly handlers: IpcHandlers;
  /** Emits to every live inventory subscription. */
  push(event: InventoryEvent): void;
  readonly watch: { started: number; stopped: number; live: number };
  readonly calls: { channel: string; input: unknown }[];
}

export function fakeMain(overrides: Partial<IpcHandlers> = {}): FakeMain {
  const emitters = new Set<(e: InventoryEvent) => void>();
  const watch = { started: 0, stopped: 0, live: 0 };
  const calls: { channel: string; input: unknown }[] = [];
  const record = (channel: string, input: unknown) => calls.push({ channel, input });
  const notFound = ferryError('inventory.not-found', 'No such host.');
  const notHere = ferryError('ipc.internal', 'Not served by this test stand-in.');
  const settings = { trustUserKnownHosts: false, refreshIntervalSec: 10 };

  const handlers: IpcHandlers = {
    [appInfo.id]: async (_input, ctx) => ok({ version: '0.0.0-test', mode: ctx.transport, dataDir: '/nonexistent', platform: 'linux', problems: [] }),
    [hostsList.id]: async () => ok([hostView('h1')]),
    [tuningPlan.id]: async () => err(notHere),
    [tuningApply.id]: async () => err(notHere),
    [tuningUndo.id]: async () => err(notHere),
    [tuningHistory.id]: async () => err(notHere),
    [pathCheck.id]: async () => err(ferryError('ipc.internal', 'Not served by this test stand-in.')),
    [auditHost.id]: async () => err(ferryError('ipc.internal', 'Not served by this test stand-in.')),
    [auditTroubleshoot.id]: async () => err(ferryError('ipc.internal', 'Not served by this test stand-in.')),
    [hostsTest.id]: async (input) => (record(hostsTest.id, input), ok({ outcome: 'passphrase-needed' as const })),
    [hostsTrustKey.id]: async () => ok({}),
    [hostsAdd.id]: async (input) => (record(hostsAdd.id, input), ok(hostView('h2').record)),
    [hostsUpdate.id]: async () => err(notFound),
    [hostsRemove.id]: async () => err(notFound),
    [hostsRefresh.id]: async () => ok({}),
    [hostsUnlock.id]: async () => err(notFound),
    [sshConfigImport.id]: async () => ok({ path: '/nonexistent/config', candidates: [] }),
    [settingsGet.id]: async () => ok(settings),
    [settingsSet.id]: async () => ok(settings),
    [inventoryWatch.id]: (_params, emit) => {
      watch.started++;
      watch.live++;
      emitters.add(emit);
      emit({ type: 'snapshot', hosts: [hostView('h1')] });
      return () => {
        watch.stopped++;
        watch.live--;
        emitters.delete(emit);
      };
    },
    // Migrations: the real plan (pure); no engine and no profile store behind the rest.
    ...planHandler({ hosts: () => [hostView('h1'), hostView('h2')] }),
    [migrationsPreflight.id]: async () => err(notHere),
    [migrationsPredictInputs.id]: async () => err(notHere),
    [migrationsStart.id]: async () => err(notHere),
    [migrationsControl.id]: async () => err(notHere),
    [migrationsList.id]: async () => ok([]),
    [migrationsGet.id]: async () => err(notHere),
    [migrationsTrial.id]: async () => err(notHere),
    [migrationsWatch.id]: (_params, emit) => (emit({ type: 'snapshot', records: [] }), () => undefined),
    [profilesList.id]: async () => ok({ profiles: [...BUILT_IN_PROFILES], problems: [] }),
    [profilesSave.id]: async () => err(notHere),
    [profilesRemove.id]: async () => err(notHere),
    // Reports: an empty history; the rest is not served by this stand-in.
    [reportsList.id]: async () => ok({ items: [], problems: [] }),
    [reportsGet.id]: async () => err(ferryError('ipc.internal', 'Not served by this test stand-in.')),
    [reportsExport.id]: async () => err(ferryError('ipc.internal', 'Not served by this test stand-in.')),
    [reportsImport.id]: async () => err(ferryError('ipc.internal', 'Not served by this test stand-in.')),
    ...evacuationUnavailable(),
    ...overrides,
  };
  return { handlers, push: (e) => emitters.forEach((emit) => emit(e)), watch, calls };
}

export interface RecordingLogger extends IpcLogger {
  readonly lines: { level: string; event: string; fields?: Record<string, unknown> }[];
  text(): string;
}

export function recordingLogger(): RecordingLogger {
  const lines: RecordingLogger['lines'] = [];
  const log = (level: string) => (event: string, fields?: Record<string, unknown>) =>
    lines.push(fields === undefined ? { level, event } : { level, event, fields });
  return { lines, warn: log('warn'), error: log('error'), text: () => JSON.stringify(lines) };
}

/** Resolves once `check` passes (polling), for effects that cross a socket. */
export { eventually } from '../support/wait';
