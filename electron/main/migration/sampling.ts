/**
 * What one sample of the source's job means for its run: the sample line, and what it asks the engine to do. Pure;
 * the engine journals the sample and applies the actions in order.
 *
 * - While the job sets up (a cold capabilities cache on the destination), domjobinfo shows only "Time elapsed":
 *   journalled as is; the first sample with a memory total marks the moment memory starts to move ('phase').
 * - Pages fetched on demand: post-copy, whoever switched (a control, --postcopy-after-precopy, --timeout-postcopy).
 * - Near the end the source answers "domain is not running" (an expected sample, not an error). The destination
 *   refuses statistics during the job, so samples are always taken on the source.
 * - The source saying "no domain" twice in a row while our `virsh migrate` runs: did the VM vanish? A re-attached run
 *   (no command of ours to end) asks the hosts whether its job ended when the source shows no job any more, or no
 *   running domain twice in a row ("domain is not running" for a moment at the switch-over).
 */
import type { DomainJobInfo } from '../../../shared/parsers/virsh-domjobinfo';
import type { JobSample } from '../sampler/job-sampler';
import type { MigrationSamplePayload } from './record';
import type { Running } from './run';

export const isRunningJob = (i: DomainJobInfo): boolean => i.type === 'unbounded' || i.type === 'bounded';

/** The run's fields the samples move. */
export type SampleState = Pick<Running, 'noDomainStreak' | 'lastJob' | 'transferSeen' | 'reattached'>;

export type SampleAction =
  /** A sample shows pages fetched on demand: note the switch to post-copy. */
  | 'postcopy-seen'
  /** The first sample with memory to move: a 'phase' event. */
  | 'transfer-started'
  /** A re-attached run: ask the hosts whether its job ended. */
  | 'check-followed-end'
  /** The source lost the VM while our migrate command runs: is it on the destination? */
  | 'check-vanished';

export function samplePayload(s: JobSample): MigrationSamplePayload {
  const timing = { seq: s.seq, latencyMs: round(s.latencyMs), lateMs: round(s.lateMs), ...(s.skippedBefore > 0 ? { skippedBefore: s.skippedBefore } : {}) };
  return s.result.ok ? { ...timing, info: s.result.value.info, figures: s.result.value.figures } : { ...timing, error: s.result.error };
}

/** One step of the run's sampling state; returns what the engine should do about it, in order. */
export function stepSample(run: SampleState, s: JobSample): SampleAction[] {
  const actions: SampleAction[] = [];
  if (s.result.ok) {
    const info = s.result.value.info;
    run.noDomainStreak = 0;
    if (isRunningJob(info)) {
      run.lastJob = info;
      if ((info.postcopyRequests ?? 0) > 0) actions.push('postcopy-seen');
      if (!run.transferSeen && info.memoryTotalBytes !== undefined) {
        run.transferSeen = true;
        actions.push('transfer-started');
      }
    } else if (run.reattached) {
      actions.push('check-followed-end'); // no job on the source any more: where is the VM?
    }
  } else if (run.reattached && (s.result.error.code === 'libvirt.no-domain' || s.result.error.code === 'libvirt.not-running')) {
    run.noDomainStreak += 1;
    if (run.noDomainStreak >= 2) actions.push('check-followed-end');
  } else if (s.result.error.code === 'libvirt.no-domain') {
    run.noDomainStreak += 1;
    if (run.noDomainStreak === 2) actions.push('check-vanished');
  } else {
    run.noDomainStreak = 0;
  }
  return actions;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
