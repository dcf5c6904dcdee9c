// A shutdown row: `virsh shutdown`, then the state until shut off or gone, within a bound (never destroyed).
import { describe, expect, it } from 'vitest';
import { ok } from '../../shared/result';
import { shutdownAndWait } from '../../electron/main/evacuation/shutdown';
import type { Clock } from '../../electron/main/clock';
import type { CommandRunner } from '../../electron/main/remote/run-command';

/** Time moves only when something waits: each wait advances it by its length. */
function steppingClock(): Clock {
  let t = 0;
  return { now: () => t, setTimeout: (fn, ms) => queueMicrotask(() => ((t += ms), fn())), clearTimeout: () => undefined };
}

function runner(states: string[]): CommandRunner & { asked: string[][] } {
  const asked: string[][] = [];
  return {
    asked,
    run: async (argv) => {
      asked.push([...argv]);
      if (argv.includes('shutdown')) return ok({ stdout: "Domain 'vm1' is being shutdown\n\n", stderr: '', exitCode: 0 });
      const s = states.length > 1 ? states.shift() : states[0];
      return s?.startsWith('error')
        ? ok({ stdout: '', stderr: `${s}\n`, exitCode: 1 })
        : ok({ stdout: `${s}\n\n`, stderr: '', exitCode: 0 });
    },
  };
}

describe('shutting a VM down for an evacuation', () => {
  it('asks once, then waits until it is shut off', async () => {
    const r = runner(['running (booted)', 'running (booted)', 'in shutdown (user)', 'shut off (shutdown)']);
    expect(await shutdownAndWait(r, 'vm1', steppingClock())).toEqual({ ok: true, value: undefined });
    expect(r.asked.filter((a) => a.includes('shutdown'))).toEqual([['env', 'LC_ALL=C', 'virsh', '--connect', 'qemu:///system', 'shutdown', '--domain', 'vm1']]);
  });

  it('a transient guest that is gone once stopped is shut down; one already off is not asked', async () => {
    const gone = runner(['running (booted)', "error: failed to get domain 'vm1'"]);
    expect((await shutdownAndWait(gone, 'vm1', steppingClock())).ok).toBe(true);
    const off = runner(['shut off (destroyed)']);
    expect((await shutdownAndWait(off, 'vm1', steppingClock())).ok).toBe(true);
    expect(off.asked.some((a) => a.includes('shutdown'))).toBe(false);
  });

  it('a guest that ignores the request is reported after the bound and left running', async () => {
    const r = runner(['running (booted)']);
    const res = await shutdownAndWait(r, 'vm1', steppingClock(), 10_000);
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.message).toBe('vm1 did not shut down within 10 s of being asked; it was left running.');
    expect(r.asked.some((a) => a.includes('destroy'))).toBe(false);
  });
});
