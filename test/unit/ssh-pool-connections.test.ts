// More than one connection to a target: opened when every channel is taken, dialled one at a time, closed when
// idle, all closed with the target. Against the in-process SSH server (MaxSessions per connection, like sshd).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../support/wait';
import type { Clock } from '../../electron/main/clock';
import type { SshTarget } from '../../electron/main/ssh/errors';
import { SshPool, type SshLogger, type SshPoolOptions } from '../../electron/main/ssh/pool';
import { makeKeys, poolOptionsFor, startTestServer, type Keys, type TestServer } from './ssh-harness';

let keys: Keys;
let server: TestServer;
let dir: string;
const pools: SshPool[] = [];

beforeAll(async () => {
  keys = makeKeys();
  server = await startTestServer(keys);
  dir = mkdtempSync(join(tmpdir(), 'ferry-pool-conns-'));
});
afterAll(async () => {
  await server.close();
  keys.cleanup();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.dispose()));
  await until(() => server.stats.openConnections === 0, 'the pools of the last test to close their connections');
});

const target = (): SshTarget => ({ host: '127.0.0.1', port: server.port, user: 'tester' });

function makePool(over: Partial<SshPoolOptions> = {}): SshPool {
  const pool = new SshPool({ ...poolOptionsFor(server, keys), ...over });
  pools.push(pool);
  return pool;
}

let gates = 0;
/** A command that holds its channel until `open()` is called, then prints its name. */
function gate(): { readonly shell: string; open(): void } {
  const file = join(dir, `go-${++gates}`);
  return { shell: `while [ ! -e '${file}' ]; do sleep 0.02; done; echo done`, open: () => writeFileSync(file, '') };
}

/** A clock on real time that a test can move forward, firing the timers that fall due. */
function steppedClock(): Clock & { advance(ms: number): void } {
  let skew = 0;
  let ids = 0;
  const timers = new Map<number, { due: number; fn: () => void; real: ReturnType<typeof setTimeout> }>();
  const now = (): number => performance.now() + skew;
  return {
    now,
    setTimeout: (fn, ms) => {
      const id = ++ids;
      const real = setTimeout(() => {
        timers.delete(id);
        fn();
      }, ms);
      timers.set(id, { due: now() + ms, fn, real });
      return id;
    },
    clearTimeout: (h) => {
      const t = timers.get(h as number);
      if (!t) return;
      clearTimeout(t.real);
      timers.delete(h as number);
    },
    advance: (ms) => {
      skew += ms;
      for (const [id, t] of [...timers]) {
        if (t.due > now()) continue;
        clearTimeout(t.real);
        timers.delete(id);
        t.fn();
      }
    },
  };
}

describe('more connections to one target', () => {
  it('opens another connection when every channel is taken, never more than the cap, and no session is refused', async () => {
    const pool = makePool({ maxChannelsPerConnection: 3, maxConnectionsPerTarget: 2 });
    const refused = server.stats.sessionsRefused;
    const gates9 = Array.from({ length: 9 }, () => gate());
    const runs = gates9.map((g) => pool.exec(target(), { shell: g.shell }, { timeoutMs: 20_000 }));
    // The pool counts a channel from its request, the server from its open: wait for both.
    await until(() => pool.status(target()).channelsInUse === 6 && server.stats.openSessions === 6, 'six channels on two connections');
    expect(pool.status(target())).toMatchObject({ state: 'ready', connections: 2, queued: 3 });
    expect(server.stats.openConnections).toBe(2);
    // The queued three run as channels free up, on the connections already open.
    for (const g of gates9) g.open();
    const rs = await Promise.all(runs);
    expect(rs.map((r) => (r.ok ? r.value.stdout : r.error.code))).toEqual(Array.from({ length: 9 }, () => 'done\n'));
    expect(server.stats.sessionsRefused).toBe(refused);
    expect(server.stats.openConnections).toBe(2);
  });

  it('dials extra connections one at a time; one refused (sshd MaxStartups) leaves the request waiting for a channel', async () => {
    // Every dial after the first reaches a port that drops the connection before the SSH banner, as sshd does once
    // MaxStartups unauthenticated connections are pending.
    const dropped: net.Socket[] = [];
    const dropper = net.createServer((s) => {
      dropped.push(s);
      s.destroy();
    });
    await new Promise<void>((r) => dropper.listen(0, '127.0.0.1', r));
    const dropPort = (dropper.address() as net.AddressInfo).port;
    let dials = 0;
    const pendingAtDial: number[] = [];
    let pending = 0;
    const warned: string[] = [];
    const logger: SshLogger = { debug: () => undefined, warn: (e) => warned.push(e) };
    const pool = makePool({
      maxChannelsPerConnection: 1,
      maxConnectionsPerTarget: 3,
      logger,
      connectSocket: (host, port) => {
        dials++;
        if (dials === 1) return net.connect({ host, port, noDelay: true });
        pendingAtDial.push(pending);
        pending++;
        const s = net.connect({ host, port: dropPort, noDelay: true });
        s.once('close', () => pending--);
        return s;
      },
    });
    const first = gate();
    const running = pool.exec(target(), { shell: first.shell }, { timeoutMs: 20_000 });
    await until(() => pool.status(target()).channelsInUse === 1, 'the first command to hold the only channel');
    const waiting = pool.exec(target(), ['echo', 'second'], { timeoutMs: 20_000 });
    await until(() => warned.filter((w) => w === 'ssh.extra-connection-failed').length >= 2, 'two extra connections to fail');
    expect(pool.status(target())).toMatchObject({ state: 'ready', connections: 1, channelsInUse: 1, queued: 1 });
    first.open();
    const [a, b] = await Promise.all([running, waiting]);
    expect(a.ok && a.value.stdout).toBe('done\n');
    expect(b.ok && b.value.stdout).toBe('second\n');
    // Never a second dial while one was in its handshake.
    expect(pendingAtDial.every((n) => n === 0)).toBe(true);
    expect(server.stats.openConnections).toBe(1);
    await new Promise<void>((r) => dropper.close(() => r()));
  });

  it('closes an extra connection idle for idleConnectionMs, never the first', async () => {
    const clock = steppedClock();
    const pool = makePool({ maxChannelsPerConnection: 1, maxConnectionsPerTarget: 3, idleConnectionMs: 60_000, clock });
    const gs = [gate(), gate(), gate()];
    const runs = gs.map((g) => pool.exec(target(), { shell: g.shell }, { timeoutMs: 20_000 }));
    await until(() => pool.status(target()).connections === 3, 'three connections');
    for (const g of gs) g.open();
    expect((await Promise.all(runs)).every((r) => r.ok)).toBe(true);
    await until(() => pool.status(target()).channelsInUse === 0, 'the channels to close');
    clock.advance(59_000);
    expect(server.stats.openConnections).toBe(3);
    clock.advance(1_000);
    await until(() => server.stats.openConnections === 1, 'the two extra connections to close');
    expect(pool.status(target())).toMatchObject({ state: 'ready', connections: 1 });
    // The first one still serves, and more open again when needed.
    const again = [gate(), gate()];
    const more = again.map((g) => pool.exec(target(), { shell: g.shell }, { timeoutMs: 20_000 }));
    await until(() => pool.status(target()).connections === 2, 'a second connection again');
    for (const g of again) g.open();
    expect((await Promise.all(more)).every((r) => r.ok)).toBe(true);
  });

  it('closes every connection of a target when it is closed; what ran on them fails with ssh.disconnected', async () => {
    const pool = makePool({ maxChannelsPerConnection: 2, maxConnectionsPerTarget: 4 });
    const gs = Array.from({ length: 5 }, () => gate());
    const runs = gs.map((g) => pool.exec(target(), { shell: g.shell }, { timeoutMs: 20_000 }));
    await until(() => pool.status(target()).connections === 3, 'three connections');
    expect(server.stats.openConnections).toBe(3);
    await pool.closeConnection(target());
    expect((await Promise.all(runs)).map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(Array.from({ length: 5 }, () => 'ssh.disconnected'));
    expect(pool.status(target())).toMatchObject({ state: 'idle', connections: 0 });
    await until(() => server.stats.openConnections === 0, 'no connection left');
    for (const g of gs) g.open();
  });
});
