/**
 * The migration engine: starts `virsh migrate` on the SOURCE host (p2p: the source's libvirtd connects to the
 * destination itself), samples `virsh domjobinfo` through ONE long-lived virsh session per source host, journals
 * every sample and event (journal.ts: fdatasync per line), applies controls, reads the final statistics, and after
 * a restart reconciles the migrations the journal shows without an end by asking the hosts.
 *
 * Pitfalls it handles:
 * - While the job sets up (a cold capabilities cache on the destination), domjobinfo shows only "Time elapsed".
 *   The sample is journalled as is; a 'phase' event marks the moment memory starts to move.
 * - Near the end the source answers "domain is not running": an expected sample, not an error. The destination
 *   refuses statistics during the job, so samples are always taken on the source.
 * - Completed statistics come from `domjobinfo --completed --keep-completed` (without --keep-completed reading
 *   clears them), on the DESTINATION when --undefinesource was used (the source no longer knows the domain), else
 *   on the source; the other host is the fall-back. The destination's "Total downtime" is not the real pause
 *   (measured on the lab), so the source's figure is preferred when both exist.
 * - Post-copy (found on the lab, libvirt 9.0): after the switch the destination's `domjobinfo --completed` says
 *   "Job type: None" (20 ms after virsh migrate returned, and during the phase too), and with --undefinesource the
 *   source has forgotten the VM, so no completed statistics can be asked for. The source's job-completed event
 *   carries them: a run allowed to switch listens for it from the start on its own channel. The switch is journalled
 *   as a 'post-copy' event (the control applied, or a sample showing pages fetched on demand); sampling goes on, and
 *   'post-copy-ended' marks the end. At the default post-copy bandwidth the phase lasted ~2 s, and the source's one
 *   domjobinfo asked in it answered only at the end ("domain is not running"): such a phase has its events only.
 * - Post-copy broken (the migration connection lost after the switch): both halves say `post-copy failed` and the
 *   VM is split; the record gets a 'post-copy-interrupted' event instead of an end, refuses every control but the
 *   resume, and is followed again under the same id when resumed (postcopy-recovery.ts).
 * - A p2p failure masked as "End of file while reading data" gets the source libvirtd log's error lines as
 *   detail.
 * - A VM destroyed mid-migration: the migrate command ends with libvirt's error and the source has no running
 *   domain; the record ends 'failed' with both said. If the source says "no domain" for two samples in a row while
 *   the command is still running and the destination does not run it either, the engine ends it without waiting.
 *
 * - Quit and restart (re-attach). Found on the lab (libvirt 9.0, QEMU 7.2, TCG; vmd at --bandwidth 2, p2p): when the
 *   SSH channel of a running `virsh migrate --p2p` is cut (the local ssh client killed), the remote virsh dies within
 *   ~2 s (SIGPIPE on its next --verbose progress line; no job abort), and when it gets SIGTERM (what a cancelled exec
 *   sends) it dies at once, also without aborting. Either way the source's libvirtd carries on with the job:
 *   domjobinfo kept showing it running (4 MiB more every 2 s), `migrate-setspeed` from a new virsh took effect, and the
 *   migration completed (the VM running on the destination, `domjobinfo --completed` on the source). The p2p job
 *   belongs to libvirtd, not to the client that asked for it. So dispose() (Ferry quitting) does not end a record:
 *   it journals a 'detached' event, and reconcile() at the next start asks the source's long-lived virsh session for
 *   the job; still running: the record is followed again ('reattached'): sampling resumes into it, controls act on
 *   the domain, and when the job is gone the outcome is read from where the VM runs and the completed statistics
 *   (decideEnd). Not running any more: settled the same way at once.
 *
 * Side effects come in as parameters (hosts' runners, journal, clocks, ids), so the logic runs in plain Node tests.
 */
import { countOf } from '../../../shared/count';
import { randomUUID } from 'node:crypto';
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import { virshAwaitJobCompleted, virshDomjobinfo, virshListAll, type Command } from '../../../shared/commands';
import { jobCompletedInfo, type VirshEvents } from '../../../shared/parsers/virsh-event';
import {
  commandLine as migrationCommandLine,
  domjobAbort,
  migratePostcopy,
  migrateSetMaxDowntime,
  migrateSetSpeed,
  migrationCommands,
  type MigrateOutcome,
  type MigrateSpec,
} from '../../../shared/commands/migrate';
import { libvirtdErrorLines, libvirtdLogTail } from '../../../shared/commands/libvirtd-log';
import type { MigrationOptions } from '../../../shared/migration/options';
import type { DomainJobInfo } from '../../../shared/parsers/virsh-domjobinfo';
import type { DomainListEntry } from '../../../shared/parsers/virsh-domain';
import { runCommand, type CommandRunner } from '../remote/run-command';
import type { DomainState } from '../../../shared/parsers/virsh-domain';
import type { VirshRunner } from '../remote/ssh-runner';
import { startJobSampler, clampInterval, type JobSample } from '../sampler/job-sampler';
import type { Poller } from '../sampler/poller';
import { systemClock, type Clock } from '../clock';
import type { Journal, JournalLine } from './journal';
import {
  RecordStore,
  type MigrationControl,
  type MigrationEndPayload,
  type MigrationEventPayload,
  type MigrationFinalStats,
  type MigrationHostRef,
  type MigrationRecord,
  type MigrationSamplePayload,
  type MigrationStartPayload,
} from './record';
import {
  heldOnSource,
  interruptedEvent,
  readSplit,
  reconcilePostcopy,
  resumeEvent,
  resumeFailedEvent,
  resumePlan,
  splitControlRefusal,
  splitOf,
  splitRecordOf,
  type SplitPlace,
} from './postcopy-recovery';

/** How the engine reaches hosts. The composition root builds it over the SSH pool (execRunner / virshRunner). */
export interface EngineHostAccess {
  /** Each command on its own exec channel of the pooled connection. */
  exec(host: MigrationHostRef): CommandRunner;
  /** A long-lived virsh session; the engine keeps one per source host while migrations from it run, then closes it. */
  openVirsh(host: MigrationHostRef): VirshRunner;
}

export interface EngineLogger {
  warn(event: string, fields?: Record<string, unknown>): void;
}

export interface MigrationEngineOptions {
  readonly journal: Journal;
  readonly hosts: EngineHostAccess;
  readonly clock?: Clock;
  readonly wallClock?: () => number;
  readonly newId?: () => string;
  readonly logger?: EngineLogger;
  /**
   * How many migrations this engine runs from one source host at once (default 9). Each `virsh migrate` holds an
   * SSH channel for its whole run, and a pooled connection carries 10 (OpenSSH's MaxSessions), one of them the
   * source's virsh session: a 10th would wait in the pool's queue while its record said "running" and its samples
   * showed no job. Refused instead, with the reason.
   */
  readonly maxPerSource?: number;
}

export interface StartMigration {
  readonly vm: string;
  readonly source: MigrationHostRef;
  readonly destination: MigrationHostRef;
  readonly options: MigrationOptions;
  readonly destinationUser?: string;
  /** The destination's SSH port, in the qemu+ssh URI when not 22. */
  readonly destinationPort?: number;
  /** Sampling period, 100..10000 ms; default 1000. */
  readonly intervalMs?: number;
  /** Pre-flight results, journalled with the start. */
  readonly preflight?: unknown;
}

export type MigrationUpdate =
  | { readonly kind: 'started'; readonly id: string; readonly at: number; readonly start: MigrationStartPayload }
  | { readonly kind: 'sample'; readonly id: string; readonly at: number; readonly sample: MigrationSamplePayload }
  | { readonly kind: 'event'; readonly id: string; readonly at: number; readonly event: MigrationEventPayload }
  | { readonly kind: 'ended'; readonly id: string; readonly at: number; readonly end: MigrationEndPayload; readonly reconciled: boolean };

interface Running {
  readonly id: string;
  readonly vm: string;
  readonly destinationName: string;
  readonly source: MigrationHostRef;
  readonly destination: MigrationHostRef;
  readonly options: MigrationOptions;
  readonly startedWall: number;
  readonly command: AbortController;
  sampler?: Poller;
  abortRequested: boolean;
  transferSeen: boolean;
  noDomainStreak: number;
  vanished?: string;
  lastJob?: DomainJobInfo;
  ended: boolean;
  done: Promise<void>;
  /** Ferry is quitting: the job goes on without us; no end is written. */
  detached: boolean;
  /** Followed again after a restart: no migrate command of ours; the end comes from asking the hosts. */
  readonly reattached: boolean;
  /** A re-attached run is checking whether its job ended (one check at a time). */
  checkingEnd: boolean;
  /** How many such checks found it not ended yet. */
  endChecks?: number;
  /** Resolves a re-attached run's `done`. */
  resolveDone?: () => void;
  /** The switch to post-copy has been journalled (a 'post-copy' event). */
  postcopyNoted: boolean;
  /** Post-copy runs: the source's job-completed event, awaited on its own channel from the start (see start()). */
  jobCompleted?: Promise<Result<VirshEvents, FerryError>>;
  readonly watch: AbortController;
  /** A `virsh migrate --postcopy-resume` of a run interrupted in post-copy (postcopy-recovery.ts). */
  readonly resume?: boolean;
}

/** How long the end waits for the job-completed event once virsh migrate has returned (it comes first on the lab). */
const JOB_EVENT_GRACE_MS = 3000;

/** The same bound as virsh migrate's own (6 h): the listener must outlive the job. */
const DEFAULT_JOB_EVENT_WAIT_S = 6 * 3600;
const isRunningJob = (i: DomainJobInfo): boolean => i.type === 'unbounded' || i.type === 'bounded';
// virsh's words that hide the reason, which the source libvirtd's log then has: "End of file", or no error line
// at all (virsh exits 1 after its last progress mark: a VM destroyed mid-migration, 1 of 3 tries on the lab).
const EOF_MASK = /End of file while reading data|virsh migrate .* without an error message/;
const ABORTED = /operation aborted|canceled by client|cancelled by client/;

export class MigrationEngine {
  private readonly clock: Clock;
  private readonly wallClock: () => number;
  private readonly newId: () => string;
  private readonly store = new RecordStore();
  private readonly running = new Map<string, Running>();
  private readonly sessions = new Map<string, { runner: VirshRunner; users: number }>();
  private readonly listeners = new Set<(u: MigrationUpdate) => void>();
  private disposed = false;

  constructor(private readonly o: MigrationEngineOptions) {
    this.clock = o.clock ?? systemClock;
    this.wallClock = o.wallClock ?? Date.now;
    this.newId = o.newId ?? (() => `m-${randomUUID()}`);
    for (const line of o.journal.initial.lines) this.store.apply(line);
  }

  /** Problems the journal had when it was opened (torn tail, corrupt lines), for the start-up problems list. */
  journalProblems(): readonly FerryError[] {
    return this.o.journal.initial.problems.map((p) => p.error);
  }

  onUpdate(listener: (u: MigrationUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The migrations this engine holds whole (samples included), oldest first: those open at start and those written to
   * since. The rest of the history is the journal's (Journal.heads, Journal.readRecord).
   */
  records(): readonly MigrationRecord[] {
    return this.store.all();
  }

  record(id: string): MigrationRecord | undefined {
    return this.store.get(id);
  }

  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  /** Resolves once the migration has ended (its end line is on disk); at once when it is not running. */
  async settled(id: string): Promise<MigrationRecord | undefined> {
    await this.running.get(id)?.done;
    return this.store.get(id);
  }

  private emit(u: MigrationUpdate): void {
    for (const l of this.listeners) {
      try {
        l(u);
      } catch (e) {
        this.o.logger?.warn('migration.listener-threw', { error: String(e) });
      }
    }
  }

  /** Appends and applies one line; the returned promise resolves when it is durable. */
  private async write(type: JournalLine['type'], id: string, key: string, payload: object, at = this.wallClock()): Promise<void> {
    const line = await this.o.journal.append({ type, id, at, [key]: payload });
    this.store.apply(line);
  }

  /** For lines written while sampling: not awaited by the sampler, but failures are logged, never lost silently. */
  private writeLater(type: JournalLine['type'], id: string, key: string, payload: object, at: number): void {
    this.write(type, id, key, payload, at).catch((e: unknown) => this.o.logger?.warn('migration.journal-write-failed', { id, error: String(e) }));
  }

  private event(r: { id: string }, event: MigrationEventPayload, at = this.wallClock()): Promise<void> {
    this.emit({ kind: 'event', id: r.id, at, event });
    return this.write('event', r.id, 'event', event, at).catch((e: unknown) =>
      this.o.logger?.warn('migration.journal-write-failed', { id: r.id, error: String(e) }),
    );
  }

  // ---- start --------------------------------------------------------------------------------------------------

  /**
   * Starts a migration and returns its id once the start is journalled. A command that cannot be built (invalid
   * options) is refused here, before anything runs or is recorded.
   */
  async start(req: StartMigration): Promise<Result<{ readonly id: string; readonly commandLine: string }, FerryError>> {
    if (this.disposed) return err(ferryError('input.invalid', 'Ferry is shutting down.'));
    const spec = migrateSpecOf(req);
    const cmds = migrationCommands(spec);
    if (!cmds.ok) return cmds;
    const line = migrationCommandLine(spec);
    if (!line.ok) return line;
    const split = splitRecordOf(this.store.all(), req.vm, req.source);
    if (split) {
      return err(ferryError('input.invalid', `${req.vm} is split between two hosts since a post-copy migration broke (migration ${split.id}): resume that migration instead.`));
    }
    let fromSource = 0;
    let channels = 0;
    for (const r of this.running.values()) {
      if (r.vm === req.vm && r.source.address === req.source.address) {
        return err(ferryError('input.invalid', `${req.vm} is already migrating from ${req.source.name} (migration ${r.id}).`));
      }
      // A re-attached job holds no channel (its virsh migrate is gone; libvirtd runs it); a post-copy run holds two.
      if (r.source.address === req.source.address && !r.reattached) {
        fromSource++;
        channels += r.jobCompleted ? 2 : 1;
      }
    }
    const maxPerSource = this.o.maxPerSource ?? 9;
    if (channels + (req.options.postcopy === true ? 2 : 1) > maxPerSource) {
      return err(
        ferryError(
          'input.invalid',
          `${req.source.name} already has ${countOf(fromSource, 'migration')} running from this Ferry, the most it runs from one host at once (each holds one of the ${maxPerSource + 1} SSH channels of its connection${channels > fromSource || req.options.postcopy === true ? ', two when post-copy is allowed' : ''}). Start ${req.vm} when one of them has ended.`,
        ),
      );
    }
    const id = this.newId();
    const intervalMs = clampInterval(req.intervalMs ?? 1000);
    const argv = cmds.value.migrate.argv;
    const commandLine = line.value;
    const start: MigrationStartPayload = {
      vm: req.vm,
      source: req.source,
      destination: req.destination,
      options: req.options as Readonly<Record<string, unknown>>,
      argv,
      commandLine,
      intervalMs,
      ...(req.preflight !== undefined ? { preflight: req.preflight } : {}),
    };
    const at = this.wallClock();
    await this.write('start', id, 'start', start, at);
    this.emit({ kind: 'started', id, at, start });

    const run: Running = {
      id,
      vm: req.vm,
      destinationName: req.options.dname ?? req.vm,
      source: req.source,
      destination: req.destination,
      options: req.options,
      startedWall: at,
      command: new AbortController(),
      abortRequested: false,
      transferSeen: false,
      noDomainStreak: 0,
      ended: false,
      done: Promise.resolve(),
      detached: false,
      reattached: false,
      checkingEnd: false,
      postcopyNoted: false,
      watch: new AbortController(),
    };
    this.running.set(id, run);
    // An offline migration moves the definition only: no job to sample; it ends when virsh exits.
    if (req.options.offline === true) {
      run.done = this.drive(run, cmds.value.migrate, []);
      return ok({ id, commandLine });
    }
    if (req.options.postcopy === true) this.listenJobCompleted(run);
    this.sample(run, intervalMs, 0);
    run.done = this.drive(run, cmds.value.migrate, cmds.value.afterStart);
    return ok({ id, commandLine });
  }

  /** Listening before the job can end: the event is sent once, when the source's job completes. */
  private listenJobCompleted(run: Running): void {
    const cmd = virshAwaitJobCompleted(run.vm, DEFAULT_JOB_EVENT_WAIT_S);
    run.jobCompleted = runCommand(this.o.hosts.exec(run.source), cmd, { signal: run.watch.signal }).catch((e: unknown) =>
      err(ferryError('command.failed', `Waiting for the job-completed event failed in Ferry: ${String(e)}`)),
    );
  }

  /** Samples the source's job through its virsh session (released when the migrate command ends). */
  private sample(run: Running, intervalMs: number, firstSeq: number): void {
    const session = this.acquireSession(run.source);
    run.sampler = startJobSampler({
      runner: session,
      domain: run.vm,
      intervalMs,
      clock: this.clock,
      wallClock: this.wallClock,
      firstSeq,
      onSample: (s) => this.onSample(run, s),
      onCrash: (e) => {
        this.o.logger?.warn('migration.sampler-crashed', { id: run.id, error: String(e) });
        void this.event(run, { kind: 'warning', message: `Sampling stopped after an internal error: ${String(e)}` });
      },
    });
  }

  /**
   * Records an attempt pre-flight refused: its start (with the checks) and its end (`refused`) at once, so the history
   * shows it and a restart reads it back. Nothing runs on the hosts.
   */
  async refuse(req: StartMigration, message: string): Promise<Result<{ readonly id: string }, FerryError>> {
    if (this.disposed) return err(ferryError('input.invalid', 'Ferry is shutting down.'));
    const spec = migrateSpecOf(req);
    const cmds = migrationCommands(spec);
    const line = migrationCommandLine(spec);
    const id = this.newId();
    const at = this.wallClock();
    const start: MigrationStartPayload = {
      vm: req.vm,
      source: req.source,
      destination: req.destination,
      options: req.options as Readonly<Record<string, unknown>>,
      argv: cmds.ok ? cmds.value.migrate.argv : [],
      commandLine: line.ok ? line.value : '',
      intervalMs: clampInterval(req.intervalMs ?? 1000),
      ...(req.preflight !== undefined ? { preflight: req.preflight } : {}),
    };
    await this.write('start', id, 'start', start, at);
    this.emit({ kind: 'started', id, at, start });
    const end: MigrationEndPayload = { state: 'refused', message, wallMs: 0 };
    await this.write('end', id, 'end', end, at);
    this.emit({ kind: 'ended', id, at, end, reconciled: false });
    return ok({ id });
  }

  private acquireSession(host: MigrationHostRef): VirshRunner {
    const key = host.address;
    let s = this.sessions.get(key);
    if (!s) {
      s = { runner: this.o.hosts.openVirsh(host), users: 0 };
      this.sessions.set(key, s);
    }
    s.users += 1;
    return s.runner;
  }

  private releaseSession(host: MigrationHostRef): void {
    const key = host.address;
    const s = this.sessions.get(key);
    if (!s) return;
    s.users -= 1;
    if (s.users <= 0) {
      this.sessions.delete(key);
      void s.runner.close().catch(() => undefined);
    }
  }

  private onSample(run: Running, s: JobSample): void {
    if (run.ended || run.detached) return;
    const timing = { seq: s.seq, latencyMs: round(s.latencyMs), lateMs: round(s.lateMs), ...(s.skippedBefore > 0 ? { skippedBefore: s.skippedBefore } : {}) };
    const payload: MigrationSamplePayload = s.result.ok
      ? { ...timing, info: s.result.value.info, figures: s.result.value.figures }
      : { ...timing, error: s.result.error };
    this.emit({ kind: 'sample', id: run.id, at: s.at, sample: payload });
    this.writeLater('sample', run.id, 'sample', payload, s.at);
    if (s.result.ok) {
      const info = s.result.value.info;
      run.noDomainStreak = 0;
      if (isRunningJob(info)) {
        run.lastJob = info;
        // Pages fetched on demand: post-copy, whoever switched (a control, --postcopy-after-precopy, --timeout-postcopy).
        if ((info.postcopyRequests ?? 0) > 0) this.notePostcopy(run, s.at, 'a sample shows pages fetched on demand');
        if (!run.transferSeen && info.memoryTotalBytes !== undefined) {
          run.transferSeen = true;
          void this.event(run, { kind: 'phase', message: 'Memory transfer started.' });
        }
      } else if (run.reattached) {
        void this.checkReattachedEnd(run); // no job on the source any more: where is the VM?
      }
    } else if (run.reattached && (s.result.error.code === 'libvirt.no-domain' || s.result.error.code === 'libvirt.not-running')) {
      // "domain is not running" for a moment at the switch-over; twice in a row, ask the hosts.
      run.noDomainStreak += 1;
      if (run.noDomainStreak >= 2) void this.checkReattachedEnd(run);
    } else if (s.result.error.code === 'libvirt.no-domain') {
      run.noDomainStreak += 1;
      if (run.noDomainStreak === 2) void this.checkVanished(run);
    } else {
      run.noDomainStreak = 0;
    }
  }

  /** The source no longer knows the VM while `virsh migrate` still runs: vanished, unless the destination runs it. */
  private async checkVanished(run: Running): Promise<void> {
    const dest = await runCommand(this.o.hosts.exec(run.destination), virshListAll());
    if (run.ended) return;
    const there = dest.ok ? dest.value.find((d) => d.name === run.destinationName) : undefined;
    if (there?.state === 'running') return; // the normal end of an --undefinesource migration
    run.vanished = `${run.vm} disappeared from ${run.source.name} during the migration${dest.ok ? ` and is not running on ${run.destination.name}` : ''} (destroyed or undefined by someone else?).`;
    void this.event(run, { kind: 'vm-vanished', message: run.vanished });
    run.command.abort();
  }

  // ---- the migrate command and its end --------------------------------------------------------------------------

  private async drive(run: Running, migrate: Command<MigrateOutcome>, afterStart: readonly Command<void>[]): Promise<void> {
    const exec = this.o.hosts.exec(run.source);
    const migrating = runCommand(exec, migrate, { signal: run.command.signal });
    for (const c of afterStart) {
      // Applied right after the job starts (migrate has no option for the max downtime); libvirt takes it either way.
      void runCommand(exec, c).then((r) =>
        this.event(run, r.ok ? { kind: 'control', message: `Applied at start: ${c.name}.` } : { kind: 'control-failed', message: `${c.name} failed: ${r.error.message}`, error: r.error }),
      );
    }
    let result: Result<MigrateOutcome, FerryError>;
    try {
      result = await migrating;
    } catch (e) {
      result = err(ferryError('command.failed', `The migrate command failed in Ferry: ${String(e)}`));
    }
    const migrateEndedAt = this.wallClock();
    run.sampler?.stop();
    if (run.sampler !== undefined) this.releaseSession(run.source);
    // Only a job that completed sends the event: a failed or detached run does not wait for it.
    const jobEvent = await this.takeJobCompleted(run, result.ok && !run.detached);
    if (run.detached) {
      // Ferry is quitting. The job is libvirtd's and goes on (see the module comment): no end, a note instead.
      await this.event(run, detachedEvent(run));
      this.running.delete(run.id);
      return;
    }
    try {
      // A run allowed to switch may have switched between two samples (--timeout-postcopy, --postcopy-after-precopy):
      // any failure of one asks both hosts whether the VM is split before anything is settled.
      const reading = !result.ok && run.options.postcopy === true ? await readSplit((h) => this.o.hosts.exec(h), run) : undefined;
      const split = reading ? splitOf(reading) : undefined;
      if (run.postcopyNoted && !split) {
        const message = result.ok
          ? `Post-copy phase ended: every page of ${run.destinationName} is on ${run.destination.name}.`
          : 'Post-copy phase ended with the migration (see the end below).';
        await this.event(run, { kind: 'post-copy-ended', message }, migrateEndedAt);
      }
      await this.event(run, {
        kind: 'command-ended',
        message: result.ok ? 'virsh migrate finished.' : `virsh migrate ended with an error: ${result.error.message}`,
        ...(result.ok ? {} : { error: result.error }),
      });
      if (split && !result.ok) {
        const held = reading ? heldOnSource(run, reading) : undefined;
        await this.interrupted(run, run.resume === true ? resumeFailedEvent(run, split, result.error) : interruptedEvent(run, split, 'broke', result.error, held));
        return;
      }
      const end = result.ok ? await this.completed(run, jobEvent) : await this.failed(run, result.error);
      await this.finish(run, end);
    } catch (e) {
      this.o.logger?.warn('migration.end-failed', { id: run.id, error: String(e) });
      await this.finish(run, { state: 'unknown', message: `Ferry could not record the end of the migration: ${String(e)}` }).catch(() => undefined);
    }
  }

  /** The VM is split: no end line; the record is `post-copy-interrupted` and offers the resume (postcopy-recovery.ts). */
  private async interrupted(run: Running, event: MigrationEventPayload): Promise<void> {
    run.ended = true;
    this.running.delete(run.id);
    await this.durableEvent(run.id, event);
  }

  /** Written, then announced: a watcher reading the record on the update sees the state the event makes. */
  private async durableEvent(id: string, event: MigrationEventPayload): Promise<void> {
    const at = this.wallClock();
    await this.write('event', id, 'event', event, at);
    this.emit({ kind: 'event', id, at, event });
  }

  private async finish(run: Running, end: MigrationEndPayload): Promise<void> {
    run.ended = true;
    this.running.delete(run.id);
    const at = this.wallClock();
    const full: MigrationEndPayload = { ...end, wallMs: at - run.startedWall };
    await this.write('end', run.id, 'end', full, at);
    this.emit({ kind: 'ended', id: run.id, at, end: full, reconciled: false });
  }

  /**
   * Journals the switch to post-copy once, at the first sign of it: the control applied, or a sample showing pages
   * fetched on demand (`at`: when that sample was asked for). The record's phase takes the earlier of the two
   * (postcopyPhase in record.ts), so a sample asked for before the control's answer came back still counts.
   */
  private notePostcopy(run: Running, at: number, how: string): void {
    if (run.postcopyNoted || run.ended || run.detached) return;
    run.postcopyNoted = true;
    void this.event(run, { kind: 'post-copy', message: `Post-copy phase started (${how}): ${run.destinationName} runs on ${run.destination.name} and fetches the pages still on ${run.source.name}.` }, at);
  }

  /** The job-completed event's statistics, waiting a little for it after virsh migrate returned; stops the listener. */
  private async takeJobCompleted(run: Running, wait: boolean): Promise<DomainJobInfo | undefined> {
    if (!run.jobCompleted) return undefined;
    if (!wait) {
      run.watch.abort();
      return undefined;
    }
    let timer: unknown;
    const grace = new Promise<undefined>((resolve) => (timer = this.clock.setTimeout(() => resolve(undefined), JOB_EVENT_GRACE_MS)));
    const r = await Promise.race([run.jobCompleted, grace]);
    this.clock.clearTimeout(timer);
    run.watch.abort();
    if (r === undefined) return undefined;
    if (!r.ok) {
      if (r.error.code !== 'command.cancelled') this.o.logger?.warn('migration.job-event-failed', { id: run.id, error: r.error.message });
      return undefined;
    }
    const e = r.value.events.find((x) => x.event === 'job-completed');
    const info = e ? jobCompletedInfo(e) : undefined;
    if (info && !info.ok) this.o.logger?.warn('migration.job-event-unreadable', { id: run.id, error: info.error.message });
    return info?.ok && info.value.operation !== 'incoming-migration' ? info.value : undefined;
  }

  private async readCompleted(host: MigrationHostRef, domain: string): Promise<DomainJobInfo | undefined> {
    const r = await runCommand(this.o.hosts.exec(host), virshDomjobinfo(domain, { completed: true, keepCompleted: true }));
    return r.ok && r.value.type === 'completed' ? r.value : undefined;
  }

  private async completed(run: Running, jobEvent?: DomainJobInfo): Promise<MigrationEndPayload> {
    // virsh said it succeeded; believe it only when the destination really has the VM (running, or paused when
    // --suspend asked for that). A VM destroyed at the wrong moment must never be recorded as migrated.
    const dest = await runCommand(this.o.hosts.exec(run.destination), virshListAll());
    const there = dest.ok ? dest.value.find((d) => d.name === run.destinationName) : undefined;
    if (run.options.offline === true) {
      // Only the definition moved: defined there (in whatever state) is the success; libvirt keeps no job statistics.
      if (dest.ok && there === undefined) {
        return { state: 'failed', message: `virsh migrate --offline reported success, but ${run.destinationName} is not defined on ${run.destination.name}.` };
      }
      return {
        state: 'completed',
        message: `Offline migration completed: the definition of ${run.destinationName} is on ${run.destination.name}${there ? ` (${there.state.replace('-', ' ')})` : ''}. No memory was moved, so there are no job statistics.`,
        final: { readOn: 'none' },
      };
    }
    if (dest.ok && there?.state !== 'running' && there?.state !== 'paused') {
      const state = there === undefined ? 'not defined' : there.state;
      return {
        state: 'failed',
        message:
          run.vanished ??
          `virsh migrate reported success, but ${run.destinationName} is ${state} on ${run.destination.name}: the migration did not complete.`,
      };
    }
    const destFirst = run.options.undefineSource === true;
    const order: ['source' | 'destination', MigrationHostRef, string][] = [
      ['source', run.source, run.vm],
      ['destination', run.destination, run.destinationName],
    ];
    if (destFirst) order.reverse();
    const found: Partial<Record<'source' | 'destination', DomainJobInfo>> = {};
    // The source's own statistics as its job-completed event carried them: the real downtime, and after post-copy
    // the only copy libvirt keeps (the destination shows none; with --undefinesource the source forgets the VM).
    if (jobEvent) found.source = jobEvent;
    for (const [side, host, name] of jobEvent ? [] : order) {
      const info = await this.readCompleted(host, name);
      if (info) {
        found[side] = info;
        break;
      }
    }
    const info = found.source ?? found.destination;
    const readOn: MigrationFinalStats['readOn'] = found.source ? 'source' : found.destination ? 'destination' : 'none';
    const final: MigrationFinalStats = {
      readOn,
      ...(jobEvent ? { readVia: 'job-completed-event' as const } : {}),
      ...(info ? { info } : {}),
      ...optional('totalTimeMs', info?.timeElapsedMs),
      ...optional('downtimeMs', info?.totalDowntimeMs),
      ...optional('dataSentBytes', info?.dataProcessedBytes),
      ...optional('memoryTotalBytes', info?.memoryTotalBytes),
    };
    const where = `${run.destinationName} runs on ${run.destination.name}.`;
    const figures = info
      ? ` ${fmtMs(info.timeElapsedMs)} total, ${fmtMs(info.totalDowntimeMs)} downtime${readOn === 'destination' ? ' (as the destination measured it)' : ''}, ${fmtBytes(info.dataProcessedBytes)} sent.`
      : ' libvirt kept no completed statistics on either host.';
    return { state: 'completed', message: `Migration completed: ${where}${figures}`, final };
  }

  private async failed(run: Running, error: FerryError): Promise<MigrationEndPayload> {
    const text = `${error.message}\n${error.detail ?? ''}`;
    // "End of file while reading data" or no error line at all: the source libvirtd log says why.
    const detailed = EOF_MASK.test(text) ? await this.withLibvirtdLog(run, error) : error;
    if (run.vanished !== undefined) {
      return { state: 'failed', message: run.vanished, error: detailed };
    }
    if (run.abortRequested || ABORTED.test(text)) {
      return { state: 'aborted', message: `Migration aborted; ${run.vm} stays on ${run.source.name}.`, error: detailed };
    }
    // A VM destroyed mid-migration: the job had started, the command ends with libvirt's text, and the source no
    // longer runs the VM. (One that was never there fails with libvirt's "failed to get domain" below.)
    const src = run.lastJob ? await runCommand(this.o.hosts.exec(run.source), virshListAll()) : undefined;
    const onSource = src?.ok ? src.value.find((d) => d.name === run.vm) : undefined;
    if (src?.ok && onSource?.state !== 'running') {
      const dest = await runCommand(this.o.hosts.exec(run.destination), virshListAll());
      const onDest = dest.ok ? dest.value.find((d) => d.name === run.destinationName) : undefined;
      if (onDest?.state !== 'running') {
        const state = onSource === undefined ? 'is gone from' : `is ${onSource.state} on`;
        return {
          state: 'failed',
          message: `${run.vm} ${state} ${run.source.name} and is not running on ${run.destination.name}: it stopped during the migration. libvirt said: ${firstErrorLine(error)}`,
          error: detailed,
        };
      }
    }
    return { state: 'failed', message: `Migration failed: ${firstErrorLine(detailed)}`, error: detailed };
  }

  private async withLibvirtdLog(run: { readonly source: MigrationHostRef; readonly startedWall: number }, error: FerryError): Promise<FerryError> {
    const cmd = libvirtdLogTail(200);
    const log = cmd.ok ? await runCommand(this.o.hosts.exec(run.source), cmd.value) : cmd;
    const lines = log.ok ? libvirtdErrorLines(log.value, run.startedWall - 2000) : [];
    if (lines.length === 0) return error;
    return {
      ...error,
      detail: `${error.detail ?? ''}\n--- ${run.source.name}:/var/log/libvirt/libvirtd.log (error lines since the start, most recent last):\n${lines.join('\n')}`.trim(),
    };
  }

  // ---- controls -----------------------------------------------------------------------------------------------

  /** Sends one control to a running migration (it acts on the domain, whoever started the job); journalled either way. */
  async control(id: string, control: MigrationControl): Promise<Result<void, FerryError>> {
    const run = this.running.get(id);
    if (!run) {
      const rec = this.store.get(id);
      if (rec?.state === 'post-copy-interrupted') return this.controlSplit(rec, control);
      return err(ferryError('input.invalid', `Migration ${id} is not running.`));
    }
    let cmd: Result<Command<void>, FerryError>;
    switch (control.kind) {
      case 'set-speed':
        cmd = migrateSetSpeed(run.vm, control.mibPerSecond);
        break;
      case 'set-max-downtime':
        cmd = migrateSetMaxDowntime(run.vm, control.ms);
        break;
      case 'postcopy':
        cmd =
          run.options.postcopy === true
            ? migratePostcopy(run.vm)
            : err(ferryError('input.invalid', 'Switching to post-copy needs a migration started with the post-copy option.'));
        break;
      case 'abort':
        run.abortRequested = true;
        cmd = domjobAbort(run.vm);
        break;
      case 'resume-postcopy':
        // A run being followed is not interrupted: there is nothing to resume.
        cmd = err(ferryError('input.invalid', 'Only a migration interrupted in post-copy can be resumed; this one is running.'));
        break;
    }
    if (!cmd.ok) {
      await this.event(run, { kind: 'control-failed', message: cmd.error.message, control, error: cmd.error });
      return cmd;
    }
    // Through the source's virsh session when there is one: it is open for the samples anyway, and a pooled
    // connection carries at most 10 channels, so with 9 migrations from one host (a channel each for their
    // `virsh migrate`) plus the session, a control on an exec channel would queue until a migration ends.
    const r = await runCommand(this.sessions.get(run.source.address)?.runner ?? this.o.hosts.exec(run.source), cmd.value);
    if (!r.ok && control.kind === 'abort') run.abortRequested = false;
    if (r.ok && control.kind === 'postcopy') this.notePostcopy(run, this.wallClock(), 'virsh migrate-postcopy was applied');
    await this.event(
      run,
      r.ok
        ? { kind: 'control', message: describeControl(control), control }
        : { kind: 'control-failed', message: `${describeControl(control)} failed: ${firstErrorLine(r.error)}`, control, error: r.error },
    );
    return r;
  }

  /**
   * A control on a record interrupted in post-copy: the resume starts `virsh migrate --postcopy-resume` and follows
   * it like a migration under the same record (sampling, the job-completed event, its end); anything else is
   * refused (an abort would lose the split VM) and journalled as refused.
   */
  private async controlSplit(rec: MigrationRecord, control: MigrationControl): Promise<Result<void, FerryError>> {
    const s = rec.start;
    if (!s) return err(ferryError('input.invalid', 'The start of this migration is missing from the history, so it cannot be resumed.'));
    const job = jobOf(rec, s);
    const place: SplitPlace = job;
    const refuse = async (e: FerryError): Promise<Result<void, FerryError>> => {
      await this.event(rec, { kind: 'control-failed', message: e.message, control, error: e });
      return err(e);
    };
    if (control.kind !== 'resume-postcopy') return refuse(splitControlRefusal(place, control));
    if (this.disposed) return err(ferryError('input.invalid', 'Ferry is shutting down.'));
    const plan = resumePlan(rec);
    if (!plan.ok) return refuse(plan.error);
    const run: Running = followedRun(rec, s, job, { abortRequested: false, transferSeen: true, reattached: false, postcopyNoted: true, resume: true });
    this.running.set(run.id, run); // before the first await: a second resume meanwhile finds it running
    await this.durableEvent(run.id, resumeEvent(place, plan.value));
    this.listenJobCompleted(run);
    this.sample(run, clampInterval(s.intervalMs), rec.samples.reduce((m, x) => Math.max(m, x.seq), -1) + 1);
    run.done = this.drive(run, plan.value.command, []);
    return ok(undefined);
  }

  /** Changes the sampling period of a running migration (100..10000 ms). */
  setSampleInterval(id: string, ms: number): Result<void, FerryError> {
    const run = this.running.get(id);
    if (!run?.sampler) return err(ferryError('input.invalid', `Migration ${id} is not running.`));
    run.sampler.setInterval(clampInterval(ms));
    return ok(undefined);
  }

  // ---- reconciliation after a restart, and following a job again ------------------------------------------------

  /**
   * For every record without an end (Ferry stopped while it ran) and every 'unknown' an earlier reconciliation wrote,
   * asks the source's long-lived virsh session for the job. Still migrating: the record is followed again (a
   * 'reattached' event; sampling resumes into it; its end is written when the job is gone). Otherwise a 'reconcile'
   * line says how it ended, from where the VM runs and the completed statistics (decideEnd). Returns the records as
   * they stand (a re-attached one is 'running'); does not wait for re-attached jobs to end (settled(id) does).
   */
  async reconcile(): Promise<readonly MigrationRecord[]> {
    const open = this.store
      .all()
      .filter(
        (r) =>
          !this.running.has(r.id) &&
          (r.state === 'running' || r.state === 'post-copy-interrupted' || (r.end?.reconciled === true && r.state === 'unknown')),
      );
    const out: MigrationRecord[] = [];
    for (const rec of open) {
      if (this.disposed) break;
      const s = rec.start;
      if (!s) {
        await this.writeReconcile(rec.id, { state: 'unknown', message: 'The start of this migration is missing from the history; it cannot be checked.' });
      } else {
        const job = jobOf(rec, s);
        if (s.options['postcopy'] === true && !(await this.reconcileSplit(rec, job))) {
          const now = this.store.get(rec.id);
          if (now) out.push(now);
          continue;
        }
        const session = this.acquireSession(s.source);
        let decision: EndDecision;
        try {
          decision = decideEnd(await this.gatherFacts(job, session), 'reconcile');
        } catch (e) {
          this.releaseSession(s.source);
          throw e;
        }
        if (decision.kind === 'running') {
          await this.reattach(rec, s, job, session);
        } else {
          this.releaseSession(s.source);
          await this.writeReconcile(rec.id, await this.withLogIfFailed(job, decision.end));
        }
      }
      const now = this.store.get(rec.id);
      if (now) out.push(now);
    }
    return out;
  }

  /**
   * A run allowed to switch, at a start of Ferry: a split VM is (or stays) `post-copy-interrupted` (an event, never
   * an end); false then. True: ask the hosts as for any other run (postcopy-recovery.ts, reconcilePostcopy).
   */
  private async reconcileSplit(rec: MigrationRecord, job: FollowedJob): Promise<boolean> {
    const reading = await readSplit((h) => this.o.hosts.exec(h), job);
    const decision = reconcilePostcopy(rec, reading);
    const split = splitOf(reading);
    if (decision === 'note-interrupted' && split) await this.durableEvent(rec.id, interruptedEvent(job, split, 'restart', undefined, heldOnSource(job, reading)));
    return decision === 'ask-hosts';
  }

  private async writeReconcile(id: string, end: MigrationEndPayload): Promise<void> {
    const at = this.wallClock();
    await this.write('reconcile', id, 'reconcile', end, at);
    this.emit({ kind: 'ended', id, at, end, reconciled: true });
  }

  /** What decideEnd needs, asked of both hosts at once; the source's job through `jobVia` (its virsh session). */
  private async gatherFacts(job: FollowedJob, jobVia: CommandRunner): Promise<EndFacts> {
    const exec = (h: MigrationHostRef) => this.o.hosts.exec(h);
    const kept = { completed: true, keepCompleted: true } as const;
    const [current, sourceList, destinationList, sourceCompleted, destinationCompleted] = await Promise.all([
      runCommand(jobVia, virshDomjobinfo(job.vm)),
      runCommand(exec(job.source), virshListAll()),
      runCommand(exec(job.destination), virshListAll()),
      runCommand(exec(job.source), virshDomjobinfo(job.vm, kept)),
      runCommand(exec(job.destination), virshDomjobinfo(job.destinationName, kept)),
    ]);
    return {
      ...job,
      job: current,
      sourceList,
      destinationList,
      ...(sourceCompleted.ok ? { sourceCompleted: sourceCompleted.value } : {}),
      ...(destinationCompleted.ok ? { destinationCompleted: destinationCompleted.value } : {}),
    };
  }

  /** A failure's detail gets the source libvirtd log's error lines since the start (libvirt's own words). */
  private async withLogIfFailed(job: FollowedJob, end: MigrationEndPayload): Promise<MigrationEndPayload> {
    if (end.state !== 'failed') return end;
    const error = await this.withLibvirtdLog(job, end.error ?? ferryError('libvirt.error', end.message));
    return { ...end, error };
  }

  /** Follows a job found still running after a restart: same record, same session, samples continue its sequence. */
  private async reattach(rec: MigrationRecord, s: MigrationStartPayload, job: FollowedJob, session: VirshRunner): Promise<void> {
    const run: Running = followedRun(rec, s, job, {
      abortRequested: job.abortRequested,
      transferSeen: rec.samples.some((x) => x.info?.memoryTotalBytes !== undefined),
      reattached: true,
      postcopyNoted: rec.events.some((e) => e.kind === 'post-copy'),
    });
    run.done = new Promise<void>((resolve) => (run.resolveDone = resolve));
    this.running.set(run.id, run);
    await this.event(run, {
      kind: 'reattached',
      message: `Found still migrating from ${run.source.name} to ${run.destination.name} after a restart (libvirt carried on with the job while Ferry was not running): followed again.`,
    });
    if (run.detached) return; // disposed meanwhile: dispose() has noted it
    const lastSeq = rec.samples.reduce((m, x) => Math.max(m, x.seq), -1);
    run.sampler = startJobSampler({
      runner: session,
      domain: run.vm,
      intervalMs: clampInterval(s.intervalMs),
      clock: this.clock,
      wallClock: this.wallClock,
      firstSeq: lastSeq + 1,
      onSample: (x) => this.onSample(run, x),
      onCrash: (e) => {
        this.o.logger?.warn('migration.sampler-crashed', { id: run.id, error: String(e) });
        void this.event(run, { kind: 'warning', message: `Sampling stopped after an internal error: ${String(e)}` });
      },
    });
  }

  /** A re-attached run's source shows no job (or no running domain): decide from the hosts whether it ended. */
  private async checkReattachedEnd(run: Running): Promise<void> {
    if (run.checkingEnd || run.ended || run.detached) return;
    run.checkingEnd = true;
    try {
      const job: FollowedJob = {
        vm: run.vm,
        destinationName: run.destinationName,
        source: run.source,
        destination: run.destination,
        undefineSource: run.options.undefineSource === true,
        suspend: run.options.suspend === true,
        abortRequested: run.abortRequested,
        startedWall: run.startedWall,
      };
      const via = this.sessions.get(run.source.address)?.runner ?? this.o.hosts.exec(run.source);
      const facts = await this.gatherFacts(job, via);
      if (run.ended || run.detached) return;
      // Mid switch-over the VM is paused on one side for a moment; a VM that stays paused must not keep the
      // record open for ever: after a few checks it is judged as a restart would judge it.
      run.endChecks = (run.endChecks ?? 0) + 1;
      const decision = decideEnd(facts, run.endChecks > 5 ? 'reconcile' : 'followed');
      if (decision.kind === 'running') {
        run.noDomainStreak = 0;
        return;
      }
      run.sampler?.stop();
      this.releaseSession(run.source);
      await this.finish(run, await this.withLogIfFailed(job, decision.end));
      run.resolveDone?.();
    } catch (e) {
      this.o.logger?.warn('migration.end-check-failed', { id: run.id, error: String(e) });
      if (run.ended) run.resolveDone?.(); // the end could not be journalled: nobody should wait for it for ever
    } finally {
      run.checkingEnd = false;
    }
  }

  /**
   * Ferry is quitting: stops sampling and the commands' channels, and journals a 'detached' event for each running
   * migration instead of an end (libvirtd carries on with a p2p job whose client went away: see the module comment).
   * The next start's reconcile() follows them again or settles them.
   */
  async dispose(): Promise<void> {
    this.disposed = true;
    for (const run of this.running.values()) {
      if (run.ended) continue;
      run.detached = true;
      run.sampler?.stop();
      if (run.reattached) {
        this.releaseSession(run.source);
        run.done = this.event(run, detachedEvent(run)).then(() => {
          this.running.delete(run.id);
          run.resolveDone?.();
        });
      } else {
        run.command.abort();
      }
    }
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    await Promise.allSettled([...this.sessions.values()].map((s) => s.runner.close()));
    this.sessions.clear();
  }
}

/** The migrate command's spec for a start request (the one place the destination's user and port go in). */
function migrateSpecOf(req: StartMigration): MigrateSpec {
  return {
    domain: req.vm,
    destinationHost: req.destination.address,
    options: req.options,
    ...(req.destinationUser !== undefined ? { destinationUser: req.destinationUser } : {}),
    ...(req.destinationPort !== undefined ? { destinationPort: req.destinationPort } : {}),
  };
}

/** A migration as reconciliation and following know it (from its start line and events). */
interface FollowedJob {
  readonly vm: string;
  readonly destinationName: string;
  readonly source: MigrationHostRef;
  readonly destination: MigrationHostRef;
  readonly undefineSource: boolean;
  readonly suspend: boolean;
  /** An abort was sent (and libvirt took it). */
  readonly abortRequested: boolean;
  readonly startedWall: number;
}

/** A run followed from its journal (re-attached after a restart, or resumed after a post-copy break). */
function followedRun(
  rec: MigrationRecord,
  s: MigrationStartPayload,
  job: FollowedJob,
  how: Pick<Running, 'abortRequested' | 'transferSeen' | 'reattached' | 'postcopyNoted'> & { readonly resume?: true },
): Running {
  return {
    id: rec.id,
    vm: job.vm,
    destinationName: job.destinationName,
    source: job.source,
    destination: job.destination,
    options: s.options as MigrationOptions,
    startedWall: job.startedWall,
    command: new AbortController(),
    noDomainStreak: 0,
    ended: false,
    done: Promise.resolve(),
    detached: false,
    checkingEnd: false,
    watch: new AbortController(),
    ...how,
  };
}

function jobOf(rec: MigrationRecord, s: MigrationStartPayload): FollowedJob {
  const o = s.options;
  return {
    vm: s.vm,
    destinationName: typeof o['dname'] === 'string' ? o['dname'] : s.vm,
    source: s.source,
    destination: s.destination,
    undefineSource: o['undefineSource'] === true,
    suspend: o['suspend'] === true,
    abortRequested: rec.events.some((e) => e.kind === 'control' && e.control?.kind === 'abort'),
    startedWall: rec.startedAt ?? 0,
  };
}

function detachedEvent(run: Running): MigrationEventPayload {
  return {
    kind: 'detached',
    message: `Ferry stopped while ${run.vm} was migrating from ${run.source.name}; libvirt carries on with the job, and Ferry follows it again at its next start.`,
  };
}

/** What the hosts said about a migration whose client (Ferry) may have gone away. */
export interface EndFacts extends FollowedJob {
  /** `domjobinfo` of the VM on the source, now. */
  readonly job: Result<DomainJobInfo, FerryError>;
  readonly sourceList: Result<readonly DomainListEntry[], FerryError>;
  readonly destinationList: Result<readonly DomainListEntry[], FerryError>;
  /** `domjobinfo --completed --keep-completed` on each side, when it answered. */
  readonly sourceCompleted?: DomainJobInfo;
  readonly destinationCompleted?: DomainJobInfo;
}

export type EndDecision = { readonly kind: 'running' } | { readonly kind: 'ended'; readonly end: MigrationEndPayload };

/**
 * How a migration stands, from the hosts' answers. Pure.
 * - The source still has an outgoing migration job: running (followed: also a job whose Operation line is not
 *   printed yet).
 * - The destination runs the VM (paused counts with --suspend) and the source does not: completed, with the
 *   completed statistics of the source (of the destination first after --undefinesource: the source no longer knows
 *   the VM), those of the other side as the fall-back; statistics of another kind of job are not taken.
 * - Still on the source only: aborted when an abort was sent or libvirt says the job was cancelled; else failed,
 *   with libvirt's error message when it kept one.
 * - On both: unknown (check them). On neither: followed, a pause on either side is the switch-over (running);
 *   else unknown, with what each host says.
 * - A host that cannot be asked: followed, ask again later (running); at a restart, unknown with the reason.
 */
export function decideEnd(f: EndFacts, mode: 'reconcile' | 'followed'): EndDecision {
  const running: EndDecision = { kind: 'running' };
  const ended = (end: MigrationEndPayload): EndDecision => ({ kind: 'ended', end });
  const after = mode === 'reconcile' ? ' after a restart' : '';
  if (f.job.ok && isRunningJob(f.job.value)) {
    const op = f.job.value.operation;
    if (op === 'outgoing-migration' || (mode === 'followed' && op === undefined)) return running;
  }
  if (!f.sourceList.ok || !f.destinationList.ok) {
    if (mode === 'followed') return running;
    const reason = (host: MigrationHostRef, r: Result<readonly DomainListEntry[], FerryError>) => (r.ok ? '' : `${host.name} could not be asked (${r.error.message}). `);
    return ended({ state: 'unknown', message: `${reason(f.source, f.sourceList)}${reason(f.destination, f.destinationList)}Check where ${f.vm} runs.`.trim() });
  }
  const srcState = f.sourceList.value.find((d) => d.name === f.vm)?.state;
  const dstState = f.destinationList.value.find((d) => d.name === f.destinationName)?.state;
  const onSource = srcState === 'running';
  const arrived = dstState === 'running' || (f.suspend && dstState === 'paused');
  if (arrived && !onSource) {
    const fromSource = f.sourceCompleted?.type === 'completed' && f.sourceCompleted.operation !== 'incoming-migration' ? f.sourceCompleted : undefined;
    const fromDestination =
      f.destinationCompleted?.type === 'completed' && f.destinationCompleted.operation !== 'outgoing-migration' ? f.destinationCompleted : undefined;
    const info = f.undefineSource ? (fromDestination ?? fromSource) : (fromSource ?? fromDestination);
    const readOn: MigrationFinalStats['readOn'] = info === undefined ? 'none' : info === fromSource ? 'source' : 'destination';
    const figures = info
      ? ` ${fmtMs(info.timeElapsedMs)} total, ${fmtMs(info.totalDowntimeMs)} downtime${readOn === 'destination' ? ' (as the destination measured it)' : ''}, ${fmtBytes(info.dataProcessedBytes)} sent.`
      : ' libvirt kept no completed statistics on either host.';
    return ended({
      state: 'completed',
      message: `Migration completed: ${f.destinationName} runs on ${f.destination.name} (found${after} by asking the hosts).${figures}`,
      final: {
        readOn,
        ...(info ? { info } : {}),
        ...optional('totalTimeMs', info?.timeElapsedMs),
        ...optional('downtimeMs', info?.totalDowntimeMs),
        ...optional('dataSentBytes', info?.dataProcessedBytes),
        ...optional('memoryTotalBytes', info?.memoryTotalBytes),
      },
    });
  }
  if (onSource && !arrived) {
    const done = f.sourceCompleted;
    if (f.abortRequested || done?.type === 'cancelled') {
      return ended({ state: 'aborted', message: `Migration aborted; ${f.vm} stays on ${f.source.name}.` });
    }
    if (done?.type === 'failed') {
      const text = done.errorMessage ?? 'libvirt recorded the job as failed without a message';
      return ended({
        state: 'failed',
        message: `Migration failed: ${text}. ${f.vm} still runs on ${f.source.name}.`,
        error: ferryError('libvirt.error', `Migration failed: ${text}`, done.errorMessage),
      });
    }
    const message = `${f.vm} still runs on ${f.source.name} with no migration job${after}: the migration did not complete, and libvirt kept no error text for it.`;
    return ended({ state: 'failed', message, error: ferryError('libvirt.error', message) });
  }
  if (onSource && arrived) {
    return ended({ state: 'unknown', message: `${f.vm} runs on both ${f.source.name} and ${f.destination.name}: check them before anything else.` });
  }
  if (mode === 'followed' && (srcState === 'paused' || dstState === 'paused')) return running;
  const said = (state: DomainState | undefined) => (state === undefined ? 'not defined' : state);
  return ended({
    state: 'unknown',
    message: `${f.vm} runs on neither ${f.source.name} (${said(srcState)}) nor ${f.destination.name} (${said(dstState)}): it stopped during the migration or was moved by someone else, so Ferry cannot tell how the migration ended.`,
  });
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function optional<K extends string>(key: K, v: number | undefined): { [P in K]?: number } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: number };
}

function firstErrorLine(e: FerryError): string {
  const line = e.detail?.split('\n').find((l) => l.startsWith('error:'));
  return line ?? e.message;
}

function describeControl(c: MigrationControl): string {
  switch (c.kind) {
    case 'set-speed':
      return `Bandwidth cap set to ${c.mibPerSecond} MiB/s`;
    case 'set-max-downtime':
      return `Max downtime set to ${c.ms} ms`;
    case 'postcopy':
      return 'Switched to post-copy';
    case 'abort':
      return 'Abort requested';
    case 'resume-postcopy':
      return 'Post-copy resume requested';
  }
}

function fmtMs(ms: number | undefined): string {
  if (ms === undefined) return '? ms';
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}

function fmtBytes(b: number | undefined): string {
  if (b === undefined) return '? bytes';
  return `${(b / 1048576).toFixed(1)} MiB`;
}
