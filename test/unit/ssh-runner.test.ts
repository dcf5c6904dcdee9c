import { describe, expect, it } from 'vitest';
import { execRunner, virshRunner } from '../../electron/main/remote/ssh-runner';
import { runCommand } from '../../electron/main/remote/run-command';
import { virshDomjobinfo } from '../../shared/commands';
import type { SshPool } from '../../electron/main/ssh/pool';
import { systemClock } from '../../electron/main/clock';

// A pool that records channel requests and never opens one: the refusals below must not reach it.
function recordingPool() {
  const opened: string[] = [];
  const pool = {
    clock: systemClock,
    openExecChannel: async (_t: unknown, line: string) => {
      opened.push(line);
      return { ok: false as const, error: { code: 'ssh.unreachable' as const, message: 'test pool' } };
    },
  };
  return { pool: pool as unknown as SshPool, opened };
}

describe('virsh session runner', () => {
  it('refuses anything that is not a virsh command against qemu:///system, without opening a channel', async () => {
    const { pool, opened } = recordingPool();
    const runner = virshRunner(pool, { host: '10.77.0.11', user: 'root' });
    for (const argv of [['sh', '-c', 'reboot'], ['virsh', 'list'], ['env', 'LC_ALL=C', 'virsh', '--connect', 'qemu:///session', 'list'], ['env', 'LC_ALL=C', 'virsh', '--connect', 'qemu:///system']]) {
      const r = await runner.run(argv, { timeoutMs: 1000 });
      expect(r.ok ? 'ran' : r.error.code, argv.join(' ')).toBe('input.invalid');
    }
    expect(opened).toEqual([]);
  });

  it('starts an interactive virsh on qemu:///system for a typed virsh command', async () => {
    const { pool, opened } = recordingPool();
    const runner = virshRunner(pool, { host: '10.77.0.11', user: 'root' });
    const r = await runCommand(runner, virshDomjobinfo('vm1'));
    expect(r.ok ? 'ok' : r.error.code).toBe('ssh.unreachable'); // reached the (failing) pool
    expect(opened).toHaveLength(1);
    expect(opened[0]).toContain("'virsh' '-c' 'qemu:///system'");
  });

  it('refuses a command that reads standard input: the session has none to give it', async () => {
    const { pool, opened } = recordingPool();
    const runner = virshRunner(pool, { host: '10.77.0.11', user: 'root' });
    const r = await runCommand(runner, virshDomjobinfo('vm1'), { stdin: '<domain/>' });
    expect(r.ok ? 'ran' : r.error.code).toBe('input.invalid');
    expect(opened).toEqual([]);
  });
});

describe('exec runner', () => {
  it("hands runCommand's stdin, timeout and signal to the pool's exec", async () => {
    const seen: unknown[] = [];
    const pool = { exec: async (_t: unknown, argv: readonly string[], o: unknown) => (seen.push(argv, o), { ok: true as const, value: { stdout: '', stderr: '', exitCode: 0 } }) };
    const signal = new AbortController().signal;
    await runCommand(execRunner(pool as unknown as SshPool, { host: '10.77.0.11', user: 'root' }), virshDomjobinfo('vm1'), { stdin: 'text', signal, timeoutMs: 1234 });
    expect(seen[1]).toEqual({ timeoutMs: 1234, signal, stdin: 'text' });
  });
});
