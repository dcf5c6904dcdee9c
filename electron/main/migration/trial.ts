/**
 * A trial pre-copy (shared/migration/trial-schema.ts says what it is for): a real migration through the engine, at
 * a low cap and a 1 ms max downtime, NOT persistent and without --undefinesource (nothing stays defined on the
 * destination), journalled as any migration with `purpose: 'trial'`. It is watched until pass `passes` has ended (a
 * sample shows pass `passes + 1`), the time limit, or its own end; then aborted through the engine's control, and the
 * abort verified on both hosts: the VM runs on the source, the destination holds no domain of that name, the source
 * has no job left. Every outcome is a value: aborted as planned, completed on its own (where the VM is now), or a
 * failure with a code and a sentence.
 */
import type { FerryError } from '../../../shared/errors';
import { virshDomjobinfo, virshDomstateReason, virshListNames } from '../../../shared/commands/virsh';
import {
  TRIAL_DEFAULT_CAP_MIBPS,
  TRIAL_DEFAULT_PASSES,
  TRIAL_MAX_DOWNTIME_MS,
  trialMaxMs,
  type TrialCheck,
  type TrialFailureCode,
  type TrialResult,
  type TrialVerification,
} from '../../../shared/migration/trial-schema';
import { formatBytes, formatMilliseconds } from '../../../shared/units';
import { runCommand, type CommandRunner } from '../remote/run-command';
import { systemClock, type Clock } from '../clock';
import type { MigrationEngine } from './engine';
import { firstErrorLine } from './end';
import type { MigrationHostRef, MigrationRecord, MigrationSamplePayload } from './record';

export interface TrialRequest {
  readonly vm: string;
  readonly source: MigrationHostRef;
  readonly destination: MigrationHostRef;
  readonly destinationUser?: string;
  readonly destinationPort?: number;
  /** Default 8 MiB/s. */
  readonly capMiBps?: number;
  /** How many passes to watch end; default 3. */
  readonly passes?: number;
  /** The time limit from the start; default trialMaxMs of the VM's memory (once the first sample shows it). */
  readonly maxMs?: number;
  /** Sampling period (default the engine's, 1 s). */
  readonly intervalMs?: number;
}

export interface TrialDeps {
  readonly engine: Pick<MigrationEngine, 'start' | 'control' | 'record' | 'onUpdate' | 'settled' | 'isRunning' | 'note'>;
  /** Each check on its own exec channel of the host's pooled connection (the engine's). */
  readonly exec: (host: MigrationHostRef) => CommandRunner;
  readonly clock?: Clock;
  /** How long the job may take to end after the abort (default 30 s). */
  readonly abortWaitMs?: number;
  /** How long the hosts may take to show the abort's result (default 10 s, checked every 500 ms). */
  readonly verifyMs?: number;
}

export type TrialSample = MigrationSamplePayload & { readonly at: number };

/** The answer, and the samples of the run for the estimator (also in the record `result.id`). */
export interface TrialRun {
  readonly result: TrialResult;
  readonly samples: readonly TrialSample[];
}

/** Before the limit is known from the VM's memory: the longest a trial may take. */
const LIMIT_UNTIL_MEMORY_KNOWN_MS = 600_000;
const VERIFY_EVERY_MS = 500;

const iterationOf = (s: MigrationSamplePayload): number => s.info?.iteration ?? 0;

/** Pure: what the samples show of the passes and the data sent. */
export function measuredOf(rec: MigrationRecord): { passesSeen: number; samples: number; bytesSent: number; durationMs: number } {
  const running = rec.samples.filter((s) => s.info?.type === 'unbounded' || s.info?.type === 'bounded');
  const last = running.at(-1)?.info;
  return {
    passesSeen: Math.max(0, ...running.map(iterationOf)),
    samples: rec.samples.length,
    bytesSent: rec.end?.final?.dataSentBytes ?? last?.dataProcessedBytes ?? last?.memoryProcessedBytes ?? 0,
    durationMs: rec.end?.wallMs ?? (rec.end && rec.startedAt !== undefined ? rec.end.at - rec.startedAt : 0),
  };
}

export async function runTrial(deps: TrialDeps, req: TrialRequest): Promise<TrialRun> {
  const clock = deps.clock ?? systemClock;
  const capMiBps = req.capMiBps ?? TRIAL_DEFAULT_CAP_MIBPS;
  const passes = req.passes ?? TRIAL_DEFAULT_PASSES;
  const common = { vm: req.vm, source: req.source.name, destination: req.destination.name, capMiBps, passes };
  const failed = (code: TrialFailureCode, message: string, more: { id?: string; detail?: string; verification?: TrialVerification } = {}): TrialResult => ({
    outcome: 'failed',
    ...common,
    code,
    message,
    ...more,
  });
  const noSamples = (result: TrialResult): TrialRun => ({ result, samples: [] });

  // Refused before anything runs when the hosts are not as the checks after the abort expect them: a domain of
  // that name already on the destination could not be told from the trial's leftovers.
  const before = await check(deps, req);
  if (!before.ok) return noSamples(failed('not-ready', `No trial was started: ${notSo(before)}.`, { verification: before }));

  const started = await deps.engine.start({
    vm: req.vm,
    source: req.source,
    destination: req.destination,
    options: { live: true, p2p: true, bandwidthMiBps: capMiBps, maxDowntimeMs: TRIAL_MAX_DOWNTIME_MS },
    purpose: 'trial',
    ...(req.intervalMs !== undefined ? { intervalMs: req.intervalMs } : {}),
    ...(req.destinationUser !== undefined ? { destinationUser: req.destinationUser } : {}),
    ...(req.destinationPort !== undefined ? { destinationPort: req.destinationPort } : {}),
  });
  if (!started.ok) return noSamples(failed('start-refused', `Ferry did not start the trial: ${started.error.message}`, { detail: started.error.message }));
  const id = started.value.id;

  const { stop, reached } = await watch(deps, clock, id, passes, capMiBps, req.maxMs);
  let abortError: FerryError | undefined;
  if (stop !== 'ended') {
    const why = stop === 'passes' ? `pass ${passes} has ended (pass ${reached} began)` : `its time limit is reached (in pass ${reached})`;
    await deps.engine.note(id, { kind: 'trial', message: `Trial pre-copy: ${why}; aborting it as planned.` });
    const aborted = await deps.engine.control(id, { kind: 'abort' });
    // A job that ended meanwhile (completed at that moment) refuses the abort: its record says how it ended.
    if (!aborted.ok && deps.engine.isRunning(id)) abortError = aborted.error;
  }
  const settled = await within(clock, deps.engine.settled(id), deps.abortWaitMs ?? 30_000);
  const rec = deps.engine.record(id);
  const samples = rec?.samples ?? [];
  const answer = (result: TrialResult): TrialRun => ({ result, samples });
  if (settled === 'timeout' || rec === undefined || rec.state === 'running') {
    const verification = await check(deps, req);
    const why = abortError ? `the abort was refused (${firstErrorLine(abortError)})` : `the job was still running ${formatMilliseconds(deps.abortWaitMs ?? 30_000)} after the abort`;
    await deps.engine.note(id, { kind: 'trial', message: `The trial's abort did not take: ${why}.`, detail: verification.checks.map((c) => c.evidence).join('\n') });
    return answer(
      failed('abort-failed', `The trial's abort did not take: ${why}. Check ${req.vm} on ${req.source.name} (migration ${id}) and abort it there if it still migrates.`, {
        id,
        verification,
        ...(abortError ? { detail: abortError.detail ?? abortError.message } : {}),
      }),
    );
  }
  const m = measuredOf(rec);
  const cost = `${formatBytes(m.bytesSent, 1)} sent in ${formatMilliseconds(m.durationMs)}`;
  const detail = rec.end?.error ? { detail: rec.end.error.detail ?? rec.end.error.message } : {};

  if (rec.state === 'completed') {
    const where = await whereNow(deps, req);
    await deps.engine.note(id, { kind: 'trial', message: `The trial pre-copy completed on its own before Ferry stopped it: ${req.vm} is ${where.state} on ${where.host}, not defined there.` });
    return answer({
      outcome: 'completed',
      ...common,
      id,
      ...m,
      where,
      message:
        `The trial migrated ${req.vm}: it completed on its own after ${m.passesSeen} pass(es) at ${capMiBps} MiB/s (${cost}), before Ferry stopped it. ` +
        `${req.vm} is ${where.state} on ${where.host}, not defined there (transient); ${req.source.name} keeps its definition. ` +
        'Migrate it back, or define it on the destination, as you intend.',
    });
  }

  const verification = await verify(deps, clock, req);
  await deps.engine.note(id, {
    kind: 'trial',
    message: verification.ok ? `Trial checked on both hosts: ${verification.checks.map((c) => c.title).join('; ')}.` : `Trial checked on both hosts: ${notSo(verification)}.`,
    detail: verification.checks.map((c) => `${c.ok ? 'ok' : 'NOT OK'}  ${c.evidence}`).join('\n'),
  });
  if (rec.events.some((e) => e.kind === 'vm-vanished')) {
    return answer(failed('vm-vanished', `${req.vm} disappeared from ${req.source.name} during the trial (destroyed or undefined by someone else?): ${rec.end?.message ?? ''}`.trim(), { id, verification, ...detail }));
  }
  if (rec.state === 'aborted') {
    const stoppedBy = stop === 'ended' ? 'elsewhere' : stop;
    if (!verification.ok) {
      return answer(
        failed('abort-unverified', `The trial was aborted, but the hosts do not show it undone: ${notSo(verification)}.`, {
          id,
          verification,
          ...detail,
        }),
      );
    }
    const why = stoppedBy === 'passes' ? `in pass ${m.passesSeen}, once pass ${passes} had ended` : stoppedBy === 'max-time' ? `in pass ${m.passesSeen}, at its time limit` : `in pass ${m.passesSeen}, by someone else`;
    return answer({
      outcome: 'aborted',
      ...common,
      id,
      ...m,
      stoppedBy,
      verification,
      message: `Trial of ${req.vm} ${req.source.name} -> ${req.destination.name} at ${capMiBps} MiB/s: aborted ${why} (${cost}); ${req.vm} runs on ${req.source.name}, nothing is left on ${req.destination.name}.`,
    });
  }
  const transferred = rec.samples.some((s) => s.info?.memoryTotalBytes !== undefined);
  const said = rec.end?.message ?? `the migration ended ${rec.state}`;
  return answer(
    transferred
      ? failed('migration-failed', `The trial migration failed after ${m.passesSeen} pass(es), before Ferry aborted it: ${said}`, { id, verification, ...detail })
      : failed('destination-refused', `The trial could not start moving memory to ${req.destination.name}: ${said}`, { id, verification, ...detail }),
  );
}

/**
 * Resolves with why the trial stops watching (enough passes, the time limit, or the run's own end) and the highest
 * pass sampled by then (a sample's update comes before its line is in the record).
 */
function watch(
  deps: TrialDeps,
  clock: Clock,
  id: string,
  passes: number,
  capMiBps: number,
  maxMs: number | undefined,
): Promise<{ stop: 'passes' | 'max-time' | 'ended'; reached: number }> {
  const startedAt = clock.now();
  let reached = 0;
  return new Promise((resolve) => {
    let timer: unknown;
    let limited = maxMs !== undefined;
    const arm = (ms: number) => {
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = clock.setTimeout(() => done('max-time'), Math.max(0, ms - (clock.now() - startedAt)));
    };
    const unsubscribe = deps.engine.onUpdate((u) => {
      if (u.id !== id) return;
      if (u.kind === 'ended') return done('ended');
      if (u.kind !== 'sample') return;
      const memory = u.sample.info?.memoryTotalBytes;
      if (!limited && memory !== undefined) {
        limited = true;
        arm(trialMaxMs(memory, capMiBps));
      }
      reached = Math.max(reached, iterationOf(u.sample));
      // Iteration n+1 has begun: pass n has ended.
      if (reached > passes) done('passes');
    });
    let finished = false;
    function done(why: 'passes' | 'max-time' | 'ended') {
      if (finished) return;
      finished = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      unsubscribe();
      resolve({ stop: why, reached });
    }
    arm(maxMs ?? LIMIT_UNTIL_MEMORY_KNOWN_MS);
    // Anything that happened before the subscription (an end journalled at once, a sample already taken).
    const rec = deps.engine.record(id);
    reached = Math.max(reached, ...(rec?.samples ?? []).map(iterationOf));
    if (rec && rec.state !== 'running') done('ended');
    else if (reached > passes) done('passes');
    void deps.engine.settled(id).then(() => done('ended'));
  });
}

async function within<T>(clock: Clock, p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: unknown;
  const timeout = new Promise<'timeout'>((resolve) => (timer = clock.setTimeout(() => resolve('timeout'), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clock.clearTimeout(timer);
  }
}

/** The three checks once, on both hosts at once. */
export async function check(deps: Pick<TrialDeps, 'exec'>, req: Pick<TrialRequest, 'vm' | 'source' | 'destination'>): Promise<TrialVerification> {
  const { vm, source, destination } = req;
  const [state, names, job] = await Promise.all([
    runCommand(deps.exec(source), virshDomstateReason(vm)),
    runCommand(deps.exec(destination), virshListNames()),
    runCommand(deps.exec(source), virshDomjobinfo(vm)),
  ]);
  const on = (host: MigrationHostRef, cmd: string) => `\`${cmd}\` on ${host.name}`;
  const checks: TrialCheck[] = [
    {
      check: 'source-running',
      title: `${vm} runs on ${source.name}`,
      ok: state.ok && state.value.state === 'running',
      evidence: `${on(source, `virsh domstate --reason ${vm}`)}: ${state.ok ? state.value.text : firstErrorLine(state.error)}`,
    },
    {
      check: 'destination-clear',
      title: `${destination.name} holds no domain named ${vm}`,
      ok: names.ok && !names.value.includes(vm),
      evidence: `${on(destination, 'virsh list --all --name')}: ${names.ok ? (names.value.length === 0 ? '(no domain)' : names.value.join(', ')) : firstErrorLine(names.error)}`,
    },
    {
      check: 'source-no-job',
      title: `no job left for ${vm} on ${source.name}`,
      ok: job.ok && job.value.type === 'none',
      evidence: `${on(source, `virsh domjobinfo ${vm}`)}: ${job.ok ? `Job type: ${job.value.type}` : firstErrorLine(job.error)}`,
    },
  ];
  return { ok: checks.every((c) => c.ok), checks };
}

/** The checks until they hold or `verifyMs` has passed: libvirt tears the destination's half down just after. */
async function verify(deps: TrialDeps, clock: Clock, req: TrialRequest): Promise<TrialVerification> {
  const until = clock.now() + (deps.verifyMs ?? 10_000);
  for (;;) {
    const v = await check(deps, req);
    if (v.ok || clock.now() >= until) return v;
    await new Promise<void>((resolve) => clock.setTimeout(resolve, VERIFY_EVERY_MS));
  }
}

/** Where a VM the trial migrated runs now (the destination, as completedEnd found it; else what the source says). */
async function whereNow(deps: Pick<TrialDeps, 'exec'>, req: TrialRequest): Promise<{ host: string; state: string }> {
  const [dest, src] = await Promise.all([runCommand(deps.exec(req.destination), virshDomstateReason(req.vm)), runCommand(deps.exec(req.source), virshDomstateReason(req.vm))]);
  if (dest.ok) return { host: req.destination.name, state: dest.value.text };
  if (src.ok) return { host: req.source.name, state: src.value.text };
  return { host: 'unknown', state: `not found: ${firstErrorLine(dest.error)}` };
}

/** The checks that failed, in words with their evidence. */
const notSo = (v: TrialVerification): string =>
  v.checks
    .filter((c) => !c.ok)
    .map((c) => `not so: ${c.title} (${c.evidence})`)
    .join('; ');
