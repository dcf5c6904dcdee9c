/**
 * How a migration ended, read from the hosts, never from virsh's word alone (virsh can exit 1 without a word, or say
 * "End of file" for many causes; where the VM runs is the truth).
 *
 * - Completed statistics come from `domjobinfo --completed --keep-completed` (without --keep-completed reading clears
 *   them), on the DESTINATION when --undefinesource was used (the source no longer knows the domain), else on the
 *   source; the other host is the fall-back. The destination's "Total downtime" is not the real pause (measured on
 *   the lab), so the source's figure is preferred when both exist.
 * - Post-copy (found on the lab, libvirt 9.0): after the switch the destination's `domjobinfo --completed` says
 *   "Job type: None" and with --undefinesource the source has forgotten the VM; the source's job-completed event
 *   carries the statistics, so a run allowed to switch listens for it from the start on its own channel.
 * - A p2p failure masked as "End of file while reading data" (or virsh exiting 1 with no error line) gets the source
 *   libvirtd log's error lines as detail.
 * - A VM destroyed mid-migration: the migrate command ends with libvirt's error and the source has no running
 *   domain; the record ends 'failed' with both said.
 * - A job whose client went away (a restart, a re-attached run): decideEnd, from what both hosts say.
 */
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, type Result } from '../../../shared/result';
import { virshAwaitJobCompleted, virshDomjobinfo, virshListAll } from '../../../shared/commands';
import { libvirtdErrorLines, libvirtdLogTail } from '../../../shared/commands/libvirtd-log';
import { jobCompletedInfo } from '../../../shared/parsers/virsh-event';
import type { DomainJobInfo } from '../../../shared/parsers/virsh-domjobinfo';
import type { DomainListEntry, DomainState } from '../../../shared/parsers/virsh-domain';
import { runCommand, type CommandRunner } from '../remote/run-command';
import type { Clock } from '../clock';
import type { EngineLogger } from './recorder';
import type { MigrationEndPayload, MigrationFinalStats, MigrationHostRef } from './record';
import type { FollowedJob, HostExec, Running } from './run';
import { isRunningJob } from './sampling';

/** How long the end waits for the job-completed event once virsh migrate has returned (it comes first on the lab). */
const JOB_EVENT_GRACE_MS = 3000;

/** The same bound as virsh migrate's own (6 h): the listener must outlive the job. */
const DEFAULT_JOB_EVENT_WAIT_S = 6 * 3600;

// virsh's words that hide the reason, which the source libvirtd's log then has: "End of file", or no error line
// at all (virsh exits 1 after its last progress mark: a VM destroyed mid-migration, 1 of 3 tries on the lab).
const EOF_MASK = /End of file while reading data|virsh migrate .* without an error message/;
const ABORTED = /operation aborted|canceled by client|cancelled by client/;

/** Listening before the job can end: the event is sent once, when the source's job completes. */
export function listenJobCompleted(exec: HostExec, run: Running): void {
  const cmd = virshAwaitJobCompleted(run.vm, DEFAULT_JOB_EVENT_WAIT_S);
  run.jobCompleted = runCommand(exec(run.source), cmd, { signal: run.watch.signal }).catch((e: unknown) =>
    err(ferryError('command.failed', `Waiting for the job-completed event failed in Ferry: ${String(e)}`)),
  );
}

/** The job-completed event's statistics, waiting a little for it after virsh migrate returned; stops the listener. */
export async function takeJobCompleted(run: Running, wait: boolean, clock: Clock, logger?: EngineLogger): Promise<DomainJobInfo | undefined> {
  if (!run.jobCompleted) return undefined;
  if (!wait) {
    run.watch.abort();
    return undefined;
  }
  let timer: unknown;
  const grace = new Promise<undefined>((resolve) => (timer = clock.setTimeout(() => resolve(undefined), JOB_EVENT_GRACE_MS)));
  const r = await Promise.race([run.jobCompleted, grace]);
  clock.clearTimeout(timer);
  run.watch.abort();
  if (r === undefined) return undefined;
  if (!r.ok) {
    if (r.error.code !== 'command.cancelled') logger?.warn('migration.job-event-failed', { id: run.id, error: r.error.message });
    return undefined;
  }
  const e = r.value.events.find((x) => x.event === 'job-completed');
  const info = e ? jobCompletedInfo(e) : undefined;
  if (info && !info.ok) logger?.warn('migration.job-event-unreadable', { id: run.id, error: info.error.message });
  return info?.ok && info.value.operation !== 'incoming-migration' ? info.value : undefined;
}

/** The final statistics of a completed job, and the sentence's figures: one shape whoever read them. */
function completedStats(
  info: DomainJobInfo | undefined,
  readOn: MigrationFinalStats['readOn'],
  viaEvent: boolean,
): { readonly final: MigrationFinalStats; readonly figures: string } {
  const final: MigrationFinalStats = {
    readOn,
    ...(viaEvent ? { readVia: 'job-completed-event' as const } : {}),
    ...(info ? { info } : {}),
    ...optional('totalTimeMs', info?.timeElapsedMs),
    ...optional('downtimeMs', info?.totalDowntimeMs),
    ...optional('dataSentBytes', info?.dataProcessedBytes),
    ...optional('memoryTotalBytes', info?.memoryTotalBytes),
  };
  const figures = info
    ? ` ${fmtMs(info.timeElapsedMs)} total, ${fmtMs(info.totalDowntimeMs)} downtime${readOn === 'destination' ? ' (as the destination measured it)' : ''}, ${fmtBytes(info.dataProcessedBytes)} sent.`
    : ' libvirt kept no completed statistics on either host.';
  return { final, figures };
}

async function readCompleted(exec: HostExec, host: MigrationHostRef, domain: string): Promise<DomainJobInfo | undefined> {
  const r = await runCommand(exec(host), virshDomjobinfo(domain, { completed: true, keepCompleted: true }));
  return r.ok && r.value.type === 'completed' ? r.value : undefined;
}

/** virsh migrate said it succeeded: the end, once the destination shows it did (`jobEvent`: the source's statistics). */
export async function completedEnd(exec: HostExec, run: Running, jobEvent?: DomainJobInfo): Promise<MigrationEndPayload> {
  // Believe virsh only when the destination really has the VM (running, or paused when --suspend asked for that).
  // A VM destroyed at the wrong moment must never be recorded as migrated.
  const dest = await runCommand(exec(run.destination), virshListAll());
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
  const order: ['source' | 'destination', MigrationHostRef, string][] = [
    ['source', run.source, run.vm],
    ['destination', run.destination, run.destinationName],
  ];
  if (run.options.undefineSource === true) order.reverse();
  const found: Partial<Record<'source' | 'destination', DomainJobInfo>> = {};
  // The source's own statistics as its job-completed event carried them: the real downtime, and after post-copy
  // the only copy libvirt keeps (the destination shows none; with --undefinesource the source forgets the VM).
  if (jobEvent) found.source = jobEvent;
  for (const [side, host, name] of jobEvent ? [] : order) {
    const info = await readCompleted(exec, host, name);
    if (info) {
      found[side] = info;
      break;
    }
  }
  const readOn: MigrationFinalStats['readOn'] = found.source ? 'source' : found.destination ? 'destination' : 'none';
  const { final, figures } = completedStats(found.source ?? found.destination, readOn, jobEvent !== undefined);
  return { state: 'completed', message: `Migration completed: ${run.destinationName} runs on ${run.destination.name}.${figures}`, final };
}

/** virsh migrate failed: aborted, vanished, stopped mid-way or failed, with libvirt's words (and its log's). */
export async function failedEnd(exec: HostExec, run: Running, error: FerryError): Promise<MigrationEndPayload> {
  const text = `${error.message}\n${error.detail ?? ''}`;
  const detailed = EOF_MASK.test(text) ? await withLibvirtdLog(exec, run, error) : error;
  if (run.vanished !== undefined) {
    return { state: 'failed', message: run.vanished, error: detailed };
  }
  if (run.abortRequested || ABORTED.test(text)) {
    return { state: 'aborted', message: `Migration aborted; ${run.vm} stays on ${run.source.name}.`, error: detailed };
  }
  // A VM destroyed mid-migration: the job had started, the command ends with libvirt's text, and the source no
  // longer runs the VM. (One that was never there fails with libvirt's "failed to get domain" below.)
  const src = run.lastJob ? await runCommand(exec(run.source), virshListAll()) : undefined;
  const onSource = src?.ok ? src.value.find((d) => d.name === run.vm) : undefined;
  if (src?.ok && onSource?.state !== 'running') {
    const dest = await runCommand(exec(run.destination), virshListAll());
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

/** The source no longer knows the VM while `virsh migrate` still runs: why it vanished, unless the destination runs it. */
export async function vanishedReason(exec: HostExec, run: Running): Promise<string | undefined> {
  const dest = await runCommand(exec(run.destination), virshListAll());
  const there = dest.ok ? dest.value.find((d) => d.name === run.destinationName) : undefined;
  if (there?.state === 'running') return undefined; // the normal end of an --undefinesource migration
  return `${run.vm} disappeared from ${run.source.name} during the migration${dest.ok ? ` and is not running on ${run.destination.name}` : ''} (destroyed or undefined by someone else?).`;
}

async function withLibvirtdLog(exec: HostExec, run: { readonly source: MigrationHostRef; readonly startedWall: number }, error: FerryError): Promise<FerryError> {
  const cmd = libvirtdLogTail(200);
  const log = cmd.ok ? await runCommand(exec(run.source), cmd.value) : cmd;
  const lines = log.ok ? libvirtdErrorLines(log.value, run.startedWall - 2000) : [];
  if (lines.length === 0) return error;
  return {
    ...error,
    detail: `${error.detail ?? ''}\n--- ${run.source.name}:/var/log/libvirt/libvirtd.log (error lines since the start, most recent last):\n${lines.join('\n')}`.trim(),
  };
}

/** A failure's detail gets the source libvirtd log's error lines since the start (libvirt's own words). */
export async function withLogIfFailed(exec: HostExec, job: FollowedJob, end: MigrationEndPayload): Promise<MigrationEndPayload> {
  if (end.state !== 'failed') return end;
  const error = await withLibvirtdLog(exec, job, end.error ?? ferryError('libvirt.error', end.message));
  return { ...end, error };
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

/** What decideEnd needs, asked of both hosts at once; the source's job through `jobVia` (its virsh session). */
export async function gatherFacts(exec: HostExec, job: FollowedJob, jobVia: CommandRunner): Promise<EndFacts> {
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
    const { final, figures } = completedStats(info, readOn, false);
    return ended({
      state: 'completed',
      message: `Migration completed: ${f.destinationName} runs on ${f.destination.name} (found${after} by asking the hosts).${figures}`,
      final,
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

/** The `error:` line of libvirt's answer, else the error's message. */
export function firstErrorLine(e: FerryError): string {
  const line = e.detail?.split('\n').find((l) => l.startsWith('error:'));
  return line ?? e.message;
}

function optional<K extends string>(key: K, v: number | undefined): { [P in K]?: number } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: number };
}

function fmtMs(ms: number | undefined): string {
  if (ms === undefined) return '? ms';
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}

function fmtBytes(b: number | undefined): string {
  if (b === undefined) return '? bytes';
  return `${(b / 1048576).toFixed(1)} MiB`;
}
