// The live verdict replayed over whole lab runs, sample by sample, exactly as main computes it after each sample
// (handlers.ts verdictOf: the running samples so far and the options/controls in force). The runs are Ferry's own
// journal of real migrations on the lab (test/fixtures/migration-runs/, captured by test/lab/capture-migration-runs.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AT_MAX_STUCK_PASSES, migrationVerdict, migrationVerdictSchema, type MigrationVerdict, type VerdictSample } from '../../shared/migration/verdict';
import { verdictContext } from '../../electron/main/migration/handlers';
import type { MigrationRecord, MigrationSamplePayload } from '../../electron/main/migration/record';

type Sample = MigrationSamplePayload & { readonly at: number };
interface Run {
  readonly options: Record<string, unknown>;
  readonly samples: readonly Sample[];
  readonly events: MigrationRecord['events'];
}

function loadRun(name: string): Run {
  return JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'migration-runs', `${name}.json`), 'utf8')) as Run;
}

interface Step {
  readonly sample: Sample;
  readonly verdict: MigrationVerdict;
}

/** The verdict after each running sample, as the watch stream sends it with that sample. */
function replay(run: Run, mutate: (s: Sample) => Sample = (s) => s): Step[] {
  const record = { id: 'r', start: { options: run.options }, samples: [], events: run.events, state: 'running' } as unknown as MigrationRecord;
  const ctx = verdictContext(record);
  const so: VerdictSample[] = [];
  const out: Step[] = [];
  for (const raw of run.samples) {
    const s = mutate(raw);
    if (!s.info || !s.figures || (s.info.type !== 'unbounded' && s.info.type !== 'bounded')) continue;
    so.push({ info: s.info, figures: s.figures });
    out.push({ sample: s, verdict: migrationVerdict(so, ctx) });
  }
  return out;
}

/** Index of each A -> B -> A on consecutive samples. */
function flips(steps: readonly Step[]): number[] {
  const out: number[] = [];
  for (let i = 2; i < steps.length; i++) {
    const [a, b, c] = [steps[i - 2]?.verdict.state, steps[i - 1]?.verdict.state, steps[i]?.verdict.state];
    if (a === c && a !== b) out.push(i);
  }
  return out;
}

describe('verdict replayed over vmd at 8 MiB/s with auto-converge (completed after 30 passes, throttle 20 -> 99 %)', () => {
  const steps = replay(loadRun('autoconverge-8'));

  it('never calls it not converging: the throttle had room, then memory left fell at 99 % and the run completed', () => {
    expect(steps.length).toBeGreaterThan(60);
    expect(steps.filter((s) => s.verdict.state === 'not-converging').map((s) => s.sample.seq)).toEqual([]);
    const atMax = steps.filter((s) => s.sample.info?.autoConvergeThrottlePercent === 99);
    expect(atMax.length).toBeGreaterThan(5);
    for (const s of atMax) expect(s.verdict.state).toBe('slow');
    expect(atMax.some((s) => /at its maximum \(99 %\) and memory left falls at it/.test(s.verdict.reason))).toBe(true);
  });

  it('says the real throttle, never "0 %", and says when QEMU has not started throttling yet', () => {
    for (const s of steps) {
      const throttle = s.sample.info?.autoConvergeThrottlePercent;
      expect(s.verdict.reason).not.toMatch(/\b0 %/);
      expect(s.verdict.signals.throttlePercent).toBe(throttle);
      if (throttle !== undefined && s.verdict.state === 'slow') expect(s.verdict.reason, `sample ${s.sample.seq}`).toContain(`${throttle} %`);
    }
    const beforeThrottle = steps.filter((s) => s.verdict.state === 'slow' && s.sample.info?.autoConvergeThrottlePercent === undefined && (s.sample.info?.iteration ?? 1) >= 3);
    expect(beforeThrottle.length).toBeGreaterThan(0);
    for (const s of beforeThrottle) expect(s.verdict.reason).toMatch(/^Auto-converge has not started throttling yet/);
  });

  it('does not flip between states on consecutive samples', () => {
    expect(flips(steps)).toEqual([]);
  });

  it('judges at 99 % by whether memory left falls: five passes at the maximum that do not fall are not converging', () => {
    // The same run, as if the guest had kept dirtying at the cap at 99 % (expected downtime stuck at 2.8 s).
    const stuck = replay(loadRun('autoconverge-8'), (s) =>
      s.info?.autoConvergeThrottlePercent === 99 && s.figures
        ? { ...s, info: { ...s.info, expectedDowntimeMs: 2813, dirtyRatePagesPerSecond: 2052, memoryRemainingBytes: 15 * 1048576 }, figures: { ...s.figures, dirtyRateBytesPerSecond: 2052 * 4096, remainingBytes: 15 * 1048576 } }
        : s,
    );
    const atMax = stuck.filter((s) => s.sample.info?.autoConvergeThrottlePercent === 99);
    for (const s of atMax) {
      // Passes seen at 99 % that ended before this sample's (a pass shorter than a sample interval is never seen).
      const pass = s.sample.info?.iteration ?? 0;
      const finishedAtMax = new Set(atMax.map((a) => a.sample.info?.iteration ?? 0).filter((it) => it < pass)).size;
      expect(s.verdict.state, `pass ${s.sample.info?.iteration}`).toBe(finishedAtMax >= AT_MAX_STUCK_PASSES ? 'not-converging' : 'slow');
    }
    expect(atMax.at(-1)?.verdict.reason).toMatch(/^Auto-converge throttles the guest's vCPUs at its maximum \(99 %\) and memory left has not fallen in \d+ passes at it: /);
    expect(flips(stuck)).toEqual([]);
  });
});

describe('verdict replayed over vmd at 8 MiB/s without auto-converge (aborted after 13 passes)', () => {
  const steps = replay(loadRun('plain-8-abort'));

  it('calls it not converging within a few samples of the bulk copy and never takes it back', () => {
    const firstResend = steps.findIndex((s) => (s.sample.info?.iteration ?? 1) >= 2);
    const called = steps.findIndex((s) => s.verdict.state === 'not-converging');
    expect(firstResend).toBeGreaterThan(0);
    expect(called - firstResend).toBeLessThanOrEqual(5);
    expect(steps.slice(called).every((s) => s.verdict.state === 'not-converging')).toBe(true);
    expect(flips(steps)).toEqual([]);
  });

  it('never says "completing" at the end of the first pass of a run that does not converge', () => {
    // The bulk copy's tail made small, as it is when the pass-1 sample lands just before the pass ends.
    const tail = replay(loadRun('plain-8-abort'), (s) =>
      s.seq === 14 && s.info && s.figures ? { ...s, info: { ...s.info, memoryRemainingBytes: 1048576 }, figures: { ...s.figures, remainingBytes: 1048576, throughputBytesPerSecond: 8 * 1048576 } } : s,
    );
    const end = tail.find((s) => s.sample.seq === 14);
    expect(end?.verdict.state).toBe('converging');
    expect(end?.verdict.reason).toMatch(/^End of the first pass over memory: 1\.0 MiB left/);
    expect(tail.some((s) => s.verdict.state === 'completing')).toBe(false);
  });

  it('gives a progress bar only for the bulk copy, and only the pass number after it', () => {
    for (const s of steps) {
      const pass = s.sample.info?.iteration;
      if (pass === undefined) continue;
      if (pass === 1) expect(s.verdict.passProgress).toBe(s.sample.figures?.passProgress);
      else {
        expect(s.verdict.passProgress).toBeUndefined();
        expect(s.verdict.progressLabel).toBe(`pass ${pass}`);
      }
    }
  });

  it('judges the very sample it is sent with: its numbers and job time are that sample\'s', () => {
    for (const s of steps) {
      expect(migrationVerdictSchema.parse(s.verdict)).toEqual(s.verdict);
      expect(s.verdict.elapsedMs).toBe(s.sample.info?.timeElapsedMs);
      const rem = s.sample.figures?.remainingBytes;
      if (s.verdict.state === 'not-converging' || rem === undefined) continue;
      if (/MiB left/.test(s.verdict.reason)) expect(s.verdict.reason).toContain(`${(rem / 1048576).toFixed(1)} MiB left`);
    }
  });
});

describe('verdict replayed over vm1 through a black hole on the migration network (0.5 MiB sent, then nothing)', () => {
  const steps = replay(loadRun('blackhole-stall'));

  it('is never "converging" at 0 MiB/s, and calls it stalled once nothing moved for 5 s', () => {
    expect(steps.filter((s) => s.verdict.state === 'converging')).toEqual([]);
    const stalled = steps.findIndex((s) => s.verdict.state === 'stalled');
    expect(stalled).toBeGreaterThan(0);
    expect(steps[stalled]?.verdict.signals.stillForMs).toBeGreaterThanOrEqual(5000);
    expect(steps.slice(stalled).every((s) => s.verdict.state === 'stalled')).toBe(true);
    const zero = steps.filter((s) => s.sample.figures?.throughputBytesPerSecond === 0 && s.verdict.state !== 'stalled');
    expect(zero.length).toBeGreaterThan(0);
    for (const s of zero) expect(s.verdict.reason).toMatch(/^No memory moved in the last .*: if nothing moves for 5 s, the migration is stalled\.$/);
  });
});
