/**
 * Quit and restart: following a job again that outlived the Ferry that started it.
 *
 * Found on the lab (libvirt 9.0, QEMU 7.2, TCG; vmd at --bandwidth 2, p2p): when the SSH channel of a running
 * `virsh migrate --p2p` is cut (the local ssh client killed), the remote virsh dies within ~2 s (SIGPIPE on its next
 * --verbose progress line; no job abort), and when it gets SIGTERM (what a cancelled exec sends) it dies at once,
 * also without aborting. Either way the source's libvirtd carries on with the job: domjobinfo kept showing it running
 * (4 MiB more every 2 s), `migrate-setspeed` from a new virsh took effect, and the migration completed (the VM running
 * on the destination, `domjobinfo --completed` on the source). The p2p job belongs to libvirtd, not to the client
 * that asked for it. So Ferry quitting does not end a record: it journals a 'detached' event, and at the next start
 * the source's long-lived virsh session is asked for the job. Still running: the record is followed again
 * ('reattached'): sampling resumes into it, controls act on the domain, and when the job is gone the outcome is read
 * from where the VM runs and the completed statistics (decideEnd). Not running any more: settled the same way at once.
 */
import type { VirshRunner } from '../remote/ssh-runner';
import { decideEnd, gatherFacts, withLogIfFailed, type EndDecision } from './end';
import { heldOnSource, interruptedEvent, readSplit, reconcilePostcopy, splitOf } from './postcopy-recovery';
import type { EngineLogger, MigrationRecorder } from './recorder';
import type { MigrationEndPayload, MigrationEventPayload, MigrationRecord } from './record';
import { followedRun, jobOf, jobOfRun, type FollowedJob, type HostExec, type Running } from './run';
import type { VirshSessions } from './virsh-sessions';

export interface FollowDeps {
  readonly exec: HostExec;
  readonly sessions: VirshSessions;
  readonly recorder: MigrationRecorder;
}

export interface FollowEndDeps extends FollowDeps {
  readonly logger?: EngineLogger;
  /** Writes the end of a run (and takes it off the runs in progress). */
  readonly finish: (run: Running, end: MigrationEndPayload) => Promise<void>;
}

/** How an open record stands at a start of Ferry: settled (its line written), or a job to follow again. */
export type Reconciled =
  | { readonly kind: 'settled' }
  | { readonly kind: 'follow'; readonly run: Running; readonly session: VirshRunner; readonly intervalMs: number };

/**
 * Asks the hosts about one record without an end (or an 'unknown' an earlier reconciliation wrote). Settled: the
 * 'reconcile' line (or a post-copy split's event) is written. To follow: the run holds a share of the source's
 * virsh session, which its end releases.
 */
export async function reconcileRecord(d: FollowDeps, rec: MigrationRecord): Promise<Reconciled> {
  const s = rec.start;
  if (!s) {
    await d.recorder.reconciled(rec.id, { state: 'unknown', message: 'The start of this migration is missing from the history; it cannot be checked.' });
    return { kind: 'settled' };
  }
  const job = jobOf(rec, s);
  if (s.options['postcopy'] === true && !(await askHostsAfterSplitCheck(d, rec, job))) return { kind: 'settled' };
  const session = d.sessions.acquire(s.source);
  let decision: EndDecision;
  try {
    decision = decideEnd(await gatherFacts(d.exec, job, session), 'reconcile');
  } catch (e) {
    d.sessions.release(s.source);
    throw e;
  }
  if (decision.kind === 'ended') {
    d.sessions.release(s.source);
    await d.recorder.reconciled(rec.id, await withLogIfFailed(d.exec, job, decision.end));
    return { kind: 'settled' };
  }
  const run = followedRun(rec, s, job, {
    abortRequested: job.abortRequested,
    transferSeen: rec.samples.some((x) => x.info?.memoryTotalBytes !== undefined),
    reattached: true,
    postcopyNoted: rec.events.some((e) => e.kind === 'post-copy'),
  });
  run.done = new Promise<void>((resolve) => (run.resolveDone = resolve));
  return { kind: 'follow', run, session, intervalMs: s.intervalMs };
}

/**
 * A run allowed to switch, at a start of Ferry: a split VM is (or stays) `post-copy-interrupted` (an event, never
 * an end); false then. True: ask the hosts as for any other run (postcopy-recovery.ts, reconcilePostcopy).
 */
async function askHostsAfterSplitCheck(d: FollowDeps, rec: MigrationRecord, job: FollowedJob): Promise<boolean> {
  const reading = await readSplit(d.exec, job);
  const decision = reconcilePostcopy(rec, reading);
  const split = splitOf(reading);
  if (decision === 'note-interrupted' && split) await d.recorder.durableEvent(rec.id, interruptedEvent(job, split, 'restart', undefined, heldOnSource(job, reading)));
  return decision === 'ask-hosts';
}

export function reattachedEvent(run: Running): MigrationEventPayload {
  return {
    kind: 'reattached',
    message: `Found still migrating from ${run.source.name} to ${run.destination.name} after a restart (libvirt carried on with the job while Ferry was not running): followed again.`,
  };
}

/**
 * A re-attached run's source shows no job (or no running domain): decides from the hosts whether it ended, and if so
 * stops its sampling, gives back its session share and has `finish` write the end. One check at a time.
 */
export async function checkFollowedEnd(d: FollowEndDeps, run: Running): Promise<void> {
  if (run.checkingEnd || run.ended || run.detached) return;
  run.checkingEnd = true;
  try {
    const job = jobOfRun(run);
    const via = d.sessions.current(run.source) ?? d.exec(run.source);
    const facts = await gatherFacts(d.exec, job, via);
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
    d.sessions.release(run.source);
    await d.finish(run, await withLogIfFailed(d.exec, job, decision.end));
    run.resolveDone?.();
  } catch (e) {
    d.logger?.warn('migration.end-check-failed', { id: run.id, error: String(e) });
    if (run.ended) run.resolveDone?.(); // the end could not be journalled: nobody should wait for it for ever
  } finally {
    run.checkingEnd = false;
  }
}

