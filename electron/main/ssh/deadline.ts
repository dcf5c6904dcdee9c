/**
 * Time as a parameter: every wait in the SSH layer goes through an injectable Clock and ends at a deadline or on an
 * AbortSignal, whichever comes first.
 */

import type { Clock } from '../clock';
export { systemClock, type Clock } from '../clock';

/** When a piece of work must stop waiting: at `deadline` (in Clock.now() units) or when `signal` aborts. */
export interface Until {
  readonly deadline: number;
  readonly signal?: AbortSignal | undefined;
}

export type Waited<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: 'timeout' | 'cancelled' };

/**
 * Waits for `start` to call `done`, or for the deadline or the signal. `start` may return a cleanup (take a waiter
 * out of a queue, a listener off a set), run once when the wait ends, however it ends.
 */
export function waitFor<T>(clock: Clock, until: Until, start: (done: (value: T) => void) => (() => void) | void): Promise<Waited<T>> {
  return new Promise((resolve) => {
    let settled = false;
    let cleanup: (() => void) | void = undefined;
    const onAbort = (): void => end({ ok: false, reason: 'cancelled' });
    const end = (w: Waited<T>): void => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      until.signal?.removeEventListener('abort', onAbort);
      cleanup?.();
      resolve(w);
    };
    if (until.signal?.aborted) {
      resolve({ ok: false, reason: 'cancelled' });
      return;
    }
    const left = until.deadline - clock.now();
    if (left <= 0) {
      resolve({ ok: false, reason: 'timeout' });
      return;
    }
    const timer = clock.setTimeout(() => end({ ok: false, reason: 'timeout' }), left);
    until.signal?.addEventListener('abort', onAbort, { once: true });
    cleanup = start((value) => end({ ok: true, value }));
    // `start` called done before it returned its cleanup.
    if (settled) cleanup?.();
  });
}

export function sleep(clock: Clock, ms: number, until: Until): Promise<Waited<void>> {
  return waitFor<void>(clock, until, (done) => {
    const h = clock.setTimeout(() => done(undefined), Math.max(0, ms));
    return () => clock.clearTimeout(h);
  });
}
