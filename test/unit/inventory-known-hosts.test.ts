/**
 * The host keys Ferry trusts: its own known_hosts, plus (with the setting) the user's ~/.ssh/known_hosts, hashed
 * entries included, read-only. A key that either file contradicts is refused, even if the other file records it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { combineVerdicts, ferryKnownHostsStore } from '../../electron/main/inventory/known-hosts';
import { formatKnownHostsLine } from '../../electron/main/ssh/known-hosts';
import { SshPool } from '../../electron/main/ssh/pool';
import { makeKeys, startTestServer, type Keys, type TestServer } from './ssh-harness';

let keys: Keys;
let server: TestServer;
let dir: string;

beforeAll(async () => {
  keys = makeKeys();
  server = await startTestServer(keys);
  dir = mkdtempSync(join(tmpdir(), 'ferry-kh-'));
});
afterAll(async () => {
  await server.close();
  keys.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function files(name: string, ferry: string, user: string, trustUser: boolean) {
  const ferryPath = join(dir, `${name}-ferry`);
  const userPath = join(dir, `${name}-user`);
  writeFileSync(ferryPath, ferry);
  writeFileSync(userPath, user);
  let trust = trustUser;
  const store = ferryKnownHostsStore({ ferryPath, userPath, trustUserKnownHosts: () => trust });
  return { store, ferryPath, userPath, setTrust: (t: boolean) => (trust = t) };
}

const line = (k: { type: string; blob: Buffer }, opts: { hash?: boolean } = {}) => `${formatKnownHostsLine('10.0.0.5', 22, k.type, k.blob, opts)}\n`;
const check = (s: ReturnType<typeof ferryKnownHostsStore>, k: { type: string; blob: Buffer }) => s.check!('10.0.0.5', 22, k.type, k.blob);

describe("Ferry's known hosts", () => {
  it('reads the user file only when trustUserKnownHosts is on, and accepts its hashed entries', async () => {
    const f = files('hashed', '', line(keys.host, { hash: true }), false);
    expect(await check(f.store, keys.host)).toMatchObject({ ok: true, value: { status: 'unknown' } });
    f.setTrust(true);
    expect(await check(f.store, keys.host)).toMatchObject({ ok: true, value: { status: 'match', file: f.userPath } });
  });

  it("refuses a key Ferry's file records when the user's file records another key of that type for the host", async () => {
    const f = files('conflict-a', line(keys.host), line(keys.otherHost), true);
    expect(await check(f.store, keys.host)).toMatchObject({ ok: true, value: { status: 'changed', file: f.userPath } });
    // ...and the other way round: the user's key is refused because Ferry's file says otherwise.
    expect(await check(f.store, keys.otherHost)).toMatchObject({ ok: true, value: { status: 'changed', file: f.ferryPath } });
    // Without the setting the user's file does not count at all.
    f.setTrust(false);
    expect(await check(f.store, keys.host)).toMatchObject({ ok: true, value: { status: 'match' } });
  });

  it('lets a revoked entry in either file win over everything', () => {
    const v = combineVerdicts([
      { status: 'match', line: 1, file: 'a' },
      { status: 'revoked', line: 3, file: 'b' },
    ]);
    expect(v).toEqual({ status: 'revoked', line: 3, file: 'b' });
  });

  it('ranks a @cert-authority-only verdict below a match and above unknown', () => {
    expect(combineVerdicts([{ status: 'cert-authority', line: 2, file: 'b' }, { status: 'match', line: 1, file: 'a' }])).toMatchObject({ status: 'match' });
    expect(combineVerdicts([{ status: 'unknown', otherKeyTypes: [], file: 'a' }, { status: 'cert-authority', line: 2, file: 'b' }])).toEqual({ status: 'cert-authority', line: 2, file: 'b' });
  });

  it('makes the SSH pool refuse, and refuse to trust, a host only a @cert-authority line vouches for', async () => {
    const ferryPath = join(dir, 'ca-ferry');
    const userPath = join(dir, 'ca-user');
    writeFileSync(ferryPath, '');
    // The CA line names the test server's address; its key is some other key (ssh2 cannot check a certificate anyway).
    writeFileSync(userPath, `@cert-authority 127.0.0.1,[127.0.0.1]:* ${keys.otherHost.type} ${keys.otherHost.blob.toString('base64')}\n`);
    const pool = new SshPool({
      knownHosts: ferryKnownHostsStore({ ferryPath, userPath, trustUserKnownHosts: () => true }),
      auth: () => ({ kind: 'key', privateKey: keys.client.privateKey }),
      backoff: { initialMs: 0, maxMs: 0 },
    });
    const target = { host: '127.0.0.1', port: server.port, user: 'u' };
    try {
      const r = await pool.connect(target, { timeoutMs: 5000 });
      expect(r).toMatchObject({ ok: false, error: { code: 'ssh.host-certificate-unsupported' } });
      if (!r.ok) expect(r.error.message).toContain(`${userPath} line 1`);
      expect(await pool.trustHostKey(target, { keyType: keys.host.type, keyBase64: keys.host.blob.toString('base64') })).toMatchObject({
        ok: false,
        error: { code: 'ssh.host-certificate-unsupported' },
      });
      expect(readFileSync(ferryPath, 'utf8')).toBe('');
    } finally {
      await pool.dispose();
    }
  });

  it("writes newly trusted keys to Ferry's file and never to the user's", async () => {
    const f = files('append', '', '# mine\n', true);
    expect((await f.store.append('10.0.0.9', 2222, keys.host.type, keys.host.blob)).ok).toBe(true);
    expect(readFileSync(f.ferryPath, 'utf8')).toContain(`[10.0.0.9]:2222 ${keys.host.type} `);
    expect(readFileSync(f.userPath, 'utf8')).toBe('# mine\n');
  });

  it('makes the SSH pool refuse a server whose key the two files disagree about, naming the file that objects', async () => {
    const ferryPath = join(dir, 'pool-ferry');
    const userPath = join(dir, 'pool-user');
    writeFileSync(ferryPath, `${server.knownHostsLine()}\n`);
    writeFileSync(userPath, `${formatKnownHostsLine('127.0.0.1', server.port, keys.otherHost.type, keys.otherHost.blob, { hash: true })}\n`);
    let trust = false;
    const pool = new SshPool({
      knownHosts: ferryKnownHostsStore({ ferryPath, userPath, trustUserKnownHosts: () => trust }),
      auth: () => ({ kind: 'key', privateKey: keys.client.privateKey }),
      backoff: { initialMs: 0, maxMs: 0 },
    });
    const target = { host: '127.0.0.1', port: server.port, user: 'u' };
    try {
      expect((await pool.connect(target, { timeoutMs: 5000 })).ok).toBe(true);
      await pool.closeConnection(target);
      trust = true;
      const r = await pool.connect(target, { timeoutMs: 5000 });
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('ssh.host-key-changed');
        expect(r.error.message).toContain(userPath);
      }
    } finally {
      await pool.dispose();
    }
  });
});
