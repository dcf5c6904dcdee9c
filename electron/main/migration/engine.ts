/**
 * The migration engine: starts `virsh migrate` on the SOURCE host (p2p: the source's libvirtd connects to the
 * destination itself), samples `virsh domjobinfo` through ONE long-lived virsh session per source host, journals
 * every sample and event (journal.ts: fdatasync per line), applies controls, reads the end from the hosts, and after
 * a restart reconciles the migrations the journal shows without an end by asking the hosts.
 *
 * This class holds the runs in progress and drives each one's life; the seams it composes each say what they found:
 * - admission.ts: whether a migration may start (split VMs, one per VM and host, SSH channels per source host) and
 *   its warning (the source's libvirtd workers);
 * - virsh-sessions.ts: the sources' long-lived virsh sessions, counted by their users;
 * - sampling.ts: what each sample means for its run (the transfer starting, post-copy seen, the VM gone);
 * - end.ts: how a run ended (completed statistics, the job-completed event of post-copy runs, libvirt's words behind
 *   "End of file", decideEnd for a job whose client went away);
 * - controls.ts: the controls' commands; reattach.ts: a job followed again after a restart;
 * - postcopy-recovery.ts: a post-copy run whose connection broke (the VM split), and its resume;
 * - recorder.ts: the journal, the records rebuilt from it, and the updates to the watchers.
 *
 * Post-copy: the switch is journalled as a 'post-copy' event (the control applied, or a sample showing pages fetched
 * on demand); sampling goes on, and 'post-copy-ended' marks the end. At the default post-copy bandwidth the phase
 * lasted ~2 s on the lab, and the source's one domjobinfo asked in it answered only at the end ("domain is not
 * running"): such a phase has its events only. Broken after the switch, both halves say `post-copy failed`: the record
 * gets a 'post-copy-interrupted' event instead of an end, refuses every control but the resume, and is followed again
 * under the same id when resumed.
 *
 * A VM destroyed while the command still runs is ended without waiting (sampling.ts). Ferry quitting (dispose) does
 * not end a record: the p2p job is libvirtd's and goes on (reattach.ts).
 *
 * Side effects come in as parameters (hosts' runners, journal, clocks, ids), so the logic runs in plain Node tests.
 */
import { randomUUID } from 'node:crypto';
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import type { Command } from '../../../shared/commands';
import { commandLine as migrationCommandLine, migrationCommands, type MigrateOutcome } from '../../../shared/commands/migrate';
import { runCommand, type CommandRunner } from '../remote/run-command';
import type { VirshRunner } from '../remote/ssh-runner';
import { startJobSampler, clampInterval, type JobSample } from '../sampler/job-sampler';
import { systemClock, type Clock } from '../clock';
import type { Journal } from './journal';
import type { MigrationControl, MigrationEndPayload, MigrationEventPayload, MigrationHostRef, MigrationRecord } from './record';
import { admit, DEFAULT_SOURCE_CHANNELS, migrateSpecOf, startPayloadOf, type StartMigration } from './admission';
import { controlCommand, describeControl } from './controls';
import { completedEnd, failedEnd, firstErrorLine, listenJobCompleted, takeJobCompleted, vanishedReason } from './end';
import { MigrationRecorder, type EngineLogger, type MigrationUpdate } from './recorder';
import { checkFollowedEnd, reattachedEvent, reconcileRecord, type FollowEndDeps } from './reattach';
import { detachedEvent, followedRun, jobOf, nextSeq, startedRun, type HostExec, type Running } from './run';
import { samplePayload, stepSample } from './sampling';
import { VirshSessions } from './virsh-sessions';
import {
  heldOnSource,
  interruptedEvent,
  readSplit,
  resumeEvent,
  resumeFailedEvent,
  resumePlan,
  splitControlRefusal,
  splitOf,
} from './postcopy-recovery';

export type { StartMigration } from './admission';
export type { EngineLogger, MigrationUpdate } from './recorder';

/** How the engine reaches hosts. The composition root builds it over the SSH pool (execRunner / virshRunner). */
export interface EngineHostAccess {
  /** Each command on its own exec channel of the pooled connection. */
  exec(host: MigrationHostRef): CommandRunner;
  /** A long-lived virsh session; the engine keeps one per source host while migrations from it run, then closes it. */
  openVirsh(host: MigrationHostRef): VirshRunner;
}

export interface MigrationEngineOptions {
  readonly journal: Journal;
  readonly hosts: EngineHostAccess;
  readonly clock?: Clock;
  readonly wallClock?: () => number;
  readonly newId?: () => string;
  readonly logger?: EngineLogger;
  /**
   * SSH channels the hosts' pool opens to one host at most (SshPool.channelsPerTarget; default: the pool's default,
   * 80). A start that would need more is refused, with the reason (admission.ts).
   */
  readonly sourceChannels?: number;
}

const shuttingDown = (): Result<never, FerryError> => err(ferryError('input.invalid', 'Ferry is shutting down.'));

export class MigrationEngine {
  private readonly clock: Clock;
  private readonly wallClock: () => number;
  private readonly newId: () => string;
  private readonly exec: HostExec;
  private readonly recorder: MigrationRecorder;
  private readonly sessions: VirshSessions;
  private readonly running = new Map<string, Running>();
  /** What following a job again needs (reattach.ts). */
  private readonly follow: FollowEndDeps;
  private disposed = false;

  constructor(private readonly o: MigrationEngineOptions) {
    this.clock = o.clock ?? systemClock;
    this.wallClock = o.wallClock ?? Date.now;
    this.newId = o.newId ?? (() => `m-${randomUUID()}`);
    this.exec = (h) => o.hosts.exec(h);
    this.recorder = new MigrationRecorder(o.journal, this.wallClock, o.logger);
    this.sessions = new VirshSessions((h) => o.hosts.openVirsh(h));
    const logger = o.logger ? { logger: o.logger } : {};
    this.follow = { exec: this.exec, sessions: this.sessions, recorder: this.recorder, finish: (r, end) => this.finish(r, end), ...logger };
  }

  /** Problems the journal had when it was opened (torn tail, corrupt lines), for the start-up problems list. */
  journalProblems(): readonly FerryError[] {
    return this.o.journal.initial.problems.map((p) => p.error);
  }

  onUpdate(listener: (u: MigrationUpdate) => void): () => void {
    return this.recorder.onUpdate(listener);
  }

  /**
   * The migrations this engine holds whole (samples included), oldest first: those open at start and those written to
   * since. The rest of the history is the journal's (Journal.heads, Journal.readRecord).
   */
  records(): readonly MigrationRecord[] {
    return this.recorder.store.all();
  }

  record(id: string): MigrationRecord | undefined {
    return this.recorder.store.get(id);
  }

  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  /** Resolves once the migration has ended (its end line is on disk); at once when it is not running. */
  async settled(id: string): Promise<MigrationRecord | undefined> {
    await this.running.get(id)?.done;
    return this.recorder.store.get(id);
  }

  private event(r: { readonly id: string }, event: MigrationEventPayload, at?: number): Promise<void> {
    return this.recorder.event(r.id, event, at);
  }

  // ---- start --------------------------------------------------------------------------------------------------

  /**
   * Starts a migration and returns its id once the start is journalled. A command that cannot be built (invalid
   * options) is refused here, before anything runs or is recorded.
   */
  async start(req: StartMigration): Promise<Result<{ readonly id: string; readonly commandLine: string }, FerryError>> {
    if (this.disposed) return shuttingDown();
    const spec = migrateSpecOf(req);
    const cmds = migrationCommands(spec);
    if (!cmds.ok) return cmds;
    const line = migrationCommandLine(spec);
    if (!line.ok) return line;
    const admitted = admit(req, this.running.values(), this.recorder.store.all(), this.o.sourceChannels ?? DEFAULT_SOURCE_CHANNELS);
    if (!admitted.ok) return admitted;
    const id = this.newId();
    const commandLine = line.value;
    const start = startPayloadOf(req, cmds.value.migrate.argv, commandLine);
    const at = this.wallClock();
    await this.recorder.started(id, start, at);

    const run = startedRun(id, req, at);
    this.running.set(id, run);
    if (admitted.value.warning !== undefined) void this.event(run, { kind: 'warning', message: admitted.value.warning });
    // An offline migration moves the definition only: no job to sample; it ends when virsh exits.
    if (req.options.offline === true) {
      run.done = this.drive(run, cmds.value.migrate, []);
      return ok({ id, commandLine });
    }
    if (req.options.postcopy === true) listenJobCompleted(this.exec, run);
    this.sample(run, this.sessions.acquire(run.source), start.intervalMs, 0);
    run.done = this.drive(run, cmds.value.migrate, cmds.value.afterStart);
    return ok({ id, commandLine });
  }

  /**
   * Records an attempt pre-flight refused: its start (with the checks) and its end (`refused`) at once, so the history
   * shows it and a restart reads it back. Nothing runs on the hosts.
   */
  async refuse(req: StartMigration, message: string): Promise<Result<{ readonly id: string }, FerryError>> {
    if (this.disposed) return shuttingDown();
    const spec = migrateSpecOf(req);
    const cmds = migrationCommands(spec);
    const line = migrationCommandLine(spec);
    const id = this.newId();
    const at = this.wallClock();
    await this.recorder.started(id, startPayloadOf(req, cmds.ok ? cmds.value.migrate.argv : [], line.ok ? line.value : ''), at);
    await this.recorder.ended(id, { state: 'refused', message, wallMs: 0 }, at);
    return ok({ id });
  }

  // ---- sampling -----------------------------------------------------------------------------------------------

  /** Samples the source's job through its virsh session (the run holds a share of it until it ends). */
  private sample(run: Running, session: VirshRunner, intervalMs: number, firstSeq: number): void {
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

  private onSample(run: Running, s: JobSample): void {
    if (run.ended || run.detached) return;
    this.recorder.sample(run.id, s.at, samplePayload(s));
    for (const action of stepSample(run, s)) {
      switch (action) {
        case 'postcopy-seen':
          this.notePostcopy(run, s.at, 'a sample shows pages fetched on demand');
          break;
        case 'transfer-started':
          void this.event(run, { kind: 'phase', message: 'Memory transfer started.' });
          break;
        case 'check-followed-end':
          void checkFollowedEnd(this.follow, run);
          break;
        case 'check-vanished':
          void this.checkVanished(run);
          break;
      }
    }
  }

  /** The source no longer knows the VM while `virsh migrate` still runs: vanished, unless the destination runs it. */
  private async checkVanished(run: Running): Promise<void> {
    const vanished = await vanishedReason(this.exec, run);
    if (run.ended || vanished === undefined) return;
    run.vanished = vanished;
    void this.event(run, { kind: 'vm-vanished', message: vanished });
    run.command.abort();
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

  // ---- the migrate command and its end --------------------------------------------------------------------------

  private async drive(run: Running, migrate: Command<MigrateOutcome>, afterStart: readonly Command<void>[]): Promise<void> {
    const exec = this.exec(run.source);
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
    if (run.sampler !== undefined) this.sessions.release(run.source);
    // Only a job that completed sends the event: a failed or detached run does not wait for it.
    const jobEvent = await takeJobCompleted(run, result.ok && !run.detached, this.clock, this.o.logger);
    if (run.detached) {
      // Ferry is quitting. The job is libvirtd's and goes on (reattach.ts): no end, a note instead.
      await this.event(run, detachedEvent(run));
      this.running.delete(run.id);
      return;
    }
    try {
      // A run allowed to switch may have switched between two samples (--timeout-postcopy, --postcopy-after-precopy):
      // any failure of one asks both hosts whether the VM is split before anything is settled.
      const reading = !result.ok && run.options.postcopy === true ? await readSplit(this.exec, run) : undefined;
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
      const end = result.ok ? await completedEnd(this.exec, run, jobEvent) : await failedEnd(this.exec, run, result.error);
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
    await this.recorder.durableEvent(run.id, event);
  }

  private async finish(run: Running, end: MigrationEndPayload): Promise<void> {
    run.ended = true;
    this.running.delete(run.id);
    const at = this.wallClock();
    await this.recorder.ended(run.id, { ...end, wallMs: at - run.startedWall }, at);
  }

  // ---- controls -----------------------------------------------------------------------------------------------

  /** Sends one control to a running migration (it acts on the domain, whoever started the job); journalled either way. */
  async control(id: string, control: MigrationControl): Promise<Result<void, FerryError>> {
    const run = this.running.get(id);
    if (!run) {
      const rec = this.recorder.store.get(id);
      if (rec?.state === 'post-copy-interrupted') return this.controlSplit(rec, control);
      return err(ferryError('input.invalid', `Migration ${id} is not running.`));
    }
    if (control.kind === 'abort') run.abortRequested = true;
    const cmd = controlCommand(run, control);
    if (!cmd.ok) {
      await this.event(run, { kind: 'control-failed', message: cmd.error.message, control, error: cmd.error });
      return cmd;
    }
    // Through the source's virsh session when there is one: it is open for the samples anyway, while an exec
    // channel may first need another pooled connection (each `virsh migrate` holds a channel; one carries 10).
    const r = await runCommand(this.sessions.current(run.source) ?? this.exec(run.source), cmd.value);
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
    const refuse = async (e: FerryError): Promise<Result<void, FerryError>> => {
      await this.event(rec, { kind: 'control-failed', message: e.message, control, error: e });
      return err(e);
    };
    if (control.kind !== 'resume-postcopy') return refuse(splitControlRefusal(job, control));
    if (this.disposed) return shuttingDown();
    const plan = resumePlan(rec);
    if (!plan.ok) return refuse(plan.error);
    const run = followedRun(rec, s, job, { abortRequested: false, transferSeen: true, reattached: false, postcopyNoted: true, resume: true });
    this.running.set(run.id, run); // before the first await: a second resume meanwhile finds it running
    await this.recorder.durableEvent(run.id, resumeEvent(job, plan.value));
    listenJobCompleted(this.exec, run);
    this.sample(run, this.sessions.acquire(run.source), clampInterval(s.intervalMs), nextSeq(rec));
    run.done = this.drive(run, plan.value.command, []);
    return ok(undefined);
  }

  /**
   * Journals a note on a migration, running or ended (a trial pre-copy's stop and the checks after its abort), so the
   * history shows what Ferry did on the hosts and why.
   */
  async note(id: string, event: MigrationEventPayload): Promise<Result<void, FerryError>> {
    if (!this.recorder.store.has(id)) return err(ferryError('input.invalid', `No migration ${id} in this Ferry's records.`));
    await this.recorder.durableEvent(id, event);
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
    const open = this.recorder.store
      .all()
      .filter(
        (r) =>
          !this.running.has(r.id) &&
          (r.state === 'running' || r.state === 'post-copy-interrupted' || (r.end?.reconciled === true && r.state === 'unknown')),
      );
    const out: MigrationRecord[] = [];
    for (const rec of open) {
      if (this.disposed) break;
      const r = await reconcileRecord(this.follow, rec);
      if (r.kind === 'follow') await this.reattach(r.run, r.session, clampInterval(r.intervalMs), nextSeq(rec));
      const now = this.recorder.store.get(rec.id);
      if (now) out.push(now);
    }
    return out;
  }

  /** Follows a job found still running after a restart: same record, same session, samples continue its sequence. */
  private async reattach(run: Running, session: VirshRunner, intervalMs: number, firstSeq: number): Promise<void> {
    this.running.set(run.id, run);
    await this.event(run, reattachedEvent(run));
    if (run.detached) return; // disposed meanwhile: dispose() has noted it
    this.sample(run, session, intervalMs, firstSeq);
    // A trial pre-copy is never left running: its watcher went with the Ferry that started it, and followed to its
    // end it would move the VM (or run on at the cap for ever).
    if (this.recorder.store.get(run.id)?.start?.purpose === 'trial') {
      await this.event(run, { kind: 'trial', message: `Trial pre-copy found still running after a restart: aborting it (a trial never moves ${run.vm}).` });
      await this.control(run.id, { kind: 'abort' });
    }
  }

  /**
   * Ferry is quitting: stops sampling and the commands' channels, and journals a 'detached' event for each running
   * migration instead of an end (libvirtd carries on with a p2p job whose client went away: see reattach.ts).
   * The next start's reconcile() follows them again or settles them.
   */
  async dispose(): Promise<void> {
    this.disposed = true;
    for (const run of this.running.values()) {
      if (run.ended) continue;
      run.detached = true;
      run.sampler?.stop();
      if (run.reattached) {
        this.sessions.release(run.source);
        run.done = this.event(run, detachedEvent(run)).then(() => {
          this.running.delete(run.id);
          run.resolveDone?.();
        });
      } else {
        run.command.abort();
      }
    }
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    await this.sessions.closeAll();
  }
}
