import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startPoller, type Clock } from '../../electron/main/sampler/poller';

const fakeClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

describe('poller', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('never overlaps polls when a poll takes longer than the interval', async () => {
    let concurrent = 0;
    let maxConcurrent = 0;
    const results: number[] = [];
    const poller = startPoller({
      intervalMs: 100,
      clock: fakeClock,
      poll: async () => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await new Promise((r) => setTimeout(r, 250));
        concurrent--;
        return results.length;
      },
      onResult: (v) => results.push(v),
    });
    await vi.advanceTimersByTimeAsync(1100);
    poller.stop();
    expect(maxConcurrent).toBe(1);
    expect(results).toEqual([0, 1, 2, 3]); // 250 ms each, back to back: done at 250, 500, 750, 1000
  });

  it('keeps the period steady by counting the poll time inside the interval', async () => {
    const starts: number[] = [];
    const poller = startPoller({
      intervalMs: 1000,
      clock: fakeClock,
      poll: async () => {
        starts.push(Date.now());
        await new Promise((r) => setTimeout(r, 300));
      },
      onResult: () => undefined,
    });
    await vi.advanceTimersByTimeAsync(3500);
    poller.stop();
    const t0 = starts[0] ?? 0;
    expect(starts.map((s) => s - t0)).toEqual([0, 1000, 2000, 3000]);
  });

  it('aborts the poll in flight and delivers nothing after stop', async () => {
    const seen: string[] = [];
    let aborted = false;
    const poller = startPoller({
      intervalMs: 100,
      clock: fakeClock,
      poll: (signal) =>
        new Promise<string>((resolve) => {
          const t = setTimeout(() => resolve('late'), 500);
          signal.addEventListener('abort', () => {
            aborted = true;
            clearTimeout(t);
            resolve('aborted');
          });
        }),
      onResult: (v) => seen.push(v),
    });
    await vi.advanceTimersByTimeAsync(50);
    poller.stop();
    await vi.advanceTimersByTimeAsync(1000);
    expect(aborted).toBe(true);
    expect(seen).toEqual([]);
    expect(poller.running).toBe(false);
  });

  it('stops and reports when a poll throws', async () => {
    const crashes: unknown[] = [];
    let calls = 0;
    const poller = startPoller({
      intervalMs: 10,
      clock: fakeClock,
      poll: async () => {
        calls++;
        throw new Error('boom');
      },
      onResult: () => undefined,
      onCrash: (e) => crashes.push(e),
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toBe(1);
    expect(crashes).toHaveLength(1);
    expect(poller.running).toBe(false);
  });

  it('lets the consumer stop from inside onResult', async () => {
    let n = 0;
    const poller = startPoller({
      intervalMs: 10,
      clock: fakeClock,
      poll: async () => ++n,
      onResult: (v) => {
        if (v === 3) poller.stop();
      },
    });
    await vi.advanceTimersByTimeAsync(500);
    expect(n).toBe(3);
  });
});
