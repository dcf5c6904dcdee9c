/**
 * Samples `virsh domjobinfo` for one domain at a steady rate (1 Hz by default, up to 10 Hz) through a runner that
 * should be a long-lived remote session (one shell per host, not a new process per sample), and hands each parsed
 * sample, with the figures derived from it and the previous sample of the same job, to the consumer.
 *
 * Expected failures are samples too: near the end of a migration the source briefly says "domain is not running",
 * the destination refuses statistics, a vanished VM says "failed to get domain". The consumer decides what they
 * mean; the sampler keeps going until stopped.
 */
import type { Result } from '../../../shared/result';
import type { FerryError } from '../../../shared/errors';
import { virshDomjobinfo } from '../../../shared/commands';
import type { DomainJobInfo } from '../../../shared/parsers/virsh-domjobinfo';
import { deriveJobFigures, type DerivedJobFigures } from '../../../shared/migration/derive';
import { runCommand, type CommandRunner } from '../remote/run-command';
import { systemClock, type Clock } from '../clock';
import { startPoller, type Poller } from './poller';

export interface JobSample {
  readonly seq: number;
  /** Wall-clock time the sample was requested (ms since the epoch). */
  readonly at: number;
  /** How long the round trip took, ms. */
  readonly latencyMs: number;
  /** How late the sample started against the poller's fixed schedule, ms (>= 0). */
  readonly lateMs: number;
  /** Schedule slots skipped just before this sample (an earlier sample or the timer ran past them). */
  readonly skippedBefore: number;
  readonly result: Result<{ readonly info: DomainJobInfo; readonly figures: DerivedJobFigures }, FerryError>;
}

export interface JobSamplerOptions {
  readonly runner: CommandRunner;
  readonly domain: string;
  /** 100..10000 ms; default 1000. */
  readonly intervalMs?: number;
  readonly onSample: (sample: JobSample) => void;
  /** A bug in sampling (a throw, not a failed sample) ends the sampler; this hears about it. */
  readonly onCrash: (error: unknown) => void;
  readonly clock?: Clock;
  readonly wallClock?: () => number;
  /** Number of the first sample (a re-attached migration continues its journalled sequence). Default 0. */
  readonly firstSeq?: number;
}

export const MIN_INTERVAL_MS = 100;
export const MAX_INTERVAL_MS = 10_000;

export function clampInterval(ms: number): number {
  if (!Number.isFinite(ms)) return 1000;
  return Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, Math.round(ms)));
}

/** A running sampler; `setInterval` keeps to the same 100..10000 ms range as the start. */
export function startJobSampler(options: JobSamplerOptions): Poller {
  const clock = options.clock ?? systemClock;
  const wallClock = options.wallClock ?? Date.now;
  let intervalMs = clampInterval(options.intervalMs ?? 1000);
  const command = virshDomjobinfo(options.domain);
  let seq = options.firstSeq ?? 0;
  let previous: DomainJobInfo | undefined;

  const poller = startPoller({
    intervalMs,
    clock,
    onCrash: options.onCrash,
    // A sample that takes longer than a few intervals is worthless for a live chart: give up on it.
    poll: async (signal) => {
      const at = wallClock();
      const t0 = clock.now();
      const result = await runCommand(options.runner, command, { signal, timeoutMs: Math.max(2000, intervalMs * 3) });
      return { at, latencyMs: clock.now() - t0, result };
    },
    onResult: ({ at, latencyMs, result }, _startedAt, tick) => {
      const timing = { seq: seq++, at, latencyMs, lateMs: tick.lateMs, skippedBefore: tick.skippedBefore };
      let sample: JobSample;
      if (result.ok) {
        const info = result.value;
        const figures = deriveJobFigures(info, previous);
        previous = info.type === 'unbounded' || info.type === 'bounded' ? info : undefined;
        sample = { ...timing, result: { ok: true, value: { info, figures } } };
      } else {
        sample = { ...timing, result };
      }
      options.onSample(sample);
    },
  });
  return {
    get running() {
      return poller.running;
    },
    stop: () => poller.stop(),
    stats: () => poller.stats(),
    setInterval: (ms) => {
      intervalMs = clampInterval(ms);
      poller.setInterval(intervalMs);
    },
  };
}
