// One "Ferry" on the lab for engine-level tests: its own SSH pool (the lab's client key and known_hosts), a journal
// in a data directory and a MigrationEngine, built as createFerryMain builds them, plus the questions those tests
// keep asking (where is the VM, what does the journal on disk say). Several may share one data directory, which is
// how a restart is played.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '../support/wait';
import { requireLab, watchdogsThenReset } from '../lab/use-lab';
import { afterAll, beforeAll } from 'vitest';
import { labHost, vmReset, type HostName } from '../lab/lab';
import { SshPool } from '../../electron/main/ssh/pool';
import { fileKnownHostsStore } from '../../electron/main/ssh/known-hosts';
import { execRunner, virshRunner } from '../../electron/main/remote/ssh-runner';
import { Journal, JOURNAL_FILE, parseJournal } from '../../electron/main/migration/journal';
import { buildRecords, type MigrationHostRef, type MigrationRecord } from '../../electron/main/migration/record';
import { MigrationEngine, type EngineHostAccess, type MigrationUpdate } from '../../electron/main/migration/engine';
import { runCommand } from '../../electron/main/remote/run-command';
import { virshListAll } from '../../shared/commands/virsh';
import type { DomainState } from '../../shared/parsers/virsh-domain';

export interface LabEngine {
  readonly pool: SshPool;
  readonly hosts: EngineHostAccess;
  readonly hvA: MigrationHostRef;
  readonly hvB: MigrationHostRef;
  readonly dir: string;
  readonly journal: Journal;
  readonly engine: MigrationEngine;
  /** Every update the engine emitted, in order. */
  readonly updates: MigrationUpdate[];
  /** The record as the journal on disk rebuilds it (what a restarted Ferry would read). */
  fromDisk(id: string): MigrationRecord | undefined;
  /** The VM's state on hvA and hvB (undefined: not there; 'error': the host could not be asked). */
  where(vm: string): Promise<{ hvA: DomainState | 'error' | undefined; hvB: DomainState | 'error' | undefined }>;
  /** Disposes the engine, closes the journal and the pool; removes the data directory when this engine made it. */
  close(): Promise<void>;
}

/** A fresh data directory (removed by close), or `dir` to share one (the caller removes it). */
export async function openLabEngine(options: { readonly dir?: string; readonly prefix?: string } = {}): Promise<LabEngine> {
  const l = requireLab();
  const key = readFileSync(l.clientKey);
  const pool = new SshPool({ knownHosts: fileKnownHostsStore(l.knownHosts), auth: () => ({ kind: 'key', privateKey: key }) });
  const target = (h: MigrationHostRef) => ({ host: h.address, user: 'root' });
  const hosts: EngineHostAccess = { exec: (h) => execRunner(pool, target(h)), openVirsh: (h) => virshRunner(pool, target(h)) };
  const hvA: MigrationHostRef = { id: 'hvA', name: 'hvA', address: labHost(l, 'hvA').ip };
  const hvB: MigrationHostRef = { id: 'hvB', name: 'hvB', address: labHost(l, 'hvB').ip };
  const owned = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), options.prefix ?? 'ferry-engine-lab-'));
  const journal = await Journal.open({ dataDir: dir });
  const engine = new MigrationEngine({ journal, hosts });
  const updates: MigrationUpdate[] = [];
  engine.onUpdate((u) => updates.push(u));
  let closed = false;
  return {
    pool,
    hosts,
    hvA,
    hvB,
    dir,
    journal,
    engine,
    updates,
    fromDisk: (id) => buildRecords(parseJournal(readFileSync(join(dir, JOURNAL_FILE), 'utf8')).lines).find((r) => r.id === id),
    where: async (vm) => {
      const [a, b] = await Promise.all([runCommand(hosts.exec(hvA), virshListAll()), runCommand(hosts.exec(hvB), virshListAll())]);
      return {
        hvA: a.ok ? a.value.find((d) => d.name === vm)?.state : 'error',
        hvB: b.ok ? b.value.find((d) => d.name === vm)?.state : 'error',
      };
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await engine.dispose();
      await journal.close();
      await pool.dispose();
      if (owned) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The hooks of a describe block that migrates on the lab: the guests reset and one engine opened (handed to `opened`)
 * before the tests; after each test its watchdogs cancelled and the guests reset; at the end the engine closed.
 * `watchdog` starts one on the source, which aborts the job if the test stalls.
 */
export function labEngineSuite(prefix: string, opened: (t: LabEngine) => void): { watchdog(host: HostName, vm: string, seconds: number): Promise<void> } {
  let t: LabEngine | undefined;
  beforeAll(async () => {
    await vmReset();
    t = await openLabEngine({ prefix });
    opened(t);
  });
  const watchdog = watchdogsThenReset();
  afterAll(async () => {
    await t?.close();
    await vmReset();
  });
  return { watchdog };
}

/** Polls `cond` every 100 ms until it holds; fails naming `what` after `ms`. */
export function waitUntil(what: string, cond: () => boolean, ms: number): Promise<void> {
  return until(cond, what, ms, 100);
}
