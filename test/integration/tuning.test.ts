// Tuning with undo on the lab, through the same SSH core and handlers Ferry uses: plan hvB towards hvA, apply GRO on
// mig0 and the per-netns TCP buffer sysctls (persisted to a file in hvB's private home, never /etc/sysctl.d, which the
// lab hosts share with the real machine), verify, undo, and every value read before equals the value read after. The
// net.core limits are read-only inside a lab namespace (kernel 6.18) and must be listed as blocked, never written.
// MTU: mig0 set to 1500 by the lab first, 9000 applied with a given path MTU, undone to 1500, then 9000 restored.
// The real machine's own sysctls (root namespace) are read before and after and must not move.
// Run under the lab lock: flock /var/tmp/ferry-lab.lock npx vitest run --project integration test/integration/tuning.test.ts
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lab } from '../lab/use-lab';
import { hx, labRun } from '../lab/lab';
import type { SshPool } from '../../electron/main/ssh/pool';
import { tuningHandlers, type TuningHandlers } from '../../electron/main/network/tuning-handlers';
import type { NetworkDeps } from '../../electron/main/network/deps';
import { labHostView, labNetworkDeps, labPool, must } from './lab-network';
import type { TuningPlan, TuningRunResult } from '../../shared/tuning/types';

const SYSCTLS = ['net.core.rmem_max', 'net.core.wmem_max', 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'];
const PERSIST = '/root/ferry-tuning-test.conf';
const caller = { clientId: 'test', transport: 'web' as const };

/** Everything the tuning could touch on hvB, read without Ferry (lab.sh hx), plus the real machine's own sysctls. */
async function snapshot(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const read = async (label: string, argv: string[]) => {
    const r = await hx('hvB', argv);
    out[label] = `${r.code}|${r.stdout}|${r.stderr}`;
  };
  await read('sysctls', ['sysctl', ...SYSCTLS]);
  await read('ethtool -k mig0', ['ethtool', '-k', 'mig0']);
  await read('ethtool -k eth0', ['ethtool', '-k', 'eth0']);
  await read('links', ['ip', '-d', 'link', 'show']);
  await read('persist file', ['sh', '-c', 'if [ -e "$1" ]; then cat -- "$1"; else echo absent; fi', 'x', PERSIST]);
  out['root namespace sysctls'] = execFileSync('sysctl', SYSCTLS, { encoding: 'utf8' });
  return out;
}

const mig0Mtu = async () => Number((await hx('hvB', ['cat', '/sys/class/net/mig0/mtu'])).stdout.trim());
const gro = async () => /^generic-receive-offload: (\S+)/m.exec((await hx('hvB', ['ethtool', '-k', 'mig0'])).stdout)?.[1];
const tcpRmem = async () => (await hx('hvB', ['sysctl', '-n', 'net.ipv4.tcp_rmem'])).stdout.trim().split(/\s+/).join(' ');

describe.skipIf(!lab)('tuning with undo on the lab (hvB towards hvA)', () => {
  let pool: SshPool;
  let dataDir: string;
  let deps: NetworkDeps;
  let h: TuningHandlers;
  let before: Record<string, string>;

  beforeAll(async () => {
    pool = labPool();
    dataDir = mkdtempSync(join(tmpdir(), 'ferry-tuning-it-'));
    deps = labNetworkDeps(pool, [labHostView('hvA', { facts: true }), labHostView('hvB', { facts: true })], dataDir);
    h = tuningHandlers(deps, { sysctlFile: PERSIST });
    expect(await gro(), 'the lab default: gro off on veth').toBe('off');
    before = await snapshot();
  });

  afterAll(async () => {
    // Whatever happened above, hvB ends as it started: mig0 at 9000, gro off, the buffers as read, no test file.
    if (lab) {
      if ((await mig0Mtu()) !== 9000) await labRun(['mtu', 'hvB', 'mig0', '9000']);
      if ((await gro()) !== 'off') await hx('hvB', ['ethtool', '-K', 'mig0', 'gro', 'off']);
      const sysctls = /net\.ipv4\.tcp_rmem = (.*)\nnet\.ipv4\.tcp_wmem = (.*)/.exec(before?.['sysctls'] ?? '');
      if (sysctls) {
        await hx('hvB', ['sysctl', '-w', `net.ipv4.tcp_rmem=${sysctls[1]?.trim() ?? ''}`]);
        await hx('hvB', ['sysctl', '-w', `net.ipv4.tcp_wmem=${sysctls[2]?.trim() ?? ''}`]);
      }
      await hx('hvB', ['rm', '-f', '--', PERSIST]);
    }
    await pool?.dispose();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const plan = async (input: { pathMtuBytes?: number; rttMs?: number } = {}): Promise<TuningPlan> =>
    must(await h['ferry.tuning.plan']({ hostId: 'lab-hvB', peerHostId: 'lab-hvA', ...input }, caller));

  it('plans GRO on mig0 and the TCP buffers for a 50 ms path, lists net.core as blocked, and no rings on veth', async () => {
    const p = await plan({ rttMs: 50 });
    const byId = Object.fromEntries(p.changes.map((c) => [c.id, c]));
    expect(p.nics.map((n) => n.ifname)).toContain('mig0');
    expect(p.nics.find((n) => n.ifname === 'mig0')?.reason).toBe('route to hvA (10.77.2.11)');
    expect(p.context.linkSpeedMbps).toMatchObject({ value: 10000, source: 'measured' });
    expect(p.context.pathMtu).toMatchObject({ value: 9000, source: 'measured', limitedByNic: 'mig0' });
    expect(p.context.rttMs).toMatchObject({ value: 50, source: 'given' });
    expect(byId['offload:mig0:gro']?.applyArgv).toEqual(['ethtool', '-K', 'mig0', 'gro', 'on']);
    expect(byId['sysctl:net.ipv4.tcp_rmem']?.blocked).toBeUndefined();
    expect(byId['sysctl:net.ipv4.tcp_wmem']?.blocked).toBeUndefined();
    expect(byId['sysctl:net.core.rmem_max']?.blocked).toMatch(/read-only here/);
    expect(byId['sysctl:net.core.wmem_max']?.blocked).toMatch(/read-only here/);
    expect(p.changes.some((c) => c.kind === 'rings' || c.kind === 'mtu')).toBe(false);
    expect(p.notes.some((n) => n.startsWith('mig0: ring sizes are not supported by this driver (veth)'))).toBe(true);
    expect(await snapshot()).toEqual(before); // planning changes nothing
  });

  it('refuses to apply a blocked net.core change and leaves everything as it was', async () => {
    const p = await plan({ rttMs: 50 });
    const r = await h['ferry.tuning.apply']({ hostId: 'lab-hvB', planId: p.id, changeIds: ['sysctl:net.core.rmem_max'], persist: false }, caller);
    expect(r.ok).toBe(false);
    expect(await snapshot()).toEqual(before);
  });

  it('applies GRO and the TCP buffers with persistence, verifies them, and undo restores every value exactly', async () => {
    const p = await plan({ rttMs: 50 });
    const chosen = ['offload:mig0:gro', 'sysctl:net.ipv4.tcp_rmem', 'sysctl:net.ipv4.tcp_wmem'];
    const rmem = p.changes.find((c) => c.id === 'sysctl:net.ipv4.tcp_rmem');
    const applied: TuningRunResult = must(await h['ferry.tuning.apply']({ hostId: 'lab-hvB', planId: p.id, changeIds: chosen, persist: true }, caller));
    expect(applied.complete).toBe(true);
    expect(applied.outcomes.map((o) => [o.changeId, o.status, o.verified])).toEqual([
      ['offload:mig0:gro', 'applied', true],
      ['sysctl:net.ipv4.tcp_rmem', 'applied', true],
      ['sysctl:net.ipv4.tcp_wmem', 'applied', true],
    ]);
    expect(applied.persist).toMatchObject({ path: PERSIST, status: 'written' });
    expect(applied.manualPersistence.map((m) => m.title)).toEqual(['GRO on mig0']);
    // Read without Ferry: the host really changed.
    expect(await gro()).toBe('on');
    expect(await tcpRmem()).toBe(rmem?.proposed);
    const file = (await hx('hvB', ['cat', PERSIST])).stdout;
    expect(file).toContain(`net.ipv4.tcp_rmem = ${rmem?.proposed ?? ''}`);
    const hist = must(await h['ferry.tuning.history']({ hostId: 'lab-hvB' }, caller));
    expect(hist[0]).toMatchObject({ id: applied.changeSetId, status: 'applied', persisted: true });

    const undone = must(await h['ferry.tuning.undo']({ hostId: 'lab-hvB', changeSetId: applied.changeSetId }, caller));
    expect(undone.complete).toBe(true);
    expect(undone.outcomes.every((o) => o.status === 'applied' && o.verified)).toBe(true);
    expect(undone.persist).toMatchObject({ status: 'removed' });
    expect(await snapshot()).toEqual(before);
    expect(must(await h['ferry.tuning.history']({ hostId: 'lab-hvB' }, caller))[0]?.status).toBe('undone');
  });

  it('undoes a change set after a restart, from the history on disk alone', async () => {
    const p = await plan();
    const applied = must(await h['ferry.tuning.apply']({ hostId: 'lab-hvB', planId: p.id, changeIds: ['offload:mig0:gro'], persist: false }, caller));
    expect(applied.complete).toBe(true);
    expect(await gro()).toBe('on');
    // A new service over the same data directory: nothing in memory survives, only tuning.jsonl.
    const restarted = tuningHandlers(deps, { sysctlFile: PERSIST });
    const undone = must(await restarted['ferry.tuning.undo']({ hostId: 'lab-hvB', changeSetId: applied.changeSetId }, caller));
    expect(undone.complete).toBe(true);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a plan the host no longer matches, changing nothing', async () => {
    const p = await plan();
    await hx('hvB', ['ethtool', '-K', 'mig0', 'gro', 'on']);
    try {
      const r = await h['ferry.tuning.apply']({ hostId: 'lab-hvB', planId: p.id, changeIds: ['offload:mig0:gro'], persist: false }, caller);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.message).toMatch(/GRO on mig0 is now on, not off as planned; nothing was changed\. Plan again\./);
    } finally {
      await hx('hvB', ['ethtool', '-K', 'mig0', 'gro', 'off']);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('with mig0 at 1500: no MTU from a probe that cannot see past the NIC; 9000 with a given path MTU, verified and undone', async () => {
    await labRun(['mtu', 'hvB', 'mig0', '1500']);
    try {
      const measured = await plan();
      expect(measured.changes.some((c) => c.kind === 'mtu')).toBe(false);
      expect(measured.notes.some((n) => /cannot look past mig0's own MTU of 1500/.test(n))).toBe(true);

      const p = await plan({ pathMtuBytes: 9000 });
      const mtu = p.changes.find((c) => c.id === 'mtu:mig0');
      expect(mtu?.applyArgv).toEqual(['ip', 'link', 'set', 'dev', 'mig0', 'mtu', '9000']);
      expect(mtu?.undoArgv).toEqual(['ip', 'link', 'set', 'dev', 'mig0', 'mtu', '1500']);
      const applied = must(await h['ferry.tuning.apply']({ hostId: 'lab-hvB', planId: p.id, changeIds: ['mtu:mig0'], persist: true }, caller));
      expect(applied.outcomes[0]).toMatchObject({ status: 'applied', verified: true, readBack: '9000' });
      // Nothing for the sysctl file; MTU persistence is advice for the distribution's network configuration.
      expect(applied.persist).toMatchObject({ status: 'skipped' });
      expect(applied.manualPersistence[0]?.advice.join('\n')).toMatch(/MTUBytes=9000/);
      expect(await mig0Mtu()).toBe(9000);
      const undone = must(await h['ferry.tuning.undo']({ hostId: 'lab-hvB', changeSetId: applied.changeSetId }, caller));
      expect(undone.outcomes[0]).toMatchObject({ status: 'applied', verified: true, readBack: '1500' });
      expect(await mig0Mtu()).toBe(1500);
    } finally {
      await labRun(['mtu', 'hvB', 'mig0', '9000']);
    }
    expect(await snapshot()).toEqual(before);
  });
});
