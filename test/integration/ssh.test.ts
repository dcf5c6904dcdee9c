// The SSH core against the lab's real OpenSSH 9.2 sshd (MaxSessions 10) and libvirt 9.0 hosts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FerryError } from '../../shared/errors';
import type { Result } from '../../shared/result';
import { isHostKeyError, type SshTarget } from '../../electron/main/ssh/errors';
import type { CompletedCommand } from '../../electron/main/ssh/exec';
import { fileKnownHostsStore, memoryKnownHostsStore, type KnownHostsStore } from '../../electron/main/ssh/known-hosts';
import { SshPool } from '../../electron/main/ssh/pool';
import { ShellSession } from '../../electron/main/ssh/shell-session';
import { VirshSession } from '../../electron/main/ssh/virsh-session';
import { HOST_NAMES, labHost, type HostName, type LabInfo } from '../lab/lab';
import { lab, requireLab } from '../lab/use-lab';

function value(r: Result<CompletedCommand, FerryError>): CompletedCommand {
  if (!r.ok) throw new Error(`expected success, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

describe.skipIf(!lab)('SSH core on the lab', () => {
  let l: LabInfo;
  let key: Buffer;
  let tmp: string;
  const pools: SshPool[] = [];

  const target = (h: HostName): SshTarget => {
    const host = labHost(l, h);
    return { host: host.ip, port: host.port, user: host.user };
  };
  const makePool = (knownHosts: KnownHostsStore = fileKnownHostsStore(l.knownHosts)): SshPool => {
    const p = new SshPool({ knownHosts, auth: () => ({ kind: 'key', privateKey: key }) });
    pools.push(p);
    return p;
  };

  beforeAll(() => {
    l = requireLab();
    key = readFileSync(l.clientKey);
    tmp = mkdtempSync(join(tmpdir(), 'ferry-ssh-it-'));
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.dispose()));
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('reaches hvA, hvB and hvC (behind the router) and runs hostname', async () => {
    const pool = makePool();
    for (const h of HOST_NAMES) {
      const out = value(await pool.exec(target(h), ['hostname'], { timeoutMs: 15_000 }));
      expect(out).toMatchObject({ stdout: `${h}\n`, exitCode: 0 });
    }
  });

  it('runs 25 concurrent commands although sshd allows 10 sessions on a connection: the pool opens more', async () => {
    // First, proof that the limit is real: plain ssh2 without a queue loses the channels above 10.
    const raw = new ssh2.Client();
    await new Promise<void>((resolve, reject) => {
      raw.once('ready', () => resolve()).once('error', reject);
      raw.connect({ host: target('hvA').host, username: 'root', privateKey: key, hostVerifier: () => true });
    });
    const rawResults = await Promise.all(
      Array.from(
        { length: 12 },
        () =>
          new Promise<string>((resolve) => {
            raw.exec('sleep 1', (e, s) => {
              if (e) return resolve(e.message);
              s.on('close', () => resolve('ok')).resume();
            });
          }),
      ),
    );
    raw.end();
    expect(rawResults.filter((r) => /Channel open failure/.test(r)).length).toBeGreaterThan(0);

    const pool = makePool();
    const rs = await Promise.all(Array.from({ length: 25 }, (_, i) => pool.exec(target('hvA'), { shell: `sleep 0.3; echo ${i}` }, { timeoutMs: 30_000 })));
    expect(rs.map((r) => value(r).stdout)).toEqual(Array.from({ length: 25 }, (_, i) => `${i}\n`));
    expect(pool.status(target('hvA'))).toMatchObject({ channelsInUse: 0, queued: 0, consecutiveFailures: 0 });
    // Idle extra connections stay a while (60 s) before they close.
    expect(pool.status(target('hvA')).connections).toBeGreaterThanOrEqual(2);
  });

  it("refuses hvA when known_hosts holds another host's key for its address", async () => {
    const f = join(tmp, 'wrong_known_hosts');
    writeFileSync(f, `${target('hvA').host} ${labHost(l, 'hvB').hostKeys.ed25519}\n`);
    const r = await makePool(fileKnownHostsStore(f)).exec(target('hvA'), ['true'], { timeoutMs: 15_000 });
    expect(r.ok).toBe(false);
    if (r.ok || !isHostKeyError(r.error)) throw new Error('expected a host key error');
    expect(r.error.code).toBe('ssh.host-key-changed');
    const fp = (line: string): string => {
      writeFileSync(join(tmp, 'k.pub'), `${line}\n`);
      return execFileSync('ssh-keygen', ['-lf', join(tmp, 'k.pub')], { encoding: 'utf8' }).split(' ')[1]!;
    };
    expect(r.error.hostKey.fingerprint).toBe(fp(labHost(l, 'hvA').hostKeys.ed25519));
    expect(r.error.hostKey.knownFingerprint).toBe(fp(labHost(l, 'hvB').hostKeys.ed25519));
  });

  it("reports an unknown host with the fingerprint ssh-keygen prints for its key, and OpenSSH accepts the line we append", async () => {
    const f = join(tmp, 'new_known_hosts');
    const pool = makePool(fileKnownHostsStore(f));
    const r = await pool.exec(target('hvC'), ['true'], { timeoutMs: 15_000 });
    expect(r.ok).toBe(false);
    if (r.ok || !isHostKeyError(r.error)) throw new Error('expected a host key error');
    expect(r.error.code).toBe('ssh.host-key-unknown');
    const pub = join(l.dir, 'hosts', 'hvC', 'etc-ssh', 'ssh_host_ed25519_key.pub');
    const expected = execFileSync('ssh-keygen', ['-lf', pub], { encoding: 'utf8' }).split(' ')[1];
    expect(r.error.hostKey).toMatchObject({ keyType: 'ssh-ed25519', fingerprint: expected });

    expect(await pool.trustHostKey(target('hvC'), r.error.hostKey)).toEqual({ ok: true, value: undefined });
    expect(value(await pool.exec(target('hvC'), ['hostname'], { timeoutMs: 15_000 })).stdout).toBe('hvC\n');
    const viaOpenSsh = execFileSync(
      'ssh',
      ['-F', '/dev/null', '-i', l.clientKey, '-o', `UserKnownHostsFile=${f}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', `root@${target('hvC').host}`, 'hostname'],
      { encoding: 'utf8' },
    );
    expect(viaOpenSsh).toBe('hvC\n');
  });

  it('gives ssh.unreachable promptly for an address nobody answers', async () => {
    const pool = makePool(memoryKnownHostsStore());
    const t0 = performance.now();
    const r = await pool.exec({ host: '10.77.0.99', user: 'root' }, ['true'], { timeoutMs: 30_000 });
    const ms = performance.now() - t0;
    expect(r).toMatchObject({ ok: false, error: { code: 'ssh.unreachable' } });
    expect(ms).toBeLessThan(11_000);
    console.log(`unreachable 10.77.0.99: ${Math.round(ms)} ms, ${r.ok ? '' : r.error.message}`);
  });

  it('stops a remote sleep by AbortSignal and by timeout, and the process is gone on the host', async () => {
    const pool = makePool();
    const t = target('hvA');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const t0 = performance.now();
    expect(await pool.exec(t, ['sleep', '31.7'], { timeoutMs: 60_000, signal: ac.signal })).toMatchObject({ ok: false, error: { code: 'command.cancelled' } });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(await pool.exec(t, ['sleep', '32.7'], { timeoutMs: 400 })).toMatchObject({ ok: false, error: { code: 'command.timeout' } });
    // sshd delivers the signal request to the session's process group: neither sleep survives.
    await expect
      .poll(async () => value(await pool.exec(t, { shell: "pgrep -fc 'sleep 3[12].7' || true" }, { timeoutMs: 5000 })).stdout.trim(), { timeout: 5000 })
      .toBe('0');
  });

  it('runs 100 commands in one shell session with the right stdout, stderr and exit status', async () => {
    const pool = makePool();
    const s = new ShellSession({ pool, target: target('hvB') });
    try {
      for (let i = 0; i < 100; i++) {
        const out = value(await s.run({ shell: `echo "$(hostname)-${i}"; echo err-${i} >&2; exit ${i % 5}` }, { timeoutMs: 5000 }));
        expect(out).toMatchObject({ stdout: `hvB-${i}\n`, stderr: `err-${i}\n`, exitCode: i % 5 });
      }
      expect(s.opens).toBe(1);
      const timedOut = await s.run(['sleep', '30'], { timeoutMs: 300 });
      expect(timedOut).toMatchObject({ ok: false, error: { code: 'command.timeout' } });
      expect(value(await s.run(['hostname'], { timeoutMs: 5000 })).stdout).toBe('hvB\n');
    } finally {
      await s.close();
    }
  });

  it('answers virsh commands from one interactive virsh exactly as one-shot virsh does', async () => {
    const pool = makePool();
    const t = target('hvA');
    const v = new VirshSession({ pool, target: t });
    try {
      // Other tests share the lab (a migration may move vm1 at any time): compare the session's answer with one-shot
      // virsh run just before and just after it, and retry a few times if the state moved in between.
      const steady = (s: string): string => s.replace(/^CPU time:.*$/m, 'CPU time: x');
      for (const argv of [['nodeinfo'], ['uri'], ['hostname'], ['list', '--all'], ['domjobinfo', 'vm1'], ['dominfo', 'vm1']]) {
        let matched = false;
        const seen: string[] = [];
        for (let attempt = 0; attempt < 5 && !matched; attempt++) {
          const before = await pool.exec(t, ['virsh', ...argv], { timeoutMs: 10_000 });
          const session = value(await v.run(argv, { timeoutMs: 10_000 }));
          const after = await pool.exec(t, ['virsh', ...argv], { timeoutMs: 10_000 });
          const oneShot = [before, after].filter((r) => r.ok && r.value.exitCode === 0).map((r) => (r.ok ? steady(r.value.stdout) : ''));
          matched = session.exitCode === 0 && session.stderr === '' && oneShot.includes(steady(session.stdout));
          seen.push(JSON.stringify({ session: session.stdout, stderr: session.stderr, oneShot }));
        }
        expect(matched, `virsh ${argv.join(' ')}: ${seen.join('\n')}`).toBe(true);
      }
      const missing = value(await v.run(['domjobinfo', 'no-such-vm'], { timeoutMs: 10_000 }));
      const missingOneShot = value(await pool.exec(t, ['virsh', 'domjobinfo', 'no-such-vm'], { timeoutMs: 10_000 }));
      expect(missing).toMatchObject({ exitCode: 1, stderr: missingOneShot.stderr, stdout: missingOneShot.stdout });
      expect(v.opens).toBe(1);
    } finally {
      await v.close();
    }
  });
});
