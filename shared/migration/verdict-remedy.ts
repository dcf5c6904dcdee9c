/**
 * The live verdict's "raise the cap" remedy, from the prediction model rather than a rule of thumb: a cap is offered
 * only when the model says the migration converges at it, and the label says what the model expects from now on.
 *
 * The model is given what this run has shown so far (its passes: working set, the guest's write speed, shared/
 * migration/predict-inputs.ts), on top of what was known at its start (the inputs recorded with it: the link's
 * speed bounded by the NIC, earlier runs). It simulates from now: what is left now is the first "pass", with no setup.
 */
import type { MigrationOptions } from './options';
import { smallestChanges } from './predict';
import { combineRuns, estimateFromRun } from './predict-inputs';
import type { Estimate, PredictionInputs } from './predict-schema';
import type { VerdictSample } from './verdict-signals';

export interface LiveRemedyContext {
  /** The cap in force, MiB/s. */
  readonly bandwidthMiBps: number;
  readonly maxDowntimeMs?: number;
  readonly autoConverge?: boolean;
  readonly postcopy?: boolean;
  /** The inputs recorded with the run's start (absent for runs started before predictions). */
  readonly startInputs?: PredictionInputs;
}

export interface CapRemedy {
  readonly value: number;
  readonly label: string;
}

const exact = (v: number, basis: string): Estimate => ({ value: v, low: v, high: v, source: 'history', basis });

/** The smallest cap the model says makes this run converge from where it stands, or undefined (none it can promise). */
export function modelCapRemedy(samples: readonly VerdictSample[], ctx: LiveRemedyContext): CapRemedy | undefined {
  const last = samples[samples.length - 1];
  const left = last?.info.memoryRemainingBytes ?? last?.info.dataRemainingBytes;
  if (last === undefined || left === undefined) return undefined;
  const vm = ctx.startInputs?.vm ?? 'this VM';
  const run = estimateFromRun({ id: 'this-run', vm, sourceHostId: 'source', destinationHostId: 'destination', startedAt: 0, bandwidthMiBps: ctx.bandwidthMiBps, samples });
  const own = combineRuns([run], { vm, sourceHostId: 'source', destinationHostId: 'destination' }, 1);
  const start = ctx.startInputs;
  // This run's own passes are the newest evidence of how the guest writes; the start's inputs fill what they lack.
  const workingSet = own.workingSetBytes ?? start?.workingSetBytes;
  const write = own.writeBytesPerSecond ?? start?.writeBytesPerSecond;
  // The start's link knows the NIC; the run alone knows only that the link carries its cap.
  const link = start?.linkBytesPerSecond ?? own.linkBytesPerSecond;
  const inputs: PredictionInputs = {
    vm,
    ...(workingSet ? { workingSetBytes: workingSet } : {}),
    ...(write ? { writeBytesPerSecond: write } : {}),
    ...(link ? { linkBytesPerSecond: link } : {}),
    firstPassBytes: exact(left, 'What is left to send now.'),
    setupMs: exact(0, 'Already running.'),
    basisRunIds: [],
    notes: [],
  };
  const options: MigrationOptions = {
    live: true,
    bandwidthMiBps: ctx.bandwidthMiBps,
    ...(ctx.maxDowntimeMs !== undefined ? { maxDowntimeMs: ctx.maxDowntimeMs } : {}),
    ...(ctx.autoConverge !== undefined ? { autoConverge: ctx.autoConverge } : {}),
    ...(ctx.postcopy !== undefined ? { postcopy: ctx.postcopy } : {}),
  };
  const cap = smallestChanges(inputs, options).find((c) => c.change.bandwidthMiBps !== undefined && Object.keys(c.change).length === 1);
  const value = cap?.change.bandwidthMiBps;
  if (cap === undefined || value === undefined) return undefined;
  return { value, label: `Raise the bandwidth cap from ${ctx.bandwidthMiBps} to ${value} MiB/s: ${cap.label.replace(/^At \d+ MiB\/s: /, 'the model expects it to finish ')}` };
}
