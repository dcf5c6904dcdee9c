// Scripted hosts and engines over temporary data directories, for the migration engine's unit tests: each command
// the engine runs is answered by a script (host, argv), and every engine a test opens is disposed after it.
import { afterEach } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ok, type Result } from '../../shared/result';
import type { FerryError } from '../../shared/errors';
import type { CommandRunner, RunOutput } from '../../electron/main/remote/run-command';
import type { VirshRunner } from '../../electron/main/remote/ssh-runner';
import type { Clock } from '../../electron/main/clock';
import { Journal } from '../../electron/main/migration/journal';
import { MigrationEngine, type EngineHostAccess, type MigrationUpdate } from '../../electron/main/migration/engine';
import type { MigrationHostRef } from '../../electron/main/migration/record';

export const hvA: MigrationHostRef = { id: 'a', name: 'hvA', address: '10.77.0.11' };
export const hvB: MigrationHostRef = { id: 'b', name: 'hvB', address: '10.77.0.12' };

const capture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'virsh', name), 'utf8');

// Real captures of a post-copy run on the lab (test/fixtures/virsh): a pre-copy sample, a post-copy sample, the
// source's job-completed event, and the destination's completed statistics after post-copy ("Job type: None").
export const PRECOPY = capture('domjobinfo-precopy-running.txt');
export const POSTCOPY = capture('domjobinfo-postcopy.txt');
export const JOB_COMPLETED = capture('event-job-completed-postcopy.txt');
export const DEST_NONE = capture('domjobinfo-completed-postcopy-destination.txt');

export const out = (stdout: string, stderr = '', exitCode = 0): RunOutput => ({ stdout, stderr, exitCode });

/** What a host answers to a command (argv without the `env LC_ALL=C` prefix: argv[3] is virsh's verb). */
export type Script = (host: string, argv: readonly string[], signal?: AbortSignal) => RunOutput | Promise<RunOutput>;

export interface ScriptedHosts extends EngineHostAccess {
  /** Every command, in order: "<host> <exec|virsh> <argv>" (virsh: through the host's long-lived session). */
  readonly calls: string[];
  /** How many virsh sessions were closed. */
  readonly closed: number;
}

export function scriptedHosts(script: Script): ScriptedHosts {
  const calls: string[] = [];
  let closed = 0;
  const runner = (host: MigrationHostRef, via: 'exec' | 'virsh'): CommandRunner => ({
    async run(argv, o): Promise<Result<RunOutput, FerryError>> {
      const words = argv.filter((w) => !w.startsWith('LC_ALL') && w !== 'env');
      calls.push(`${host.name} ${via} ${words.join(' ')}`);
      return ok(await script(host.name, words, o.signal));
    },
  });
  return {
    calls,
    get closed() {
      return closed;
    },
    exec: (h) => runner(h, 'exec'),
    openVirsh: (h): VirshRunner => ({ ...runner(h, 'virsh'), close: async () => void closed++ }),
  };
}

export interface OpenedEngine {
  readonly engine: MigrationEngine;
  readonly journal: Journal;
  readonly dir: string;
  /** Every update the engine emitted, in order. */
  readonly updates: MigrationUpdate[];
  /** Disposes the engine and closes its journal (a restart is played by opening another on the same dir). */
  close(): Promise<void>;
}

/**
 * Engines for the tests of one file. Each test gets one data directory, made on first use and removed after it;
 * the engines it opens share it, and are disposed after it whatever happened.
 */
export function engineFixture(prefix: string) {
  let dir: string | undefined;
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const dataDir = (): string => (dir ??= mkdtempSync(join(tmpdir(), prefix)));
  return {
    dataDir,
    async open(hosts: EngineHostAccess, o: { readonly newId?: () => string; readonly clock?: Clock; readonly sourceChannels?: number } = {}): Promise<OpenedEngine> {
      const d = dataDir();
      const journal = await Journal.open({ dataDir: d });
      const engine = new MigrationEngine({ journal, hosts, ...o });
      const updates: MigrationUpdate[] = [];
      engine.onUpdate((u) => updates.push(u));
      let closed = false;
      const close = async () => {
        if (closed) return;
        closed = true;
        await engine.dispose();
        await journal.close();
      };
      cleanups.push(close);
      return { engine, journal, dir: d, updates, close };
    },
  };
}
