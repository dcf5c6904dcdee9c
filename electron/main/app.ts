/**
 * Main's composition, whatever the transport: the data directory's stores, the SSH pool, the inventory service and
 * the handlers for every channel of the contract. The Electron root and the web server both call createFerryMain
 * and hand `handlers` to createIpcCore; nothing here imports Electron or knows which transport is in use.
 *
 *   const main = await createFerryMain({ dataDir, homeDir: os.homedir(), env: process.env, version });
 *   const core = createIpcCore(main.handlers);
 *   ...
 *   await main.dispose();
 *
 * Data directory (the caller chooses it: Electron's app.getPath('userData'), or defaultDataDir() for web mode):
 *   inventory.json   saved hosts and settings (electron/main/inventory/store.ts)
 *   known_hosts      host keys Ferry trusted, OpenSSH format; ~/.ssh/known_hosts is only read, and only with the
 *                    trustUserKnownHosts setting
 *   migrations.jsonl the migration history, append-only, fdatasync per record (electron/main/migration/journal.ts)
 *   migrations.jsonl.index  its records' heads and where their lines are (a cache, rebuilt when it does not match)
 */
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { appInfo } from '../../shared/ipc/contract';
import type { FerryError } from '../../shared/errors';
import { ok } from '../../shared/result';
import { systemClock, type Clock } from './clock';
import type { IpcHandlers } from './ipc/handlers';
import { SshPool, silentLogger, type SshLogger } from './ssh/pool';
import { poolBackend } from './inventory/backend';
import { Credentials, expandHome } from './inventory/credentials';
import { readSshConfig } from './inventory/ssh-config';
import { inventoryHandlers } from './inventory/handlers';
import { planHandler } from './migration/plan';
import { ProfileStore, profileHandlers } from './migration/profiles';
import { Journal } from './migration/journal';
import { MigrationEngine, type EngineHostAccess } from './migration/engine';
import { migrationHandlers, type MigrationHandlerDeps } from './migration/handlers';
import { refreshHostsOnMigrationEnd } from './migration/refresh-on-end';
import { gatherPredictionInputs, predictHandlers } from './migration/predict-gather';
import { predict } from '../../shared/migration/predict';
import { runTrial } from './migration/trial';
import { trialHandler } from './migration/trial-handler';
import { runPreflight, type PreflightHostAccess } from './migration/preflight';
import { execRunner, virshRunner } from './remote/ssh-runner';
import type { SshTarget } from './ssh/errors';
import type { CommandRunner } from './remote/run-command';
import { err } from '../../shared/result';
import { ferryError } from '../../shared/errors';
import type { HostView } from '../../shared/inventory/types';
import { ferryKnownHostsStore } from './inventory/known-hosts';
import { InventoryService } from './inventory/service';
import { InventoryStore } from './inventory/store';
import { sshTargetOf } from './inventory/target';
import { createInventoryWatch, type InventoryWatch } from './inventory/watch';
import type { NetworkDeps } from './network/deps';
import { pathHandlers } from './network/path-handlers';
import { auditHandlers } from './network/audit-handlers';
import { tuningHandlers } from './network/tuning-handlers';
import { reportsHandlers } from './reports/handlers';
import { EvacuationJournal } from './evacuation/journal';
import { EvacuationService } from './evacuation/runner';
import { shutdownAndWait } from './evacuation/shutdown';
import { evacuationPlanHandlers } from './evacuation/plan-handlers';
import { evacuationRunHandlers } from './evacuation/run-handlers';
import { chromiumPdf } from './reports/chromium-pdf';
import { evacuationControl, evacuationExport, evacuationStart, evacuationsWatch } from '../../shared/ipc/evacuation-contract';
import type { ReportSeams } from './reports/electron-seams';
import { lockDataDir, type DataDirLock } from './storage/data-dir-lock';

export interface FerryMainOptions {
  readonly dataDir: string;
  readonly homeDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clock?: Clock;
  /** Wall-clock ms since the epoch (ISO times shown to the user, file names). Default Date.now. */
  readonly wallClock?: () => number;
  readonly logger?: SshLogger;
  /** Ferry's version for appInfo. */
  readonly version?: string;
  /** The desktop's export seams (Electron's printToPDF, a save dialog); web mode leaves them out (Chromium, downloads). */
  readonly reports?: ReportSeams;
  /** The local user (ssh's default remote user when a config names none). Default: os.userInfo(). */
  readonly localUser?: string;
  /** Which Ferry this is, for the one refused on the same data directory. Default "desktop". */
  readonly mode?: 'desktop' | 'web';
  /** Pool and refresh tuning (tests, benchmarks). */
  readonly tuning?: {
    readonly readyTimeoutMs?: number;
    readonly keepaliveIntervalMs?: number;
    readonly connectTimeoutMs?: number;
    readonly hostTimeoutMs?: number;
    readonly maxChannelsPerConnection?: number;
  };
}

export interface FerryMain {
  readonly handlers: IpcHandlers;
  readonly inventory: InventoryService;
  readonly watch: InventoryWatch;
  /** The migrations' and network tools' pools (the inventory's is its own): for tests and diagnostics. */
  readonly pools: { readonly migrations: SshPool; readonly network: SshPool };
  readonly dataDir: string;
  /** Problems met at start-up (an inventory file that had to be set aside...), for the log and the UI. */
  problems(): readonly FerryError[];
  dispose(): Promise<void>;
}

/** `$XDG_CONFIG_HOME/ferry`, else `~/.config/ferry`: web mode's data directory (Electron passes userData). */
export function defaultDataDir(env: Readonly<Record<string, string | undefined>>, homeDir: string): string {
  const xdg = env['XDG_CONFIG_HOME'];
  return join(xdg !== undefined && xdg.startsWith('/') ? xdg : join(homeDir, '.config'), 'ferry');
}

function localUserName(env: Readonly<Record<string, string | undefined>>): string {
  try {
    return userInfo().username;
  } catch {
    return env['USER'] ?? env['LOGNAME'] ?? 'root';
  }
}

/** createFerryMain could not start: `error` says why, in words for the admin (another Ferry owns the data directory). */
export class FerryStartError extends Error {
  constructor(readonly error: FerryError) {
    super(error.message);
    this.name = 'FerryStartError';
  }
}

export async function createFerryMain(o: FerryMainOptions): Promise<FerryMain> {
  // Before anything reads the directory: a second Ferry on it would overwrite the first one's files.
  const lock = await lockDataDir(o.dataDir, o.mode ?? 'desktop');
  if (!lock.ok) throw new FerryStartError(lock.error);
  try {
    return await assemble(o, lock.value);
  } catch (e) {
    await lock.value.release();
    throw e;
  }
}

async function assemble(o: FerryMainOptions, lock: DataDirLock): Promise<FerryMain> {
  const clock = o.clock ?? systemClock;
  const logger = o.logger ?? silentLogger;
  const wallClock = o.wallClock ?? Date.now;
  const store = await InventoryStore.open({ dataDir: o.dataDir, now: wallClock });
  for (const p of store.problems) logger.warn('inventory.store-problem', { code: p.code, message: p.message });
  const knownHosts = ferryKnownHostsStore({
    ferryPath: join(o.dataDir, 'known_hosts'),
    userPath: join(o.homeDir, '.ssh', 'known_hosts'),
    trustUserKnownHosts: () => store.value.settings.trustUserKnownHosts,
  });
  const t = o.tuning ?? {};
  const poolOptions = {
    knownHosts,
    clock,
    logger,
    ...(t.readyTimeoutMs !== undefined ? { readyTimeoutMs: t.readyTimeoutMs } : {}),
    ...(t.keepaliveIntervalMs !== undefined ? { keepaliveIntervalMs: t.keepaliveIntervalMs } : {}),
    ...(t.maxChannelsPerConnection !== undefined ? { maxChannelsPerConnection: t.maxChannelsPerConnection } : {}),
  };
  const credentials = new Credentials({ homeDir: o.homeDir, env: o.env });
  const inventory = new InventoryService({
    store,
    credentials,
    backend: (auth) => poolBackend(new SshPool({ ...poolOptions, auth })),
    // A probe tries once: no reconnect backoff to wait out.
    probeBackend: (auth) => poolBackend(new SshPool({ ...poolOptions, auth, backoff: { initialMs: 0, maxMs: 0 } })),
    clock,
    wallClock,
    logger,
    ...(t.connectTimeoutMs !== undefined ? { connectTimeoutMs: t.connectTimeoutMs } : {}),
    ...(t.hostTimeoutMs !== undefined ? { hostTimeoutMs: t.hostTimeoutMs } : {}),
  });
  const watch = createInventoryWatch(inventory, clock, (e) =>
    logger.warn('inventory.poll-crashed', { error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
  );
  // Migrations: their own pool (a long migrate command and 1-10 Hz sampling must not queue behind inventory
  // refreshes), authenticated with the inventory's saved credentials; the journal in the data directory.
  const migrationPool = new SshPool({ ...poolOptions, auth: (target) => inventory.authFor(target) });
  const journal = await Journal.open({ dataDir: o.dataDir, wallClock });
  const targetOf = (h: HostView): SshTarget => sshTargetOf(h.record);
  const hostById = (id: string): HostView | undefined => inventory.views().find((h) => h.record.id === id);
  const missingHost = (name: string): CommandRunner => ({
    run: async () => err(ferryError('inventory.not-found', `${name} is no longer in the inventory.`)),
  });
  const engineHosts: EngineHostAccess = {
    exec: (ref) => {
      const h = hostById(ref.id);
      return h ? execRunner(migrationPool, targetOf(h)) : missingHost(ref.name);
    },
    openVirsh: (ref) => {
      const h = hostById(ref.id);
      return h ? virshRunner(migrationPool, targetOf(h)) : { ...missingHost(ref.name), close: async () => undefined };
    },
  };
  const engine = new MigrationEngine({ journal, hosts: engineHosts, clock, wallClock, logger, sourceChannels: migrationPool.channelsPerTarget });
  const stopRefreshOnEnd = refreshHostsOnMigrationEnd(engine, inventory);
  // Pre-flight runs on the migrations' pool too, each command on its own channel.
  const preflightHosts: PreflightHostAccess = { exec: (h) => execRunner(migrationPool, h.target) };
  for (const p of engine.journalProblems()) logger.warn('migration.journal-problem', { code: p.code, message: p.message });
  // Migrations the journal shows without an end (Ferry stopped while they ran): ask the hosts, in the background.
  const reconciled = engine.reconcile().catch((e: unknown) => logger.warn('migration.reconcile-failed', { error: String(e) }));
  // Path probes, audits and tuning: a third pool, so a ping sweep or a tuning run queues behind neither inventory
  // refreshes nor a migration's sampling.
  const networkPool = new SshPool({ ...poolOptions, auth: (target) => inventory.authFor(target) });
  // A host removed (or moved to another address) leaves no connection behind in any pool.
  inventory.onTargetReleased(async (target) => {
    await Promise.all([migrationPool.closeConnection(target), networkPool.closeConnection(target)]);
  });
  const networkDisposers: (() => Promise<void>)[] = [];
  const networkDeps: NetworkDeps = {
    hosts: () => inventory.views(),
    access: (id) => {
      const h = hostById(id);
      return h ? ok({ host: h, runner: execRunner(networkPool, targetOf(h)) }) : err(ferryError('inventory.not-found', `No such host in the inventory: ${id}.`));
    },
    clock,
    wallClock,
    logger,
    dataDir: o.dataDir,
    onDispose: (fn) => networkDisposers.push(fn),
  };
  const preflightStart: NonNullable<MigrationHandlerDeps['preflight']> = async ({ vm, source, destination, options }) =>
    runPreflight(
      {
        vm,
        source: { target: targetOf(source), name: source.record.name, address: source.record.address },
        destination: { target: targetOf(destination), name: destination.record.name, address: destination.record.address },
        destinationUser: destination.record.user,
        options,
      },
      { hosts: preflightHosts, now: wallClock },
    );
  // What the dialog showed, made again in main for the record: the inputs as the dialog reads them, the start's options.
  const predictStart: NonNullable<MigrationHandlerDeps['predict']> = async ({ vm, source, destination, options }) => {
    const inputs = await gatherPredictionInputs(
      { vm, sourceHostId: source.record.id, destinationHostId: destination.record.id, destinationAddress: destination.record.address },
      { history: journal, source: execRunner(migrationPool, targetOf(source)), now: wallClock() },
    );
    return { inputs, prediction: predict(inputs, options) };
  };
  const profileStore = await ProfileStore.open({ dataDir: o.dataDir, now: wallClock });
  // Evacuations: their own journal; each row an ordinary migration through the dialog's start path. One not ended
  // when Ferry stopped is picked up once the engine has re-attached the migrations it left running.
  const evacuationJournal = await EvacuationJournal.open({ dataDir: o.dataDir, wallClock });
  const evacuations = new EvacuationService({
    journal: evacuationJournal,
    engine,
    history: journal,
    hosts: () => inventory.views(),
    preflight: preflightStart,
    predict: predictStart,
    shutdown: (host, vm) => shutdownAndWait(execRunner(migrationPool, targetOf(host)), vm, clock),
    wallClock,
    logger,
  });
  const restored = reconciled.then(() => evacuations.restore()).catch((e: unknown) => logger.warn('evacuation.restore-failed', { error: String(e) }));
  const evacuationRun = evacuationRunHandlers({
    service: evacuations,
    wallClock,
    generator: `Ferry ${o.version ?? '0.0.0-dev'}`,
    pdf: o.reports?.pdf ?? chromiumPdf(),
    ...(o.reports?.save ? { save: o.reports.save } : {}),
  });
  const handlers: IpcHandlers = {
    [appInfo.id]: async (_input, ctx) => ok({ version: o.version ?? '0.0.0-dev', mode: ctx.transport, dataDir: o.dataDir, platform: process.platform, problems: [...inventory.problems(), ...engine.journalProblems(), ...evacuationJournal.problems] }),
    ...inventoryHandlers({
      service: inventory,
      watch,
      readSshConfig: (input) =>
        readSshConfig({ path: expandHome(input.path ?? '~/.ssh/config', o.homeDir), homeDir: o.homeDir, localUser: o.localUser ?? localUserName(o.env), env: o.env }),
    }),
    // Plan (validation + the exact command) and the saved option profiles (<dataDir>/profiles.json) need no engine.
    ...planHandler({ hosts: () => inventory.views() }),
    ...profileHandlers(profileStore),
    ...migrationHandlers({
      engine,
      history: journal,
      hosts: () => inventory.views(),
      now: wallClock,
      preflight: preflightStart,
      predict: predictStart,
    }),
    // The prediction's inputs: the journal's runs, and read-only virsh queries on the source over the migrations' pool.
    ...predictHandlers({ history: journal, hosts: () => inventory.views(), runner: (h) => execRunner(migrationPool, targetOf(h)), now: wallClock }),
    // A trial pre-copy runs through the engine (journalled like any migration) and checks the hosts on its pool.
    ...trialHandler({ hosts: () => inventory.views(), run: (req) => runTrial({ engine, exec: (h) => engineHosts.exec(h), clock }, req) }),
    ...pathHandlers(networkDeps),
    ...auditHandlers(networkDeps),
    ...tuningHandlers(networkDeps),
    ...reportsHandlers({ dataDir: o.dataDir, wallClock, generator: `Ferry ${o.version ?? '0.0.0-dev'}`, migrations: () => handlers, ...o.reports }),
    ...evacuationPlanHandlers({
      hosts: () => inventory.views(),
      runner: (h) => execRunner(migrationPool, targetOf(h)),
      history: journal,
      profiles: () => profileStore.list(),
      now: wallClock,
      setMaintenance: (id, on) => inventory.setMaintenance(id, on),
    }),
    [evacuationStart.id]: evacuationRun.evacuationStart,
    [evacuationControl.id]: evacuationRun.evacuationControl,
    [evacuationExport.id]: evacuationRun.evacuationExport,
    [evacuationsWatch.id]: evacuationRun.evacuationsWatch,
  };
  let disposed: Promise<void> | undefined;
  return {
    handlers,
    inventory,
    watch,
    pools: { migrations: migrationPool, network: networkPool },
    dataDir: o.dataDir,
    problems: () => [...inventory.problems(), ...engine.journalProblems(), ...evacuationJournal.problems],
    dispose: () => {
      disposed ??= (async () => {
        watch.dispose();
        await reconciled;
        await restored;
        evacuations.dispose();
        stopRefreshOnEnd();
        await engine.dispose();
        await journal.close();
        await evacuationJournal.close();
        await migrationPool.dispose();
        await Promise.all(networkDisposers.map((fn) => fn().catch((e: unknown) => logger.warn('network.dispose-failed', { error: String(e) }))));
        await networkPool.dispose();
        await inventory.dispose();
        await lock.release();
      })();
      return disposed;
    },
  };
}
