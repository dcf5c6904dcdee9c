// The one way tests wait for something to happen: poll a condition (vitest's waitFor) until it holds or time runs
// out, never a fixed sleep.
import { vi } from 'vitest';

/** Resolves once `check` stops throwing (an `expect` inside it), polling every `intervalMs`; else throws its error. */
export async function eventually(check: () => void, timeoutMs = 2000, intervalMs = 10): Promise<void> {
  await vi.waitFor(check, { timeout: timeoutMs, interval: intervalMs });
}

/** Resolves once `cond()` is true; fails naming `what` after `timeoutMs`. */
export async function until(cond: () => boolean, what = 'the condition', timeoutMs = 5000, intervalMs = 10): Promise<void> {
  await eventually(() => {
    if (!cond()) throw new Error(`timed out waiting for ${what}`);
  }, timeoutMs, intervalMs);
}

/** Resolves with the first value `probe` gives that is not undefined (it may be async); fails naming `what`. */
export async function valueOf<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000, intervalMs = 200): Promise<T> {
  return vi.waitFor(
    async () => {
      const v = await probe();
      if (v === undefined) throw new Error(`timed out waiting for ${what}`);
      return v;
    },
    { timeout: timeoutMs, interval: intervalMs },
  );
}
