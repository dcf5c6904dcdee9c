import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ok, type Result } from '../../shared/result';
import type { FerryError } from '../../shared/errors';
import { startJobSampler, clampInterval, type JobSample } from '../../electron/main/sampler/job-sampler';
import type { CommandRunner, RunOutput } from '../../electron/main/remote/run-command';

// Outputs as virsh printed them on the lab (captures from the lab runs).
const EARLY = 'Job type:         Unbounded   \nOperation:        Outgoing migration\nTime elapsed:     1000         ms\n\n';
const stalled = (ms: number, processed: string) =>
  [
    'Job type:         Unbounded   ',
    'Operation:        Outgoing migration',
    `Time elapsed:     ${ms}        ms`,
    `Memory processed: ${processed}`,
    'Memory remaining: 127.070 MiB',
    'Memory total:     128.508 MiB',
    'Dirty rate:       0            pages/s',
    'Page size:        4096         bytes',
    'Iteration:        1           ',
    'Expected downtime: 300          ms',
    '',
  ].join('\n');

function scripted(outputs: RunOutput[]): CommandRunner & { argvs: (readonly string[])[] } {
  const argvs: (readonly string[])[] = [];
  let i = 0;
  return {
    argvs,
    async run(argv): Promise<Result<RunOutput, FerryError>> {
      argvs.push(argv);
      const out = outputs[Math.min(i++, outputs.length - 1)];
      if (!out) throw new Error('no output scripted');
      return ok(out);
    },
  };
}

describe('domjobinfo sampler', () => {
  let crashes: unknown[] = [];
  const onCrash = (e: unknown): void => void crashes.push(e);
  beforeEach(() => {
    crashes = [];
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
    expect(crashes).toEqual([]);
  });

  it('runs virsh domjobinfo in the C locale with the domain after --domain', async () => {
    const runner = scripted([{ stdout: EARLY, stderr: '', exitCode: 0 }]);
    const sampler = startJobSampler({ runner, domain: '-evil name', onSample: () => undefined, onCrash });
    await vi.advanceTimersByTimeAsync(10);
    sampler.stop();
    expect(runner.argvs[0]).toEqual(['env', 'LC_ALL=C', 'virsh', '--connect', 'qemu:///system', 'domjobinfo', '--domain', '-evil name']);
  });

  it('derives a stalled throughput of zero from two samples of the same job', async () => {
    const runner = scripted([
      { stdout: stalled(41370, '511.116 KiB'), stderr: '', exitCode: 0 },
      { stdout: stalled(42370, '511.116 KiB'), stderr: '', exitCode: 0 },
    ]);
    const samples: JobSample[] = [];
    const sampler = startJobSampler({ runner, domain: 'vm1', onSample: (s) => samples.push(s), onCrash });
    await vi.advanceTimersByTimeAsync(1500);
    sampler.stop();
    expect(samples.map((s) => s.seq)).toEqual([0, 1]);
    const [first, second] = samples.map((s) => (s.result.ok ? s.result.value.figures : undefined));
    expect(first?.throughputBytesPerSecond).toBeUndefined(); // nothing to compare with yet
    expect(second).toMatchObject({ throughputBytesPerSecond: 0, throughputSource: 'counter', iteration: 1 });
  });

  it('delivers libvirt errors as typed samples and keeps sampling', async () => {
    const runner = scripted([
      { stdout: EARLY, stderr: '', exitCode: 0 },
      { stdout: '', stderr: 'error: Requested operation is not valid: domain is not running\n', exitCode: 1 },
      { stdout: '', stderr: "error: failed to get domain 'vm1'\n", exitCode: 1 },
    ]);
    const samples: JobSample[] = [];
    const sampler = startJobSampler({ runner, domain: 'vm1', intervalMs: 100, onSample: (s) => samples.push(s), onCrash });
    await vi.advanceTimersByTimeAsync(250);
    sampler.stop();
    expect(samples.map((s) => (s.result.ok ? s.result.value.info.type : s.result.error.code))).toEqual([
      'unbounded',
      'libvirt.not-running',
      'libvirt.no-domain',
    ]);
  });

  it('continues a given sequence and says how late each sample started on the fixed schedule, and which slots it skipped', async () => {
    let calls = 0;
    const runner: CommandRunner = {
      async run(): Promise<Result<RunOutput, FerryError>> {
        calls += 1;
        if (calls === 2) await new Promise((r) => setTimeout(r, 1200)); // a slow answer runs past two slots
        return ok({ stdout: EARLY, stderr: '', exitCode: 0 });
      },
    };
    const samples: JobSample[] = [];
    const sampler = startJobSampler({ runner, domain: 'vm1', intervalMs: 500, firstSeq: 7, onSample: (s) => samples.push(s), onCrash });
    await vi.advanceTimersByTimeAsync(2100);
    sampler.stop();
    // Slots at 0, 500, 1000, 1500, 2000: the sample due at 500 answers at 1700, so 1000 is skipped and the one due
    // at 1500 starts at once, 200 ms late; 2000 is on time again.
    expect(samples.map((s) => [s.seq, s.lateMs, s.skippedBefore])).toEqual([
      [7, 0, 0],
      [8, 0, 0],
      [9, 200, 1],
      [10, 0, 0],
    ]);
    expect(sampler.stats()).toMatchObject({ polls: 4, skipped: 1, maxLateMs: 200 });
  });

  it('keeps a changed sampling rate within 10 Hz too', async () => {
    const runner = scripted([{ stdout: EARLY, stderr: '', exitCode: 0 }]);
    const samples: JobSample[] = [];
    const sampler = startJobSampler({ runner, domain: 'vm1', onSample: (s) => samples.push(s), onCrash });
    sampler.setInterval(0);
    await vi.advanceTimersByTimeAsync(1050);
    sampler.stop();
    // The first sample at 0 ms, then one every 100 ms: a period of 0 would have meant a busy loop.
    expect(samples).toHaveLength(11);
  });

  it('keeps the sampling rate between 10 Hz and one sample per 10 s', () => {
    expect(clampInterval(1)).toBe(100);
    expect(clampInterval(1000)).toBe(1000);
    expect(clampInterval(60_000)).toBe(10_000);
    expect(clampInterval(Number.NaN)).toBe(1000);
  });
});
