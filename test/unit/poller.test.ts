import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startPoller, type Clock } from '../../electron/main/sampler/poller';

const fakeClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

describe('poller', () => {
  // Polls that are not meant to crash report here; each test ends with none.
  let crashes: unknown[] = [];
  const onCrash = (e: unknown): void => void crashes.push(e);
  beforeEach(() => {
    crashes = [];
    vi.useFakeTimers();
  });
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
      onCrash,
    });
    await vi.advanceTimersByTimeAsync(1100);
    poller.stop();
    expect(maxConcurrent).toBe(1);
    expect(crashes).toEqual([]);
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
      onCrash,
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
      onCrash,
    });
    await vi.advanceTimersByTimeAsync(50);
    poller.stop();
    await vi.advanceTimersByTimeAsync(1000);
    expect(aborted).toBe(true);
    expect(seen).toEqual([]);
    expect(poller.running).toBe(false);
  });

  it('stops and reports when a poll throws', async () => {
    let calls = 0;
    const poller = startPoller({
      intervalMs: 10,
      clock: fakeClock,
      poll: async () => {
        calls++;
        throw new Error('boom');
      },
      onResult: () => undefined,
      onCrash,
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
      onCrash,
    });
    await vi.advanceTimersByTimeAsync(500);
    expect(n).toBe(3);
    expect(crashes).toEqual([]);
  });

  it('stops and reports when the consumer throws, instead of stalling silently', async () => {
    let n = 0;
    const poller = startPoller({
      intervalMs: 10,
      clock: fakeClock,
      poll: async () => ++n,
      onResult: (v) => {
        if (v === 2) throw new Error('consumer bug');
      },
      onCrash,
    });
    await vi.advanceTimersByTimeAsync(500);
    expect(n).toBe(2);
    expect(crashes).toEqual([new Error('consumer bug')]);
    expect(poller.running).toBe(false);
  });
});
