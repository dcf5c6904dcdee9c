/**
 * A poller on a fixed schedule: tick n is due at t0 + n x interval (t0 = the first poll's start), whatever each poll
 * took and however late each timer fired, so lateness never accumulates into drift. (The first version re-armed
 * relative to each poll's start; against a fixed schedule it drifted, p99 93 ms after 30 s at 2 Hz:
 * bench/results/sampling-concurrency.txt.)
 *
 * - Never overlapping, never bursting: the timer is armed only after the previous poll has finished (never
 *   setInterval: a slow host must not pile up requests). A poll that overran the next due times, or a timer that
 *   fired that late, does not catch up: the ticks whose due time has passed are skipped, except the latest, which
 *   runs at once and counts as late. Skipped ticks are counted (`stats().skipped`, `tick.skippedBefore`).
 * - Each result says which tick it was, when it was due and how late its poll started (`PollTick`), so a consumer
 *   or a benchmark sees the lateness distribution instead of guessing it.
 * - setInterval(ms) re-anchors the schedule at the current tick's due time (the same value again changes nothing).
 * - stop() cancels the poll in flight.
 */
import { systemClock, type Clock } from '../clock';
export type { Clock } from '../clock';

/** Where a poll sat on the schedule. Times on the poller's clock (ms). */
export interface PollTick {
  /** Tick number since the start (or since the last interval change); skipped ticks are not numbered again. */
  readonly index: number;
  /** When it was due. */
  readonly dueAt: number;
  /** When the poll started. */
  readonly startedAt: number;
  /** startedAt - dueAt (>= 0). */
  readonly lateMs: number;
  /** Ticks skipped just before this one because the previous poll (or the timer) ran past their due time. */
  readonly skippedBefore: number;
}

export interface PollerStats {
  /** Polls started. */
  readonly polls: number;
  /** Ticks skipped (their due time passed while an earlier poll ran or a timer was late). */
  readonly skipped: number;
  /** Largest lateness of a started poll, ms. */
  readonly maxLateMs: number;
}

export interface PollerOptions<T> {
  /** One poll. It must honour the signal: stop() aborts the poll in flight. */
  readonly poll: (signal: AbortSignal) => Promise<T>;
  readonly onResult: (value: T, startedAt: number, tick: PollTick) => void;
  /**
   * Called once when poll() or onResult() throws (a bug: expected failures are values); the poller stops. Required,
   * so that a poller never stops without telling anyone.
   */
  readonly onCrash: (error: unknown) => void;
  readonly intervalMs: number;
  readonly clock?: Clock;
}

export interface Poller {
  readonly running: boolean;
  stop(): void;
  /** Changes the period from the next tick on (the schedule is re-anchored at the current tick's due time). */
  setInterval(ms: number): void;
  stats(): PollerStats;
}

/**
 * The next tick after tick `index` (due at anchor + index x interval) once the clock reads `now`: the following
 * tick if it is still ahead, else the latest tick already due (run at once), skipping those in between. Pure.
 */
export function nextTick(anchor: number, intervalMs: number, index: number, now: number): { readonly index: number; readonly dueAt: number; readonly skipped: number } {
  const following = index + 1;
  const latestDue = Math.floor((now - anchor) / intervalMs);
  const next = Math.max(following, latestDue);
  return { index: next, dueAt: anchor + next * intervalMs, skipped: next - following };
}

export function startPoller<T>(options: PollerOptions<T>): Poller {
  const clock = options.clock ?? systemClock;
  let intervalMs = options.intervalMs;
  let running = true;
  let timer: unknown;
  /** A timer is set for the next tick (no poll in flight, no result being handled). */
  let armed = false;
  let inFlight: AbortController | undefined;
  // The schedule: tick `index` is due at anchor + index x intervalMs.
  let anchor = clock.now();
  let index = 0;
  let dueAt = anchor;
  let skippedBefore = 0;
  let polls = 0;
  let skipped = 0;
  let maxLateMs = 0;

  const tick = async (): Promise<void> => {
    armed = false;
    if (!running) return;
    const startedAt = clock.now();
    // The timer itself may fire so late that later ticks are due already: run the latest of them now.
    const caught = startedAt >= dueAt + intervalMs ? nextTick(anchor, intervalMs, index, startedAt) : undefined;
    if (caught) {
      index = caught.index;
      dueAt = caught.dueAt;
      skippedBefore += caught.skipped + 1;
      skipped += caught.skipped + 1;
    }
    const info: PollTick = { index, dueAt, startedAt, lateMs: Math.max(0, startedAt - dueAt), skippedBefore };
    polls += 1;
    maxLateMs = Math.max(maxLateMs, info.lateMs);
    const controller = new AbortController();
    inFlight = controller;
    try {
      const value = await options.poll(controller.signal);
      inFlight = undefined;
      if (!running) return;
      options.onResult(value, startedAt, info);
    } catch (error) {
      inFlight = undefined;
      if (running) {
        running = false;
        options.onCrash(error);
      }
      return;
    }
    if (!running) return; // onResult may stop the poller
    arm(nextTick(anchor, intervalMs, index, clock.now()));
  };

  function arm(next: { readonly index: number; readonly dueAt: number; readonly skipped: number }): void {
    index = next.index;
    dueAt = next.dueAt;
    skippedBefore = next.skipped;
    skipped += next.skipped;
    const wait = dueAt - clock.now();
    if (wait <= 0) {
      // Already due (the latest of the missed ticks): now, not after a timer's minimum delay.
      timer = undefined;
      void tick();
      return;
    }
    armed = true;
    timer = clock.setTimeout(() => void tick(), wait);
  }

  void tick();

  return {
    get running() {
      return running;
    },
    stop() {
      if (!running) return;
      running = false;
      armed = false;
      if (timer !== undefined) clock.clearTimeout(timer);
      inFlight?.abort();
    },
    setInterval(ms: number) {
      if (ms === intervalMs || !running) return;
      if (armed) {
        // The armed tick was placed on the old period: the new schedule starts at the previous tick's due time.
        clock.clearTimeout(timer);
        anchor = dueAt - intervalMs;
        intervalMs = ms;
        arm(nextTick(anchor, intervalMs, 0, clock.now()));
      } else {
        // A poll is in flight (or its result is being handled): it is tick 0 of the new schedule.
        anchor = dueAt;
        index = 0;
        intervalMs = ms;
      }
    },
    stats: () => ({ polls, skipped, maxLateMs }),
  };
}
