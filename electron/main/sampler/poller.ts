/**
 * A poller re-arms its timer only after the previous poll has finished (never setInterval: a slow host must not
 * pile up overlapping requests), measures its period from the start of each poll so the rate stays steady when a
 * poll takes part of the interval, and cancels the poll in flight when stopped.
 */
import { systemClock, type Clock } from '../clock';
export type { Clock } from '../clock';

export interface PollerOptions<T> {
  /** One poll. It must honour the signal: stop() aborts the poll in flight. */
  readonly poll: (signal: AbortSignal) => Promise<T>;
  readonly onResult: (value: T, startedAt: number) => void;
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
  /** Changes the period from the next poll on. */
  setInterval(ms: number): void;
}

export function startPoller<T>(options: PollerOptions<T>): Poller {
  const clock = options.clock ?? systemClock;
  let intervalMs = options.intervalMs;
  let running = true;
  let timer: unknown;
  let inFlight: AbortController | undefined;

  const tick = async (): Promise<void> => {
    if (!running) return;
    const startedAt = clock.now();
    const controller = new AbortController();
    inFlight = controller;
    try {
      const value = await options.poll(controller.signal);
      inFlight = undefined;
      if (!running) return;
      options.onResult(value, startedAt);
    } catch (error) {
      inFlight = undefined;
      if (running) {
        running = false;
        options.onCrash(error);
      }
      return;
    }
    if (!running) return; // onResult may stop the poller
    const wait = Math.max(0, intervalMs - (clock.now() - startedAt));
    timer = clock.setTimeout(() => void tick(), wait);
  };

  void tick();

  return {
    get running() {
      return running;
    },
    stop() {
      if (!running) return;
      running = false;
      if (timer !== undefined) clock.clearTimeout(timer);
      inFlight?.abort();
    },
    setInterval(ms: number) {
      intervalMs = ms;
    },
  };
}
