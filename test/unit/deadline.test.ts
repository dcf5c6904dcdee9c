import { describe, expect, it } from 'vitest';
import { sleep, systemClock, waitFor } from '../../electron/main/ssh/deadline';

const soon = (ms = 5000) => ({ deadline: systemClock.now() + ms });

describe('waiting with a deadline', () => {
  it('runs the cleanup when the awaited event comes, so a listener never outlives its wait', async () => {
    const listeners = new Set<() => void>();
    const waited = waitFor<void>(systemClock, soon(), (done) => {
      const l = (): void => done(undefined);
      listeners.add(l);
      return () => listeners.delete(l);
    });
    for (const l of [...listeners]) l();
    expect(await waited).toEqual({ ok: true, value: undefined });
    expect(listeners.size).toBe(0);
  });

  it('runs the cleanup on timeout and on cancel', async () => {
    const cleaned: string[] = [];
    expect(await waitFor(systemClock, soon(20), () => () => cleaned.push('timeout'))).toEqual({ ok: false, reason: 'timeout' });
    const ac = new AbortController();
    const cancelled = waitFor(systemClock, { deadline: systemClock.now() + 5000, signal: ac.signal }, () => () => cleaned.push('cancel'));
    ac.abort();
    expect(await cancelled).toEqual({ ok: false, reason: 'cancelled' });
    expect(cleaned).toEqual(['timeout', 'cancel']);
  });

  it('runs the cleanup once even when start reports at once', async () => {
    let cleanups = 0;
    const r = await waitFor<number>(systemClock, soon(), (done) => {
      done(7);
      return () => void cleanups++;
    });
    expect(r).toEqual({ ok: true, value: 7 });
    expect(cleanups).toBe(1);
  });

  it('sleeps, unless the deadline comes first', async () => {
    expect(await sleep(systemClock, 1, soon())).toEqual({ ok: true, value: undefined });
    expect(await sleep(systemClock, 5000, soon(10))).toEqual({ ok: false, reason: 'timeout' });
  });
});
