/**
 * Removing a host closes what every pool holds to it (inventory, migrations, network tools), against a real SSH
 * server in-process that counts its open client connections, as `ss -tn` on the host would.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFerryMain } from '../../electron/main/app';
import { makeKeys, startTestServer, type Keys, type TestServer } from './ssh-harness';

let keys: Keys;
let server: TestServer;
let dataDir: string;

beforeAll(async () => {
  keys = makeKeys();
  server = await startTestServer(keys);
  dataDir = mkdtempSync(join(tmpdir(), 'ferry-remove-'));
});

afterAll(async () => {
  await server.close();
  keys.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

function writeInventory(hosts: { id: string; name: string; port: number }[]): void {
  const records = hosts.map((h) => ({
    id: h.id,
    name: h.name,
    address: '127.0.0.1',
    port: h.port,
    user: 'ferry',
    auth: { kind: 'key', keyPath: join(keys.dir, 'client') },
    addedAt: '2026-01-01T00:00:00.000Z',
    source: 'manual',
  }));
  writeFileSync(join(dataDir, 'inventory.json'), JSON.stringify({ version: 1, hosts: records, settings: { trustUserKnownHosts: false, refreshIntervalSec: 10 } }));
  writeFileSync(join(dataDir, 'known_hosts'), `${server.knownHostsLine()}\n`);
}

describe('removing a host', () => {
  it('leaves no connection open to it in any of the three pools', async () => {
    writeInventory([{ id: 'hvB', name: 'hvB', port: server.port }]);
    const main = await createFerryMain({ dataDir, homeDir: dataDir, env: {}, localUser: 'ferry' });
    try {
      const target = { host: '127.0.0.1', port: server.port, user: 'ferry' };
      // The inventory's connection (a refresh), the migrations' and the network tools'.
      await main.inventory.refreshOne('hvB', { full: false });
      expect(await main.pools.migrations.connect(target)).toMatchObject({ ok: true });
      expect(await main.pools.network.connect(target)).toMatchObject({ ok: true });
      await vi.waitFor(() => expect(server.stats.openConnections).toBe(3));

      expect(await main.inventory.remove('hvB')).toEqual({ ok: true, value: {} });

      expect(main.pools.migrations.status(target).state).toBe('idle');
      expect(main.pools.network.status(target).state).toBe('idle');
      await vi.waitFor(() => expect(server.stats.openConnections).toBe(0));
    } finally {
      await main.dispose();
    }
  });

  it('closes every connection the migrations pool opened to it once one carried all it could', async () => {
    writeInventory([{ id: 'hvB', name: 'hvB', port: server.port }]);
    const main = await createFerryMain({ dataDir, homeDir: dataDir, env: {}, localUser: 'ferry', tuning: { maxChannelsPerConnection: 1 } });
    try {
      const target = { host: '127.0.0.1', port: server.port, user: 'ferry' };
      const runs = [0, 1, 2].map(() => main.pools.migrations.exec(target, ['sleep', '30'], { timeoutMs: 60_000 }));
      await vi.waitFor(() => expect(main.pools.migrations.status(target)).toMatchObject({ connections: 3, channelsInUse: 3 }));
      expect(server.stats.openConnections).toBe(3);

      expect(await main.inventory.remove('hvB')).toEqual({ ok: true, value: {} });

      expect((await Promise.all(runs)).map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ssh.disconnected', 'ssh.disconnected', 'ssh.disconnected']);
      expect(main.pools.migrations.status(target)).toMatchObject({ state: 'idle', connections: 0 });
      await vi.waitFor(() => expect(server.stats.openConnections).toBe(0));
    } finally {
      await main.dispose();
    }
  });
});
