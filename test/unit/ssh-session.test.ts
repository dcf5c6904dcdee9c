import { execFileSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FerryError } from '../../shared/errors';
import type { Result } from '../../shared/result';
import type { CompletedCommand } from '../../electron/main/ssh/exec';
import { memoryKnownHostsStore } from '../../electron/main/ssh/known-hosts';
import { SshPool } from '../../electron/main/ssh/pool';
import { SentinelReader } from '../../electron/main/ssh/sentinel';
import { newSessionToken, ShellSession } from '../../electron/main/ssh/shell-session';
import { virshStderr, VirshSession } from '../../electron/main/ssh/virsh-session';
import { parseDomjobinfo } from '../../shared/parsers/virsh-domjobinfo';
import { stdoutThenStderr } from '../../shared/commands';
import { makeKeys, startTestServer, type Keys, type TestServer } from './ssh-harness';

let keys: Keys;
let server: TestServer;
let pool: SshPool;
const sessions: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  keys = makeKeys();
  server = await startTestServer(keys);
  pool = new SshPool({
    knownHosts: memoryKnownHostsStore(server.knownHostsLine()),
    auth: () => ({ kind: 'key', privateKey: keys.client.privateKey }),
    backoff: { initialMs: 10, maxMs: 50, jitter: (ms) => ms },
  });
});
afterAll(async () => {
  await pool.dispose();
  await server.close();
  keys.cleanup();
});
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
});

const target = () => ({ host: '127.0.0.1', port: server.port, user: 'tester' });

function shell(): ShellSession {
  const s = new ShellSession({ pool, target: target() });
  sessions.push(s);
  return s;
}

function value(r: Result<CompletedCommand, FerryError>): CompletedCommand {
  if (!r.ok) throw new Error(`expected success, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

const T = { timeoutMs: 5000 };

describe('SentinelReader', () => {
  it('finds a marker split across chunks of any size and keeps what follows for the next command', () => {
    const text = Buffer.from('some output\nno newline at end\nMARK 42\nnext');
    for (const size of [1, 2, 3, 7, 100]) {
      const r = new SentinelReader();
      r.setMarker(Buffer.from('\nMARK '), true);
      for (let i = 0; i < text.length; i += size) r.push(text.subarray(i, i + size));
      const got = r.take();
      expect(got?.body.toString()).toBe('some output\nno newline at end');
      expect(got?.line).toBe('42');
      r.setMarker(Buffer.from('xt'), false);
      expect(r.take()?.body.toString()).toBe('ne');
    }
  });

  it('waits for the rest of the status line', () => {
    const r = new SentinelReader();
    r.setMarker(Buffer.from('|M '), true);
    r.push(Buffer.from('a|M 1'));
    expect(r.take()).toBeUndefined();
    r.push(Buffer.from('27\n'));
    expect(r.take()).toEqual({ body: Buffer.from('a'), line: '127' });
  });
});

describe('ShellSession', () => {
  it('runs 100 commands one after another on one channel with the right stdout, stderr and exit status', async () => {
    const s = shell();
    const before = server.stats.sessionsOpened;
    for (let i = 0; i < 100; i++) {
      const out = value(await s.run({ shell: `echo out-${i}; echo err-${i} >&2; exit ${i % 7}` }, T));
      expect(out).toMatchObject({ stdout: `out-${i}\n`, stderr: `err-${i}\n`, exitCode: i % 7, signal: null });
    }
    expect(s.opens).toBe(1);
    expect(server.stats.sessionsOpened - before).toBe(1);
  });

  it('keeps output exact: no trailing newline, empty, binary-ish, unicode, large', async () => {
    const s = shell();
    expect(value(await s.run(['printf', '%s', 'no newline'], T)).stdout).toBe('no newline');
    expect(value(await s.run(['true'], T))).toMatchObject({ stdout: '', stderr: '', exitCode: 0 });
    expect(value(await s.run(['printf', '\\n\\n'], T)).stdout).toBe('\n\n');
    expect(value(await s.run(['printf', '%s', 'é日🚀\t\r'], T)).stdout).toBe('é日🚀\t\r');
    expect(value(await s.run({ shell: 'printf err-no-newline >&2' }, T)).stderr).toBe('err-no-newline');
    const big = value(await s.run({ shell: 'head -c 1000000 /dev/zero | tr "\\0" x' }, T));
    expect(big.stdout.length).toBe(1_000_000);
    expect(s.opens).toBe(1);
  });

  it('passes hostile arguments through byte-exact', async () => {
    const args = ["it's", '$(id)', '`id`', 'a;b|c&d', 'line\nbreak', '', '*', '-n', 'é日🚀', "'\\''"];
    const out = value(await shell().run(['printf', '%s\\0', ...args], T));
    expect(out.stdout.split('\0').slice(0, -1)).toEqual(args);
  });

  it('cannot be fooled by output that imitates a sentinel', async () => {
    const s = new ShellSession({ pool, target: target(), token: 'FERRYfixedtoken' });
    sessions.push(s);
    // The real tag of the next command is FERRYfixedtoken:2; a command that does not know the token prints another.
    const out = value(await s.run({ shell: "printf '\\nFERRYothertoken:2 0\\n'; printf '\\nFERRYothertoken:2\\n' >&2; exit 4" }, T));
    expect(out).toMatchObject({ stdout: '\nFERRYothertoken:2 0\n', stderr: '\nFERRYothertoken:2\n', exitCode: 4 });
    expect(value(await s.run(['echo', 'still in step'], T)).stdout).toBe('still in step\n');
    // Each session draws its own 128-bit token.
    expect(newSessionToken()).toMatch(/^FERRY[0-9a-f]{32}$/);
    expect(newSessionToken()).not.toBe(newSessionToken());
  });

  it('isolates each command: exit, cd, exec, variables and syntax errors do not leak into the session', async () => {
    const s = shell();
    expect(value(await s.run({ shell: 'cd /tmp; X=1; exit 5' }, T)).exitCode).toBe(5);
    expect(value(await s.run({ shell: 'pwd; echo "[$X]"' }, T)).stdout).toBe(`${process.cwd()}\n[]\n`);
    const syntax = value(await s.run({ shell: 'if then fi (' }, T));
    expect(syntax.exitCode).toBe(2);
    expect(syntax.stderr).toMatch(/syntax error/i);
    expect(value(await s.run(['exec', 'true'], T)).exitCode).toBe(0);
    expect(value(await s.run(['echo', 'alive'], T)).stdout).toBe('alive\n');
    expect(s.opens).toBe(1);
  });

  it('gives commands an empty stdin so they cannot eat the session input', async () => {
    const s = shell();
    expect(value(await s.run(['cat'], T)).stdout).toBe('');
    expect(value(await s.run({ shell: 'read x; echo "[$x]"' }, T)).stdout).toBe('[]\n');
    expect(value(await s.run(['echo', 'next'], T)).stdout).toBe('next\n');
  });

  it('serialises concurrent callers in order', async () => {
    const s = shell();
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => s.run({ shell: `echo ${i}; echo e${i} >&2` }, T)));
    expect(rs.map((r) => value(r).stdout)).toEqual(Array.from({ length: 20 }, (_, i) => `${i}\n`));
    expect(rs.map((r) => value(r).stderr)).toEqual(Array.from({ length: 20 }, (_, i) => `e${i}\n`));
    expect(s.opens).toBe(1);
  });

  it('times a command out without desynchronising: the session is replaced and queued commands still run', async () => {
    const s = shell();
    await s.run(['true'], T);
    const slow = s.run(['sleep', '30'], { timeoutMs: 300 });
    const queued = s.run(['echo', 'after'], T);
    const t0 = performance.now();
    expect(await slow).toMatchObject({ ok: false, error: { code: 'command.timeout' } });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(value(await queued).stdout).toBe('after\n');
    expect(s.opens).toBe(2);
    await expect.poll(() => server.stats.signals).toContain('TERM');
  });

  it('kills the running command on timeout even where sshd ignores signal requests', async () => {
    server.ignoreSignals = true;
    try {
      const s = shell();
      expect(await s.run({ shell: 'sleep 38.41 & sleep 38.42; wait' }, { timeoutMs: 300 })).toMatchObject({ ok: false, error: { code: 'command.timeout' } });
      const left = (): string => {
        try {
          return execFileSync('pgrep', ['-f', 'sleep 38[.]4'], { encoding: 'utf8' }).trim();
        } catch {
          return '';
        }
      };
      await expect.poll(left).toBe('');
      expect(value(await s.run(['echo', 'fresh'], T)).stdout).toBe('fresh\n');
    } finally {
      server.ignoreSignals = false;
    }
  });

  it('cancels a running command by AbortSignal, and a queued one without touching the session', async () => {
    const s = shell();
    await s.run(['true'], T);
    const ac = new AbortController();
    const running = s.run(['sleep', '30'], { timeoutMs: 10_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 150);
    expect(await running).toMatchObject({ ok: false, error: { code: 'command.cancelled' } });
    expect(s.opens).toBe(1);

    const ac2 = new AbortController();
    const blocker = s.run({ shell: 'sleep 0.3; echo blocker' }, T);
    const queued = s.run(['echo', 'never'], { timeoutMs: 5000, signal: ac2.signal });
    ac2.abort();
    expect(await queued).toMatchObject({ ok: false, error: { code: 'command.cancelled' } });
    expect(value(await blocker).stdout).toBe('blocker\n');
    expect(s.opens).toBe(2);
  });

  it('fails the current and queued commands with ssh.disconnected when the channel dies, then re-opens', async () => {
    const s = shell();
    await s.run(['true'], T);
    const a = s.run(['sleep', '5'], T);
    const b = s.run(['echo', 'b'], T);
    await new Promise((r) => setTimeout(r, 200));
    server.dropAll();
    expect(await a).toMatchObject({ ok: false, error: { code: 'ssh.disconnected' } });
    expect(await b).toMatchObject({ ok: false, error: { code: 'ssh.disconnected' } });
    expect(value(await s.run(['echo', 'back'], T)).stdout).toBe('back\n');
    expect(s.opens).toBe(2);
  });

  it('reports the shell itself dying as ssh.disconnected', async () => {
    const s = shell();
    const r = await s.run({ shell: 'kill -KILL $$' }, T);
    expect(r).toMatchObject({ ok: false, error: { code: 'ssh.disconnected' } });
    expect(r.ok ? '' : r.error.message).toMatch(/ended/);
    expect(value(await s.run(['echo', 'new'], T)).stdout).toBe('new\n');
  });

  it('stops a command that prints too much and carries on with a new session', async () => {
    const s = new ShellSession({ pool, target: target(), maxOutputBytes: 10_000 });
    sessions.push(s);
    expect(await s.run({ shell: 'head -c 100000 /dev/zero' }, T)).toMatchObject({ ok: false, error: { code: 'command.failed' } });
    expect(value(await s.run(['echo', 'ok'], T)).stdout).toBe('ok\n');
  });

  it('refuses new work after close, and fails what was waiting', async () => {
    const s = new ShellSession({ pool, target: target() });
    const running = s.run(['sleep', '2'], T);
    await new Promise((r) => setTimeout(r, 100));
    await s.close();
    expect(await running).toMatchObject({ ok: false, error: { code: 'ssh.disconnected' } });
    expect(await s.run(['true'], T)).toMatchObject({ ok: false, error: { code: 'ssh.disconnected' } });
    expect(await s.run(['true'], { timeoutMs: -1 })).toMatchObject({ ok: false, error: { code: 'input.invalid' } });
  });
});

describe('VirshSession (virsh -c test:///default, the driver that needs no daemon)', () => {
  const local = (...args: string[]): { stdout: string; stderr: string } => {
    try {
      return { stdout: execFileSync('virsh', ['-c', 'test:///default', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), stderr: '' };
    } catch (e) {
      const x = e as { stdout: string; stderr: string };
      return { stdout: x.stdout, stderr: x.stderr };
    }
  };

  function virsh(): VirshSession {
    const s = new VirshSession({ pool, target: target(), uri: 'test:///default' });
    sessions.push(s);
    return s;
  }

  it('prints exactly what a one-shot virsh prints', async () => {
    const s = virsh();
    for (const argv of [['list', '--all'], ['dominfo', 'test'], ['nodeinfo'], ['domstate', 'test'], ['list', '--name']]) {
      const out = value(await s.run(argv, T));
      // The test driver's CPU time moves between two calls.
      const steady = (t: string): string => t.replace(/^CPU time:.*$/m, 'CPU time: x');
      expect(steady(out.stdout)).toBe(steady(local(...argv).stdout));
      expect(out).toMatchObject({ stderr: '', exitCode: 0 });
    }
    expect(s.opens).toBe(1);
  });

  it('reports a failed command through stderr with exit status 1, and carries on', async () => {
    const s = virsh();
    const out = value(await s.run(['dominfo', 'nosuch'], T));
    expect(out).toMatchObject({ stdout: local('dominfo', 'nosuch').stdout, stderr: "error: failed to get domain 'nosuch'\n", exitCode: 1 });
    expect(value(await s.run(['domstate', 'test'], T)).stdout).toBe('running\n\n');
  });

  it('quotes arguments so that virsh reads them literally', async () => {
    const s = virsh();
    const out = value(await s.run(['echo', '--', "it's", 'a;b', '$(x)', '#c', '"d"', '--shell'], T));
    expect(out.stdout).toBe(`it's a;b $(x) #c "d" --shell\n`);
  });

  it('refuses what interactive virsh cannot take', async () => {
    const s = virsh();
    for (const bad of [['echo', 'a\nb'], ['echo', 'tab\there'], ['quit'], ['virsh', 'list'], []] as const) {
      expect(await s.run(bad, T)).toMatchObject({ ok: false, error: { code: 'input.invalid' } });
    }
    expect(await s.run({ shell: 'virsh list' }, T)).toMatchObject({ ok: false, error: { code: 'input.invalid' } });
    expect(s.opens).toBe(0);
  });

  it("leaves virsh's own reconnection notices out of the command's stderr and status", () => {
    expect(virshStderr('')).toEqual({ stderr: '', exitCode: 0 });
    expect(virshStderr('error: Reconnected to the hypervisor\n')).toEqual({ stderr: '', exitCode: 0 });
    expect(virshStderr('error: Disconnected from qemu:///system due to end of file\n')).toEqual({ stderr: '', exitCode: 0 });
    const failed = "error: failed to get domain 'x'\n";
    expect(virshStderr(`error: Disconnected from qemu:///system due to end of file\n${failed}`)).toEqual({ stderr: failed, exitCode: 1 });
    expect(virshStderr('error: Failed to reconnect to the hypervisor\n').exitCode).toBe(1);
    // What the sampler then parses is the sample, not a failure.
    const sample = 'Job type:         Unbounded   \nOperation:        Outgoing migration\nTime elapsed:     1000         ms\n\n';
    const parsed = parseDomjobinfo(stdoutThenStderr({ stdout: sample, ...virshStderr('error: Reconnected to the hypervisor\n') }));
    expect(parsed).toStrictEqual(parseDomjobinfo(sample));
    expect(parsed.ok).toBe(true);
  });

  it('reports what virsh said when it ends at once because libvirtd does not answer (not a lost connection)', async () => {
    const s = new VirshSession({ pool, target: target(), uri: 'qemu+unix:///system?socket=/nonexistent/ferry-libvirt.sock' });
    sessions.push(s);
    const r = await s.run(['list', '--all'], T);
    expect(r).toMatchObject({ ok: false, error: { code: 'libvirt.error', detail: expect.stringContaining("Failed to connect socket to '/nonexistent/ferry-libvirt.sock'") } });
    expect(!r.ok && r.error.detail).toContain('failed to connect to the hypervisor');
  });

  it('serves many commands on one process', async () => {
    const s = virsh();
    for (let i = 0; i < 50; i++) expect(value(await s.run(['echo', `n${i}`], T)).stdout).toBe(`n${i}\n`);
    expect(s.opens).toBe(1);
  });
});
