// The pool through jump hosts (ProxyJump): real ssh2 servers on 127.0.0.1, the first one forwarding to the next.
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../support/wait';
import type { FerryError } from '../../shared/errors';
import type { Result } from '../../shared/result';
import { isHostKeyError, type SshTarget } from '../../electron/main/ssh/errors';
import { previousHop, viaJump } from '../../electron/main/ssh/jump';
import { fingerprintSha256, formatKnownHostsLine, memoryKnownHostsStore } from '../../electron/main/ssh/known-hosts';
import { SshPool, type SshPoolOptions } from '../../electron/main/ssh/pool';
import { makeKeys, startTestServer, type Keys, type TestServer } from './ssh-harness';

let keys: Keys;
let bastion: TestServer;
let inner: TestServer;
let hvC: TestServer;
let hvD: TestServer;
const pools: SshPool[] = [];

beforeAll(async () => {
  keys = makeKeys();
  [bastion, inner, hvC, hvD] = await Promise.all([startTestServer(keys), startTestServer(keys), startTestServer(keys), startTestServer(keys)]);
});
afterAll(async () => {
  await Promise.all([bastion, inner, hvC, hvD].map((s) => s.close()));
  keys.cleanup();
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.dispose()));
});

const at = (s: TestServer) => ({ host: '127.0.0.1', port: s.port, user: 'tester' });
const via = (s: TestServer, ...jump: TestServer[]): SshTarget => ({ ...at(s), jump: jump.map(at) });

/** Every server's key, except those left out or replaced. */
function knownHosts(opts: { without?: TestServer[]; otherKeyFor?: TestServer[] } = {}): string {
  return [bastion, inner, hvC, hvD]
    .filter((s) => !(opts.without ?? []).includes(s))
    .map((s) => ((opts.otherKeyFor ?? []).includes(s) ? formatKnownHostsLine('127.0.0.1', s.port, keys.otherHost.type, keys.otherHost.blob) : s.knownHostsLine()))
    .join('\n');
}

/** A pool that records the TCP connections it opens itself (as host:port). */
function makePool(over: Partial<SshPoolOptions> & { known?: string } = {}): { pool: SshPool; sockets: string[] } {
  const sockets: string[] = [];
  const pool = new SshPool({
    knownHosts: memoryKnownHostsStore(`${over.known ?? knownHosts()}\n`),
    auth: () => ({ kind: 'key', privateKey: keys.client.privateKey }),
    readyTimeoutMs: 5000,
    backoff: { initialMs: 20, maxMs: 200, jitter: (ms) => ms },
    connectSocket: (host, port) => {
      sockets.push(`${host}:${port}`);
      return net.connect({ host, port, noDelay: true });
    },
    ...over,
  });
  pools.push(pool);
  return { pool, sockets };
}

function expectOk<T>(r: Result<T, FerryError>): T {
  if (!r.ok) throw new Error(`expected success, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}


describe('the chain of a target', () => {
  it('names the previous hop with the hops before it as its own chain', () => {
    const a = { host: 'a', user: 'u' };
    const b = { host: 'b', port: 2222, user: 'v' };
    expect(previousHop({ host: 't', user: 'r' })).toBeUndefined();
    expect(previousHop({ host: 't', user: 'r', jump: [a] })).toEqual(a);
    expect(previousHop({ host: 't', user: 'r', jump: [a, b] })).toEqual({ ...b, jump: [a] });
  });

  it('prefixes a failure with the jump host once, however deep the chain', () => {
    const e = viaJump({ host: '10.77.0.11', user: 'root' }, { code: 'ssh.unreachable', message: '10.77.0.11:22 refused the connection.' });
    expect(e.message).toBe('jump host 10.77.0.11: 10.77.0.11:22 refused the connection.');
    expect(viaJump({ host: 'b', user: 'root' }, e)).toBe(e);
  });
});

describe('connecting through jump hosts', () => {
  it('reaches a target through one jump host, opening a TCP connection to the jump host only', async () => {
    const { pool, sockets } = makePool();
    const before = hvC.stats.connections;
    const out = expectOk(await pool.exec(via(hvC, bastion), ['echo', 'hello'], { timeoutMs: 5000 }));
    expect(out.stdout).toBe('hello\n');
    expect(sockets).toEqual([`127.0.0.1:${bastion.port}`]);
    expect(bastion.stats.forwards).toContain(`127.0.0.1:${hvC.port}`);
    expect(hvC.stats.connections).toBe(before + 1);
  });

  it('follows a chain of two jump hosts in order (ProxyJump a,b)', async () => {
    const { pool, sockets } = makePool();
    const forwards = inner.stats.forwards.length;
    const out = expectOk(await pool.exec(via(hvC, bastion, inner), ['echo', 'deep'], { timeoutMs: 5000 }));
    expect(out.stdout).toBe('deep\n');
    expect(sockets).toEqual([`127.0.0.1:${bastion.port}`]);
    expect(bastion.stats.forwards.at(-1)).toBe(`127.0.0.1:${inner.port}`);
    expect(inner.stats.forwards.slice(forwards)).toEqual([`127.0.0.1:${hvC.port}`]);
  });

  it('shares one jump host connection between two targets and closes it when neither uses it', async () => {
    const { pool, sockets } = makePool();
    await until(() => bastion.stats.openConnections === 0);
    const live = 0;
    expectOk(await pool.exec(via(hvC, bastion), ['true'], { timeoutMs: 5000 }));
    expectOk(await pool.exec(via(hvD, bastion), ['true'], { timeoutMs: 5000 }));
    expect(sockets).toEqual([`127.0.0.1:${bastion.port}`]);
    expect(bastion.stats.openConnections).toBe(live + 1);
    expect(pool.status(at(bastion)).state).toBe('ready');

    await pool.closeConnection(via(hvC, bastion));
    expect(pool.status(at(bastion)).state).toBe('ready');
    await pool.closeConnection(via(hvD, bastion));
    expect(pool.status(at(bastion)).state).toBe('idle');
    await until(() => bastion.stats.openConnections === live);
  });

  it('keeps a jump host that callers also use directly, and closes it once neither uses it', async () => {
    const { pool } = makePool();
    await until(() => bastion.stats.openConnections === 0);
    const live = 0;
    expectOk(await pool.exec(at(bastion), ['true'], { timeoutMs: 5000 }));
    expectOk(await pool.exec(via(hvC, bastion), ['true'], { timeoutMs: 5000 }));
    expect(bastion.stats.openConnections).toBe(live + 1);
    await pool.closeConnection(via(hvC, bastion));
    expect(pool.status(at(bastion)).state).toBe('ready');
    await pool.closeConnection(at(bastion));
    expect(pool.status(at(bastion)).state).toBe('idle');
    await until(() => bastion.stats.openConnections === live);
  });

  it('opens the extra connections to a target through the one jump host connection, and closes them all with the target', async () => {
    const { pool, sockets } = makePool({ maxChannelsPerConnection: 1 });
    await until(() => bastion.stats.openConnections === 0 && hvD.stats.openConnections === 0);
    const t = via(hvD, bastion);
    const runs = [0, 1, 2].map(() => pool.exec(t, ['sleep', '30'], { timeoutMs: 60_000 }));
    await until(() => pool.status(t).channelsInUse === 3, 'three channels to hvD');
    expect(pool.status(t).connections).toBe(3);
    expect(hvD.stats.openConnections).toBe(3);
    expect(bastion.stats.openConnections).toBe(1);
    expect(sockets).toEqual([`127.0.0.1:${bastion.port}`]);
    await pool.closeConnection(t);
    expect((await Promise.all(runs)).map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ssh.disconnected', 'ssh.disconnected', 'ssh.disconnected']);
    expect(pool.status(at(bastion)).state).toBe('idle');
    await until(() => hvD.stats.openConnections === 0 && bastion.stats.openConnections === 0, 'no connection left to hvD or the bastion');
  });

  it('keys connections by the chain: the same target directly and through a jump host are two connections', async () => {
    const { pool, sockets } = makePool();
    const before = hvC.stats.connections;
    expectOk(await pool.exec(at(hvC), ['true'], { timeoutMs: 5000 }));
    expectOk(await pool.exec(via(hvC, bastion), ['true'], { timeoutMs: 5000 }));
    expect(hvC.stats.connections).toBe(before + 2);
    expect(sockets).toEqual([`127.0.0.1:${hvC.port}`, `127.0.0.1:${bastion.port}`]);
    expect(pool.status(via(hvC, bastion)).state).toBe('ready');
  });
});

describe('host keys of jump hosts', () => {
  it('asks about an unknown jump host key, naming the jump host, and never reaches the target before it is trusted', async () => {
    const { pool } = makePool({ known: knownHosts({ without: [bastion] }) });
    const before = hvC.stats.connections;
    const r = await pool.connect(via(hvC, bastion));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('ssh.host-key-unknown');
    expect(r.error.message).toMatch(/^jump host 127\.0\.0\.1: /);
    if (!isHostKeyError(r.error)) throw new Error('expected a host key error');
    expect(r.error.hostKey).toMatchObject({ host: '127.0.0.1', port: bastion.port, fingerprint: fingerprintSha256(keys.host.blob) });
    expect(hvC.stats.connections).toBe(before);

    expectOk(await pool.trustHostKey(at(bastion), r.error.hostKey));
    expectOk(await pool.connect(via(hvC, bastion)));
    expect(hvC.stats.connections).toBe(before + 1);
  });

  it('refuses a changed jump host key with both fingerprints', async () => {
    const { pool } = makePool({ known: knownHosts({ otherKeyFor: [bastion] }) });
    const r = await pool.connect(via(hvC, bastion));
    if (r.ok) throw new Error('a changed jump host key was accepted');
    expect(r.error.code).toBe('ssh.host-key-changed');
    if (!isHostKeyError(r.error)) throw new Error('expected a host key error');
    expect(r.error.hostKey).toMatchObject({ port: bastion.port, fingerprint: fingerprintSha256(keys.host.blob), knownFingerprint: fingerprintSha256(keys.otherHost.blob) });
    expect(r.error.message).toMatch(/^jump host 127\.0\.0\.1: .*CHANGED/);
    // Trusting the new key from here is refused too: a changed key is resolved by hand.
    expect((await pool.trustHostKey(at(bastion), r.error.hostKey)).ok).toBe(false);
  });

  it('checks the target behind the jump host against its own known key', async () => {
    const { pool } = makePool({ known: knownHosts({ otherKeyFor: [hvC] }) });
    const r = await pool.connect(via(hvC, bastion));
    if (r.ok) throw new Error('a changed target key was accepted');
    expect(r.error.code).toBe('ssh.host-key-changed');
    expect(r.error.message).not.toMatch(/^jump host/);
    if (isHostKeyError(r.error)) expect(r.error.hostKey.port).toBe(hvC.port);
  });
});

describe('failures on the way', () => {
  it('names a jump host that refuses connections, at once instead of timing out on the target', async () => {
    const dead = await closedPort();
    const { pool } = makePool();
    const started = Date.now();
    const r = await pool.connect({ ...at(hvC), jump: [{ host: '127.0.0.1', port: dead, user: 'tester' }] }, { timeoutMs: 4000 });
    if (r.ok) throw new Error('connected through a dead jump host');
    expect(r.error.code).toBe('ssh.unreachable');
    expect(r.error.message).toMatch(new RegExp(`^jump host 127\\.0\\.0\\.1: 127\\.0\\.0\\.1:${dead} refused the connection`));
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('says when the jump host cannot reach the target', async () => {
    const dead = await closedPort();
    const { pool } = makePool();
    const r = await pool.connect({ host: '127.0.0.1', port: dead, user: 'tester', jump: [at(bastion)] });
    if (r.ok) throw new Error('connected to a closed port');
    expect(r.error).toMatchObject({ code: 'ssh.unreachable', message: `jump host 127.0.0.1 could not connect to 127.0.0.1:${dead}.` });
    // No target came up, so no connection is left open to the jump host for it.
    await until(() => pool.status(at(bastion)).state === 'idle');
  });

  it('reports a dropped jump host on the target behind it, naming the jump host, then reconnects through it', async () => {
    const { pool } = makePool();
    const target = via(hvC, bastion);
    expectOk(await pool.connect(target));
    bastion.dropAll();
    await until(() => pool.status(target).lastError !== undefined);
    expect(pool.status(target)).toMatchObject({ state: 'idle', lastError: { code: 'ssh.disconnected', message: expect.stringMatching(/^jump host 127\.0\.0\.1: /) as unknown } });
    const again = expectOk(await pool.exec(target, ['echo', 'back'], { timeoutMs: 5000 }));
    expect(again.stdout).toBe('back\n');
  });
});
