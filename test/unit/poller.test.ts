import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick, startPoller, type Clock, type PollTick } from '../../electron/main/sampler/poller';

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

  it('never overlaps polls and never bursts when a poll takes longer than the interval: the missed ticks are skipped and counted', async () => {
    let concurrent = 0;
    let maxConcurrent = 0;
    const starts: number[] = [];
    const ticks: PollTick[] = [];
    const poller = startPoller({
      intervalMs: 100,
      clock: fakeClock,
      poll: async () => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        starts.push(Date.now());
        await new Promise((r) => setTimeout(r, 250));
        concurrent--;
      },
      onResult: (_v, _at, tick) => ticks.push(tick),
      onCrash,
    });
    const t0 = Date.now();
    await vi.advanceTimersByTimeAsync(1100);
    poller.stop();
    expect(maxConcurrent).toBe(1);
    expect(crashes).toEqual([]);
    // Each poll ends at 250, 500, 750, 1000: the latest tick already due runs at once (late by 50 ms), the one
    // before it is skipped. Ticks 1, 3, 5, 7, 9 never run; none runs twice.
    expect(starts.map((s) => s - t0)).toEqual([0, 250, 500, 750, 1000]);
    expect(ticks.map((t) => [t.index, t.dueAt - t0, t.lateMs, t.skippedBefore])).toEqual([
      [0, 0, 0, 0],
      [2, 200, 50, 1],
      [5, 500, 0, 2],
      [7, 700, 50, 1],
    ]);
    expect(poller.stats()).toEqual({ polls: 5, skipped: 1 + 2 + 1 + 2, maxLateMs: 50 });
  });

  it('keeps a fixed schedule (t0 + n x interval) whatever each poll took', async () => {
    const starts: number[] = [];
    const durations = [300, 900, 10, 650, 0];
    const poller = startPoller({
      intervalMs: 1000,
      clock: fakeClock,
      poll: async () => {
        starts.push(Date.now());
        await new Promise((r) => setTimeout(r, durations[starts.length - 1] ?? 0));
      },
      onResult: () => undefined,
      onCrash,
    });
    await vi.advanceTimersByTimeAsync(4500);
    poller.stop();
    const t0 = starts[0] ?? 0;
    expect(starts.map((s) => s - t0)).toEqual([0, 1000, 2000, 3000, 4000]);
    expect(poller.stats()).toEqual({ polls: 5, skipped: 0, maxLateMs: 0 });
  });

  it('does not drift when every timer fires late: lateness stays per tick instead of accumulating', async () => {
    // A clock whose timers all fire 30 ms after they were due (a busy event loop).
    const lateClock: Clock = { ...fakeClock, setTimeout: (fn, ms) => setTimeout(fn, ms + 30) };
    const ticks: PollTick[] = [];
    const poller = startPoller({
      intervalMs: 500,
      clock: lateClock,
      poll: async () => undefined,
      onResult: (_v, _at, tick) => ticks.push(tick),
      onCrash,
    });
    const t0 = Date.now();
    await vi.advanceTimersByTimeAsync(5200);
    poller.stop();
    // Re-armed from each start, tick 10 would start at 10 x 530 = 5300 ms; anchored, it starts 30 ms after 5000.
    expect(ticks.map((t) => t.startedAt - t0)).toEqual([0, 530, 1030, 1530, 2030, 2530, 3030, 3530, 4030, 4530, 5030]);
    expect(ticks.slice(1).every((t) => t.lateMs === 30)).toBe(true);
  });

  it('skips the ticks a very late timer missed and runs the latest one once, not all of them', async () => {
    let delay = 0;
    const lateClock: Clock = { ...fakeClock, setTimeout: (fn, ms) => setTimeout(fn, ms + delay) };
    const ticks: PollTick[] = [];
    const poller = startPoller({
      intervalMs: 100,
      clock: lateClock,
      poll: async () => undefined,
      onResult: (_v, _at, tick) => {
        ticks.push(tick);
        delay = tick.index === 1 ? 320 : 0; // the timer for tick 2 fires at 520 instead of 200
      },
      onCrash,
    });
    const t0 = Date.now();
    await vi.advanceTimersByTimeAsync(750);
    poller.stop();
    expect(ticks.map((t) => [t.index, t.startedAt - t0, t.lateMs, t.skippedBefore])).toEqual([
      [0, 0, 0, 0],
      [1, 100, 0, 0],
      [5, 520, 20, 3],
      [6, 600, 0, 0],
      [7, 700, 0, 0],
    ]);
    expect(poller.stats().skipped).toBe(3);
  });

  it('re-anchors on a new interval, once, and ignores the same interval set again', async () => {
    const starts: number[] = [];
    let period = 1000;
    const poller = startPoller({
      intervalMs: period,
      clock: fakeClock,
      poll: async () => void starts.push(Date.now()),
      onResult: () => poller.setInterval(period), // what the inventory watch does after every round
      onCrash,
    });
    const t0 = Date.now();
    await vi.advanceTimersByTimeAsync(1500); // ticks at 0 and 1000; the next is armed for 2000
    period = 200;
    poller.setInterval(period); // counted from the last tick (1000): 1200 was missed, 1400 is due, runs at once
    await vi.advanceTimersByTimeAsync(700);
    poller.stop();
    expect(starts.map((s) => s - t0)).toEqual([0, 1000, 1500, 1600, 1800, 2000, 2200]);
    expect(poller.stats()).toEqual({ polls: 7, skipped: 1, maxLateMs: 100 });
  });

  it('computes the next tick: the following one when ahead, else the latest already due', () => {
    expect(nextTick(0, 100, 3, 350)).toEqual({ index: 4, dueAt: 400, skipped: 0 });
    expect(nextTick(0, 100, 3, 400)).toEqual({ index: 4, dueAt: 400, skipped: 0 });
    expect(nextTick(0, 100, 3, 730)).toEqual({ index: 7, dueAt: 700, skipped: 3 });
    expect(nextTick(1000, 500, 0, 1000)).toEqual({ index: 1, dueAt: 1500, skipped: 0 });
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
