import { execFileSync, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FerryError } from '../../shared/errors';
import type { Result } from '../../shared/result';
import { isHostKeyError, type SshTarget } from '../../electron/main/ssh/errors';
import { requireExitZero, type CompletedCommand } from '../../electron/main/ssh/exec';
import { fingerprintSha256, formatKnownHostsLine, memoryKnownHostsStore } from '../../electron/main/ssh/known-hosts';
import { backoffDelay, orderHostKeyAlgorithms, SshPool, type SshAuth, type SshLogger, type SshPoolOptions } from '../../electron/main/ssh/pool';
import { makeKeys, poolOptionsFor, startTestServer, type Keys, type TestServer } from './ssh-harness';

let keys: Keys;
let server: TestServer;
const pools: SshPool[] = [];

beforeAll(async () => {
  keys = makeKeys();
  server = await startTestServer(keys);
});
afterAll(async () => {
  await server.close();
  keys.cleanup();
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.dispose()));
  server.maxSessions = 10;
  server.execDelayMs = 0;
  server.sessionDelayMs = 0;
  server.ignoreSignals = false;
});

const target = (): SshTarget => ({ host: '127.0.0.1', port: server.port, user: 'tester' });

function makePool(over: Partial<SshPoolOptions> = {}): SshPool {
  const pool = new SshPool({ ...poolOptionsFor(server, keys), ...over });
  pools.push(pool);
  return pool;
}

function value(r: Result<CompletedCommand, FerryError>): CompletedCommand {
  if (!r.ok) throw new Error(`expected success, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

function code(r: Result<unknown, FerryError>): string {
  return r.ok ? 'ok' : r.error.code;
}

describe('exec on a pooled connection', () => {
  it('runs an argv exactly as given, hostile arguments included', async () => {
    const pool = makePool();
    const args = ["it's", '$(id)', '`id`', 'a;b|c&d', '\n', '', '*', '-n', 'é日🚀', '${HOME}'];
    const out = value(await pool.exec(target(), ['printf', '%s\\0', ...args], { timeoutMs: 5000 }));
    expect(out.stdout.split('\0').slice(0, -1)).toEqual(args);
    expect(out).toMatchObject({ stderr: '', exitCode: 0, signal: null });
    expect(out.durationMs).toBeGreaterThan(0);
  });

  it('returns a non-zero exit as a completed command, with stdout and stderr kept apart', async () => {
    const pool = makePool();
    const out = value(await pool.exec(target(), { shell: 'echo out; echo err >&2; exit 3' }, { timeoutMs: 5000 }));
    expect(out).toMatchObject({ stdout: 'out\n', stderr: 'err\n', exitCode: 3, signal: null });
    const failed = requireExitZero(ok3(out), 'the test command');
    expect(failed.ok ? 'ok' : failed.error).toMatchObject({ code: 'command.failed', detail: 'err' });
    const missing = value(await pool.exec(target(), ['no-such-program-ferry'], { timeoutMs: 5000 }));
    expect(requireExitZero(ok3(missing), 'x')).toMatchObject({ ok: false, error: { code: 'command.not-found' } });
  });

  it('reports the signal that killed a command', async () => {
    const out = value(await makePool().exec(target(), { shell: 'kill -KILL $$' }, { timeoutMs: 5000 }));
    expect(out).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
  });

  it('feeds stdin and closes it; without stdin the command sees EOF at once', async () => {
    const pool = makePool();
    expect(value(await pool.exec(target(), ['cat'], { timeoutMs: 5000, stdin: 'line 1\nline 2' })).stdout).toBe('line 1\nline 2');
    expect(value(await pool.exec(target(), ['cat'], { timeoutMs: 5000 })).stdout).toBe('');
  });

  it('refuses a command without a usable timeout or with an argument no command line can carry', async () => {
    const pool = makePool();
    expect(code(await pool.exec(target(), ['true'], { timeoutMs: 0 }))).toBe('input.invalid');
    expect(code(await pool.exec(target(), ['true'], { timeoutMs: Number.POSITIVE_INFINITY }))).toBe('input.invalid');
    expect(code(await pool.exec(target(), ['echo', 'a\0b'], { timeoutMs: 1000 }))).toBe('input.invalid');
    expect(code(await pool.exec(target(), [], { timeoutMs: 1000 }))).toBe('input.invalid');
    expect(server.stats.commands).not.toContain("'echo' 'a");
  });

  it('stops a command whose output exceeds the limit', async () => {
    const r = await makePool().exec(target(), { shell: 'head -c 200000 /dev/zero' }, { timeoutMs: 5000, maxOutputBytes: 1000 });
    expect(r).toMatchObject({ ok: false, error: { code: 'command.failed' } });
  });

  it("turns Nagle's algorithm off on the connection's socket (it would add ~40 ms to every exec)", async () => {
    const setNoDelay = vi.spyOn(net.Socket.prototype, 'setNoDelay');
    try {
      expect(value(await makePool().exec(target(), ['true'], { timeoutMs: 5000 })).exitCode).toBe(0);
      const ours = setNoDelay.mock.calls.filter((_, i) => (setNoDelay.mock.contexts[i] as net.Socket).remotePort === server.port);
      expect(ours.length).toBeGreaterThan(0);
      expect(ours.every(([on]) => on !== false)).toBe(true);
    } finally {
      setNoDelay.mockRestore();
    }
  });
});

function ok3(v: CompletedCommand): Result<CompletedCommand, FerryError> {
  return { ok: true, value: v };
}

describe('channel queueing', () => {
  it('runs 25 concurrent commands on one connection, never more than 10 channels at once', async () => {
    const pool = makePool({ maxConnectionsPerTarget: 1 });
    const before = { ...server.stats };
    const rs = await Promise.all(Array.from({ length: 25 }, (_, i) => pool.exec(target(), { shell: `sleep 0.1; echo ${i}` }, { timeoutMs: 20_000 })));
    expect(rs.map((r) => value(r).stdout)).toEqual(Array.from({ length: 25 }, (_, i) => `${i}\n`));
    expect(server.stats.connections - before.connections).toBe(1);
    expect(server.stats.peakSessions).toBeLessThanOrEqual(10);
    expect(server.stats.sessionsRefused - before.sessionsRefused).toBe(0);
    expect(pool.status(target())).toMatchObject({ state: 'ready', channelsInUse: 0, queued: 0 });
  });

  it('hands channels out first come, first served', async () => {
    const pool = makePool({ maxChannelsPerConnection: 2, maxConnectionsPerTarget: 1 });
    const start = server.stats.commands.length;
    await Promise.all(Array.from({ length: 8 }, (_, i) => pool.exec(target(), { shell: `sleep 0.05; echo order-${i}` }, { timeoutMs: 20_000 })));
    const ran = server.stats.commands.slice(start).map((c) => /eval '(.*)'$/.exec(c)?.[1]);
    expect(ran).toEqual(Array.from({ length: 8 }, (_, i) => `sleep 0.05; echo order-${i}`));
  });

  it('still completes every command when the server allows fewer sessions than the pool cap', async () => {
    server.maxSessions = 3;
    const pool = makePool();
    const before = server.stats.sessionsRefused;
    const rs = await Promise.all(Array.from({ length: 12 }, (_, i) => pool.exec(target(), { shell: `sleep 0.1; echo ${i}` }, { timeoutMs: 20_000 })));
    expect(rs.every((r) => r.ok && r.value.exitCode === 0)).toBe(true);
    expect(server.stats.sessionsRefused).toBeGreaterThan(before);
  });

  it('gives up waiting for a channel when the command runs out of time', async () => {
    const pool = makePool({ maxChannelsPerConnection: 1, maxConnectionsPerTarget: 1 });
    const long = pool.exec(target(), ['sleep', '1'], { timeoutMs: 5000 });
    await vi.waitFor(() => expect(pool.status(target()).channelsInUse).toBe(1));
    const queued = await pool.exec(target(), ['true'], { timeoutMs: 200 });
    expect(queued).toMatchObject({ ok: false, error: { code: 'command.timeout' } });
    expect(queued.ok ? '' : queued.error.message).toMatch(/waiting for a free channel/);
    expect(value(await long).exitCode).toBe(0);
    expect(pool.status(target()).queued).toBe(0);
  });
});

describe('timeouts and cancellation', () => {
  it('stops a command at its timeout, sends it TERM and frees its channel', async () => {
    const pool = makePool();
    const t0 = performance.now();
    const r = await pool.exec(target(), ['sleep', '30'], { timeoutMs: 300 });
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(r).toMatchObject({ ok: false, error: { code: 'command.timeout' } });
    await expect.poll(() => server.stats.signals).toContain('TERM');
    await expect.poll(() => pool.status(target()).channelsInUse).toBe(0);
  });

  it('stops a command when its AbortSignal fires', async () => {
    const pool = makePool();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const t0 = performance.now();
    const r = await pool.exec(target(), ['sleep', '30'], { timeoutMs: 10_000, signal: ac.signal, killSignal: 'KILL' });
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(r).toMatchObject({ ok: false, error: { code: 'command.cancelled' } });
    await expect.poll(() => server.stats.signals).toContain('KILL');
  });

  it('kills the remote process group even where sshd ignores signal requests (root sessions on OpenSSH)', async () => {
    server.ignoreSignals = true;
    const pool = makePool();
    const running = (pattern: string): string => {
      try {
        return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim();
      } catch {
        return '';
      }
    };
    expect(await pool.exec(target(), { shell: 'sleep 37.31 & sleep 37.32; wait' }, { timeoutMs: 300 })).toMatchObject({ ok: false, error: { code: 'command.timeout' } });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    expect(await pool.exec(target(), ['sleep', '37.33'], { timeoutMs: 5000, signal: ac.signal })).toMatchObject({ ok: false, error: { code: 'command.cancelled' } });
    await expect.poll(() => running('sleep 37[.]3')).toBe('');
    // The pid line that makes this possible never reaches the caller.
    const out = value(await pool.exec(target(), { shell: 'echo e >&2' }, { timeoutMs: 5000 }));
    expect(out.stderr).toBe('e\n');
  });

  it('keeps its timeout and its cancel while the host is slow to open the channel, and frees the slot afterwards', async () => {
    const pool = makePool();
    expect(value(await pool.exec(target(), ['true'], { timeoutMs: 5000 })).exitCode).toBe(0);
    server.sessionDelayMs = 1500;
    // Both end while the channel is still being opened, not once it is (when exec's own timer would catch them).
    const timedOut = await pool.exec(target(), ['true'], { timeoutMs: 200 });
    expect(timedOut).toMatchObject({ ok: false, error: { code: 'command.timeout' } });
    expect(timedOut.ok ? '' : timedOut.error.message).toMatch(/waiting for the host to open a channel/);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const cancelled = await pool.exec(target(), ['true'], { timeoutMs: 5000, signal: ac.signal });
    expect(cancelled).toMatchObject({ ok: false, error: { code: 'command.cancelled' } });
    expect(cancelled.ok ? '' : cancelled.error.message).toMatch(/waiting for the host to open a channel/);
    server.sessionDelayMs = 0;
    await expect.poll(() => pool.status(target()).channelsInUse, { timeout: 4000 }).toBe(0);
    expect(value(await pool.exec(target(), ['echo', 'still fine'], { timeoutMs: 5000 })).stdout).toBe('still fine\n');
  });

  it('does not start a command whose signal has already fired', async () => {
    const pool = makePool();
    const n = server.stats.commands.length;
    const r = await pool.exec(target(), ['true'], { timeoutMs: 1000, signal: AbortSignal.abort() });
    expect(code(r)).toBe('command.cancelled');
    expect(server.stats.commands.length).toBe(n);
  });
});

describe('host key verification', () => {
  const fp = (): string => execFileSync('ssh-keygen', ['-lf', join(keys.dir, 'host.pub')], { encoding: 'utf8' }).split(' ')[1]!;

  it('refuses an unknown host with its key type and ssh-keygen fingerprint, and connects once the key is trusted', async () => {
    const store = memoryKnownHostsStore('');
    const pool = makePool({ knownHosts: store });
    const r = await pool.exec(target(), ['true'], { timeoutMs: 5000 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('ssh.host-key-unknown');
    expect(isHostKeyError(r.error)).toBe(true);
    if (!isHostKeyError(r.error)) return;
    expect(r.error.hostKey).toMatchObject({ host: '127.0.0.1', port: server.port, keyType: 'ssh-ed25519', fingerprint: fp() });
    expect(r.error.message).toContain(fp());
    expect(await pool.trustHostKey(target(), r.error.hostKey)).toEqual({ ok: true, value: undefined });
    expect(store.text()).toBe(`[127.0.0.1]:${server.port} ssh-ed25519 ${keys.host.blob.toString('base64')}\n`);
    expect(value(await pool.exec(target(), ['echo', 'in'], { timeoutMs: 5000 })).stdout).toBe('in\n');
  });

  it('refuses a changed key, names both fingerprints, and will not trust it', async () => {
    const store = memoryKnownHostsStore(formatKnownHostsLine('127.0.0.1', server.port, keys.otherHost.type, keys.otherHost.blob));
    const pool = makePool({ knownHosts: store });
    const r = await pool.exec(target(), ['true'], { timeoutMs: 5000 });
    expect(r.ok).toBe(false);
    if (r.ok || !isHostKeyError(r.error)) throw new Error('expected a host key error');
    expect(r.error.code).toBe('ssh.host-key-changed');
    expect(r.error.hostKey.fingerprint).toBe(fp());
    expect(r.error.hostKey.knownFingerprint).toBe(fingerprintSha256(keys.otherHost.blob));
    expect(r.error.message).toMatch(/CHANGED/);
    expect(r.error.message).toContain(fingerprintSha256(keys.otherHost.blob));
    expect(await pool.trustHostKey(target(), r.error.hostKey)).toMatchObject({ ok: false, error: { code: 'ssh.host-key-changed' } });
    expect(code(await pool.exec(target(), ['true'], { timeoutMs: 5000 }))).toBe('ssh.host-key-changed');
  });

  it('will not write a trusted key under a host name that would widen it to other hosts', async () => {
    const store = memoryKnownHostsStore(`${server.knownHostsLine()}\n`);
    const pool = makePool({ knownHosts: store });
    const key = { keyType: keys.stranger.type, keyBase64: keys.stranger.blob.toString('base64') };
    for (const host of ['127.0.0.2\n*', '127.0.0.2,*', '*']) {
      expect(await pool.trustHostKey({ host, user: 'x' }, key), JSON.stringify(host)).toMatchObject({ ok: false, error: { code: 'input.invalid' } });
    }
    expect(store.text()).toBe(`${server.knownHostsLine()}\n`);
  });

  it('refuses a revoked key', async () => {
    const b64 = keys.host.blob.toString('base64');
    const store = memoryKnownHostsStore(`${server.knownHostsLine()}\n@revoked * ssh-ed25519 ${b64}\n`);
    expect(code(await makePool({ knownHosts: store }).exec(target(), ['true'], { timeoutMs: 5000 }))).toBe('ssh.host-key-revoked');
  });

  it('offers the known key types first when negotiating', () => {
    expect(orderHostKeyAlgorithms([])).toBeUndefined();
    expect(orderHostKeyAlgorithms(['ssh-rsa'])?.slice(0, 4)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519']);
    expect(orderHostKeyAlgorithms(['ecdsa-sha2-nistp256', 'ssh-ed25519'])?.slice(0, 3)).toEqual(['ecdsa-sha2-nistp256', 'ssh-ed25519', 'ecdsa-sha2-nistp384']);
  });
});

describe('authentication and secrets', () => {
  function secretsAbsent(e: unknown, secrets: readonly string[]): void {
    const text = JSON.stringify(e);
    for (const s of secrets) {
      expect(text).not.toContain(s);
      for (const line of s.split('\n').filter((l) => l.length >= 16)) expect(text).not.toContain(line);
    }
  }

  it('uses an encrypted key with its passphrase', async () => {
    const pool = makePool({ auth: () => ({ kind: 'key', privateKey: keys.clientEncrypted.privateKey, passphrase: keys.passphrase }) });
    expect(value(await pool.exec(target(), ['echo', 'ok'], { timeoutMs: 5000 })).stdout).toBe('ok\n');
  });

  it('authenticates through an ssh-agent socket', async () => {
    const sock = join(keys.dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      await expect.poll(() => existsSync(sock)).toBe(true);
      writeFileSync(join(keys.dir, 'agent-key'), keys.client.privateKey, { mode: 0o600 });
      execFileSync('ssh-add', ['-q', join(keys.dir, 'agent-key')], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      const pool = makePool({ auth: () => ({ kind: 'agent', socketPath: sock }) });
      expect(value(await pool.exec(target(), ['echo', 'via agent'], { timeoutMs: 5000 })).stdout).toBe('via agent\n');
      const none = makePool({ auth: () => ({ kind: 'agent', socketPath: join(keys.dir, 'no-agent.sock') }) });
      expect(code(await none.exec(target(), ['true'], { timeoutMs: 5000 }))).toBe('ssh.auth-failed');
    } finally {
      agent.kill();
    }
  });

  it('reports a key the server does not accept as ssh.auth-failed', async () => {
    const r = await makePool({ auth: () => ({ kind: 'key', privateKey: keys.stranger.privateKey }) }).exec(target(), ['true'], { timeoutMs: 5000 });
    expect(r).toMatchObject({ ok: false, error: { code: 'ssh.auth-failed' } });
    expect(r.ok ? '' : r.error.message).toMatch(/refused our credentials/);
    secretsAbsent(r, [keys.stranger.privateKey]);
  });

  it('never puts a key or passphrase into errors or logs', async () => {
    const logged: unknown[] = [];
    const logger: SshLogger = { debug: (e, f) => logged.push([e, f]), warn: (e, f) => logged.push([e, f]) };
    const cases: SshAuth[] = [
      { kind: 'key', privateKey: keys.clientEncrypted.privateKey, passphrase: 'wrong passphrase 1234567' },
      { kind: 'key', privateKey: keys.clientEncrypted.privateKey },
      { kind: 'key', privateKey: `garbage ${keys.client.privateKey.slice(40, 120)} more garbage` },
    ];
    for (const auth of cases) {
      const r = await makePool({ auth: () => auth, logger }).exec(target(), ['true'], { timeoutMs: 5000 });
      expect(code(r)).toBe('ssh.auth-failed');
      const secrets = [auth.kind === 'key' ? String(auth.privateKey) : '', ...(auth.kind === 'key' && auth.passphrase ? [auth.passphrase] : [])];
      secretsAbsent(r, secrets);
      secretsAbsent(logged, secrets);
    }
    secretsAbsent(logged, [keys.client.privateKey, keys.passphrase]);
  });

  it('reports a missing credential source as ssh.auth-failed, with its reason', async () => {
    const r = await makePool({ auth: () => Promise.reject(new Error('vault locked')) }).exec(target(), ['true'], { timeoutMs: 5000 });
    expect(r).toMatchObject({ ok: false, error: { code: 'ssh.auth-failed', detail: 'vault locked' } });
  });

  it('reports a known_hosts store that throws as ssh.known-hosts-io, with its reason, instead of hanging', async () => {
    const broken = { name: 'broken store', load: () => Promise.reject(new Error('disk on fire')), append: () => Promise.reject(new Error('no')) };
    const r = await makePool({ knownHosts: broken }).exec(target(), ['true'], { timeoutMs: 5000 });
    expect(r).toMatchObject({ ok: false, error: { code: 'ssh.known-hosts-io', detail: 'disk on fire' } });
    expect(r.ok ? '' : r.error.message).toContain('broken store');
  });
});

describe('connection failures', () => {
  it('reports a closed port as ssh.unreachable (refused)', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise((r) => srv.close(r));
    const r = await makePool().exec({ host: '127.0.0.1', port, user: 'x' }, ['true'], { timeoutMs: 5000 });
    expect(r).toMatchObject({ ok: false, error: { code: 'ssh.unreachable' } });
    expect(r.ok ? '' : r.error.message).toMatch(/refused the connection/);
  });

  it('reports a server that accepts TCP but never speaks SSH as ssh.timeout', async () => {
    const sockets: net.Socket[] = [];
    const mute = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const port = (mute.address() as net.AddressInfo).port;
    const t0 = performance.now();
    const r = await makePool({ readyTimeoutMs: 300 }).exec({ host: '127.0.0.1', port, user: 'x' }, ['true'], { timeoutMs: 5000 });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(r).toMatchObject({ ok: false, error: { code: 'ssh.timeout' } });
    expect(r.ok ? '' : r.error.message).toMatch(/handshake did not finish within 0 s|handshake did not finish/);
    for (const s of sockets) s.destroy();
    await new Promise((res) => mute.close(res));
  });

  it('waits out the backoff after a failure instead of hammering the host, and fails fast when it cannot wait', async () => {
    let sockets = 0;
    const pool = makePool({
      backoff: { initialMs: 60_000, maxMs: 60_000, jitter: (ms) => ms },
      connectSocket: (host, port) => {
        sockets++;
        return net.connect({ host, port: port + 0, noDelay: true });
      },
    });
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise((r) => srv.close(r));
    const t = { host: '127.0.0.1', port, user: 'x' };
    expect(code(await pool.exec(t, ['true'], { timeoutMs: 5000 }))).toBe('ssh.unreachable');
    // Waiting out the 60 s backoff would end in command.timeout at 5 s; the last error comes back at once instead.
    const t0 = performance.now();
    expect(code(await pool.exec(t, ['true'], { timeoutMs: 5000 }))).toBe('ssh.unreachable');
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(sockets).toBe(1);
    expect(pool.status(t)).toMatchObject({ state: 'idle', consecutiveFailures: 1 });
  });

  it('computes a capped exponential backoff with injectable jitter', () => {
    const o = { initialMs: 500, maxMs: 30_000, factor: 2, jitter: (ms: number) => ms };
    expect([0, 1, 2, 3, 4, 5, 6, 7, 10].map((n) => backoffDelay(n, o))).toEqual([0, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(backoffDelay(3, { ...o, jitter: (ms) => ms / 2 })).toBe(1000);
  });

  it('fails the command in flight with ssh.disconnected when the connection drops, then reconnects', async () => {
    const pool = makePool();
    const before = server.stats.connections;
    const inflight = pool.exec(target(), ['sleep', '5'], { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 200));
    server.dropAll();
    const r = await inflight;
    expect(code(r)).toBe('ssh.disconnected');
    expect(value(await pool.exec(target(), ['echo', 'again'], { timeoutMs: 5000 })).stdout).toBe('again\n');
    expect(server.stats.connections - before).toBe(2);
  });

  it('notices a path that stops carrying packets (keepalive) and says so', async () => {
    // A TCP relay we can turn into a black hole after the handshake, as P20's MTU black hole does.
    let blackhole = false;
    const relay = net.createServer((down) => {
      const up = net.connect(server.port, '127.0.0.1');
      down.on('data', (d) => blackhole || up.write(d));
      up.on('data', (d) => blackhole || down.write(d));
      const end = (): void => {
        down.destroy();
        up.destroy();
      };
      down.on('error', end).on('close', end);
      up.on('error', end).on('close', end);
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const port = (relay.address() as net.AddressInfo).port;
    const pool = makePool({
      keepaliveIntervalMs: 100,
      keepaliveCountMax: 2,
      knownHosts: memoryKnownHostsStore(formatKnownHostsLine('127.0.0.1', port, keys.host.type, keys.host.blob)),
    });
    const t = { host: '127.0.0.1', port, user: 'x' };
    expect(value(await pool.exec(t, ['true'], { timeoutMs: 5000 })).exitCode).toBe(0);
    const running = pool.exec(t, ['sleep', '3'], { timeoutMs: 5000 });
    await new Promise((res) => setTimeout(res, 200));
    blackhole = true;
    const r = await running;
    expect(r).toMatchObject({ ok: false, error: { code: 'ssh.disconnected' } });
    expect(r.ok ? '' : r.error.message).toMatch(/keepalive/);
    relay.close();
  });
});

describe('closing', () => {
  it('abandons a handshake in progress at once when disposed', async () => {
    const sockets: net.Socket[] = [];
    const mute = net.createServer((sk) => sockets.push(sk));
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const port = (mute.address() as net.AddressInfo).port;
    const pool = makePool({ readyTimeoutMs: 30_000 });
    const pending = pool.exec({ host: '127.0.0.1', port, user: 'x' }, ['true'], { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    await pool.dispose();
    expect(code(await pending)).toBe('ssh.disconnected');
    expect(performance.now() - t0).toBeLessThan(1000);
    for (const sk of sockets) sk.destroy();
    await new Promise((r) => mute.close(r));
  });

  it('fails queued and new requests with ssh.disconnected after dispose', async () => {
    const pool = makePool({ maxChannelsPerConnection: 1 });
    const running = pool.exec(target(), ['sleep', '2'], { timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 150));
    const queued = pool.exec(target(), ['true'], { timeoutMs: 5000 });
    await pool.dispose();
    expect(code(await queued)).toBe('ssh.disconnected');
    expect(code(await running)).toBe('ssh.disconnected');
    expect(code(await pool.exec(target(), ['true'], { timeoutMs: 1000 }))).toBe('ssh.disconnected');
  });
});
