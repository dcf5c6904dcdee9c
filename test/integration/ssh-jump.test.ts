// Jump hosts (ProxyJump) against the lab's real OpenSSH sshd: hvC reached through hvA, with hvA's host key checked
// like any host's. This machine can reach hvC directly too, so each test proves the path from where sshd on hvC says
// the connection comes from (SSH_CONNECTION: hvA's 10.77.0.11 through the jump, labmgmt0's 10.77.0.254 directly).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FerryError } from '../../shared/errors';
import type { Result } from '../../shared/result';
import { isHostKeyError, type SshHop, type SshTarget } from '../../electron/main/ssh/errors';
import type { CompletedCommand } from '../../electron/main/ssh/exec';
import { fileKnownHostsStore, fingerprintSha256, formatKnownHostsLine, memoryKnownHostsStore, type KnownHostsStore } from '../../electron/main/ssh/known-hosts';
import { SshPool } from '../../electron/main/ssh/pool';
import { labHost, type HostName, type LabInfo } from '../lab/lab';
import { lab, requireLab } from '../lab/use-lab';

function value(r: Result<CompletedCommand, FerryError>): CompletedCommand {
  if (!r.ok) throw new Error(`expected success, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

/** The client address sshd gives the session: SSH_CONNECTION's first word. */
const PEER = ['sh', '-c', 'echo "$SSH_CONNECTION" | cut -d" " -f1; hostname'];

describe.skipIf(!lab)('jump hosts on the lab', () => {
  let l: LabInfo;
  let key: Buffer;
  const pools: SshPool[] = [];

  const hop = (h: HostName, port?: number): SshHop => {
    const x = labHost(l, h);
    return { host: x.ip, port: port ?? x.port, user: x.user };
  };
  const via = (h: HostName, ...jump: SshHop[]): SshTarget => ({ ...hop(h), jump });
  const makePool = (knownHosts: KnownHostsStore = fileKnownHostsStore(l.knownHosts)): SshPool => {
    const p = new SshPool({ knownHosts, auth: () => ({ kind: 'key', privateKey: key }) });
    pools.push(p);
    return p;
  };
  /** The lab's known_hosts with hvA's keys left out, or replaced by hvB's under hvA's address. */
  const knownHostsWithHvA = (how: 'absent' | 'hvB-key'): KnownHostsStore => {
    const a = labHost(l, 'hvA');
    const lines = readFileSync(l.knownHosts, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.split(' ')[0]?.split(',').includes(a.ip));
    if (how === 'hvB-key') {
      const [type, b64] = labHost(l, 'hvB').hostKeys.ed25519.split(' ');
      lines.push(formatKnownHostsLine(a.ip, 22, type ?? '', Buffer.from(b64 ?? '', 'base64')));
    }
    return memoryKnownHostsStore(`${lines.join('\n')}\n`);
  };
  const hvAFingerprint = (): string => fingerprintSha256(Buffer.from(labHost(l, 'hvA').hostKeys.ed25519.split(' ')[1] ?? '', 'base64'));

  beforeAll(() => {
    l = requireLab();
    key = readFileSync(l.clientKey);
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.dispose()));
  });

  it('reaches hvC through hvA: sshd on hvC sees the connection come from hvA, not from this machine', async () => {
    const pool = makePool();
    const direct = value(await pool.exec(hop('hvC'), PEER, { timeoutMs: 15_000 }));
    expect(direct.stdout).toBe(`${l.management.ip}\nhvC\n`);
    const jumped = value(await pool.exec(via('hvC', hop('hvA')), PEER, { timeoutMs: 15_000 }));
    expect(jumped.stdout).toBe(`${labHost(l, 'hvA').ip}\nhvC\n`);
  });

  it('follows a chain of two hops (hvB, then hvA) to hvC', async () => {
    const pool = makePool();
    const out = value(await pool.exec(via('hvC', hop('hvB'), hop('hvA')), PEER, { timeoutMs: 20_000 }));
    expect(out.stdout).toBe(`${labHost(l, 'hvA').ip}\nhvC\n`);
    // hvA itself was reached through hvB.
    const a = value(await pool.exec(via('hvA', hop('hvB')), PEER, { timeoutMs: 15_000 }));
    expect(a.stdout).toBe(`${labHost(l, 'hvB').ip}\nhvA\n`);
  });

  it("asks about hvA's key when Ferry's known hosts lack it, and reaches hvC once it is trusted", async () => {
    const pool = makePool(knownHostsWithHvA('absent'));
    const r = await pool.connect(via('hvC', hop('hvA')), { timeoutMs: 15_000 });
    if (r.ok) throw new Error('an unknown jump host key was accepted');
    expect(r.error.code).toBe('ssh.host-key-unknown');
    expect(r.error.message).toMatch(/^jump host 10\.77\.0\.11: 10\.77\.0\.11:22 is not a known host/);
    if (!isHostKeyError(r.error)) throw new Error('expected a host key error');
    expect(r.error.hostKey).toMatchObject({ host: labHost(l, 'hvA').ip, port: 22, keyType: 'ssh-ed25519', fingerprint: hvAFingerprint() });

    const trusted = await pool.trustHostKey(hop('hvA'), r.error.hostKey);
    expect(trusted).toEqual({ ok: true, value: undefined });
    const out = value(await pool.exec(via('hvC', hop('hvA')), PEER, { timeoutMs: 15_000 }));
    expect(out.stdout).toBe(`${labHost(l, 'hvA').ip}\nhvC\n`);
  });

  it("refuses a changed key of hvA with both fingerprints, and never reaches hvC", async () => {
    const pool = makePool(knownHostsWithHvA('hvB-key'));
    const r = await pool.exec(via('hvC', hop('hvA')), PEER, { timeoutMs: 15_000 });
    if (r.ok) throw new Error('a changed jump host key was accepted');
    expect(r.error.code).toBe('ssh.host-key-changed');
    expect(r.error.message).toMatch(/^jump host 10\.77\.0\.11: The host key of 10\.77\.0\.11:22 has CHANGED/);
    if (!isHostKeyError(r.error)) throw new Error('expected a host key error');
    expect(r.error.hostKey.fingerprint).toBe(hvAFingerprint());
    expect(r.error.hostKey.knownFingerprint).toBe(fingerprintSha256(Buffer.from(labHost(l, 'hvB').hostKeys.ed25519.split(' ')[1] ?? '', 'base64')));
  });

  it('names a dead jump host at once (nothing listens on hvA port 2), not a timeout on hvC', async () => {
    const pool = makePool();
    const r = await pool.connect(via('hvC', hop('hvA', 2)), { timeoutMs: 15_000 });
    if (r.ok) throw new Error('connected through a dead jump host');
    expect(r.error.code).toBe('ssh.unreachable');
    expect(r.error.message).toMatch(/^jump host 10\.77\.0\.11: 10\.77\.0\.11:2 refused the connection/);
  });

  it('says when the jump host cannot reach the target (hvC port 2, from hvA)', async () => {
    const pool = makePool();
    const r = await pool.connect({ ...hop('hvC', 2), jump: [hop('hvA')] }, { timeoutMs: 15_000 });
    if (r.ok) throw new Error('connected to a closed port');
    expect(r.error).toMatchObject({ code: 'ssh.unreachable', message: 'jump host 10.77.0.11 could not connect to 10.77.1.13:2: Connection refused.' });
  });
});
