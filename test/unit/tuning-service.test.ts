// TuningService against a simulated host: a CommandRunner that answers with the lab's real captures
// (test/fixtures/ip, ethtool) and keeps the settings the tuning changes (gro per NIC, the buffer sysctls) in memory,
// so the order of events and the failure paths can be checked without touching the lab. The lab round trip itself
// is test/integration/tuning.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ok, err } from '../../shared/result';
import { ferryError } from '../../shared/errors';
import type { HostView } from '../../shared/inventory/types';
import { systemClock } from '../../electron/main/clock';
import { silentLogger } from '../../electron/main/ssh/pool';
import type { CommandRunner, RunOutput } from '../../electron/main/remote/run-command';
import type { NetworkDeps } from '../../electron/main/network/deps';
import { TuningService } from '../../electron/main/network/tuning-service';
import { TuningStore, TUNING_FILE } from '../../electron/main/network/tuning-store';

const FIX = join(__dirname, '../fixtures');
const fixture = (p: string) => readFileSync(join(FIX, p), 'utf8');

interface FakeHost {
  gro: Record<string, boolean>;
  sysctl: Record<string, string>;
  /** argv (without env) that fail with ethtool's netlink error. */
  failing: (argv: readonly string[]) => boolean;
  /** argv that exit 0 but change nothing (a driver ignoring the request). */
  ignored: (argv: readonly string[]) => boolean;
  /** Called before each command that changes something, with its argv. */
  onWrite: (argv: readonly string[]) => void;
  log: string[];
}

function fakeRunner(h: FakeHost): CommandRunner {
  const out = (stdout: string, exitCode = 0, stderr = ''): Promise<{ ok: true; value: RunOutput }> => Promise.resolve(ok({ stdout, stderr, exitCode }));
  return {
    run(full) {
      const argv = full[0] === 'env' ? full.slice(2) : full;
      const line = argv.join(' ');
      h.log.push(line);
      if (line === 'ip -j addr show') return out(fixture('ip/addr.txt'));
      if (line === 'ip -j -d link show') return out(fixture('ip/link.txt'));
      if (argv[0] === 'ethtool' && argv[1] === '-g') return out('', 81, 'netlink error: Operation not supported\n');
      if (argv[0] === 'ethtool' && argv[1] === '-k') {
        const ifname = argv[2] ?? '';
        const text = fixture('ethtool/features-veth.txt')
          .replace(/^Features for \S+:/m, `Features for ${ifname}:`)
          .replace(/^generic-receive-offload: \S+/m, `generic-receive-offload: ${h.gro[ifname] ? 'on' : 'off'}`);
        return out(text);
      }
      if (argv[0] === 'ethtool' && argv.length === 2) return out(fixture('ethtool/settings-veth.txt').replace(/^Settings for \S+:/m, `Settings for ${argv[1] ?? ''}:`));
      if (argv[0] === 'sysctl' && argv[1] === '-n') return out(argv.slice(2).map((k) => `${h.sysctl[k] ?? ''}\n`).join(''));
      if (argv[0] === 'sh' && argv[3] === 'ferry-writable') {
        return out(`0\n${argv.slice(4).map((p) => `${p.includes('/core/') ? 'read-only' : 'writable'} ${p}`).join('\n')}\n`);
      }
      h.onWrite(argv);
      if (h.failing(argv)) return out('', 1, 'netlink error: Operation not permitted\n');
      if (h.ignored(argv)) return out('');
      if (argv[0] === 'ethtool' && argv[1] === '-K') {
        h.gro[argv[2] ?? ''] = argv[4] === 'on';
        return out('');
      }
      if (argv[0] === 'sysctl' && argv[1] === '-w') {
        const [k = '', v = ''] = (argv[2] ?? '').split('=');
        h.sysctl[k] = v;
        return out(`${k} = ${v}\n`);
      }
      return Promise.resolve(err(ferryError('command.failed', `the fake host does not know: ${line}`)));
    },
  };
}

const hostView: HostView = {
  record: { id: 'h1', name: 'hvA', address: '10.77.0.11', port: 22, user: 'root', auth: { kind: 'agent' }, addedAt: '2026-11-25T00:00:00.000Z', source: 'manual' },
  connection: { state: 'connected', since: '2026-11-25T00:00:00.000Z' },
};

describe('TuningService (simulated host)', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  function setup(over: Partial<FakeHost> = {}) {
    dir = mkdtempSync(join(tmpdir(), 'ferry-tuning-svc-'));
    const host: FakeHost = {
      gro: { eth0: false, mig0: false },
      sysctl: { 'net.core.rmem_max': '4194304', 'net.core.wmem_max': '4194304', 'net.ipv4.tcp_rmem': '4096\t131072\t33554432', 'net.ipv4.tcp_wmem': '4096\t16384\t4194304' },
      failing: () => false,
      ignored: () => false,
      onWrite: () => undefined,
      log: [],
      ...over,
    };
    const dataDir = dir;
    const deps: NetworkDeps = {
      hosts: () => [hostView],
      access: (id) => (id === 'h1' ? ok({ host: hostView, runner: fakeRunner(host) }) : err(ferryError('inventory.not-found', id))),
      clock: systemClock,
      wallClock: () => 1_764_000_000_000,
      logger: silentLogger,
      dataDir,
    };
    let store: Promise<TuningStore> | undefined;
    let n = 0;
    const service = new TuningService(deps, () => (store ??= TuningStore.open({ dataDir })), { newId: (p) => `${p}-${++n}` });
    return { host, service, dataDir };
  }

  it('writes every previous value to tuning.jsonl before the first command that changes anything', async () => {
    let onDisk = '';
    const { service, host, dataDir } = setup({ onWrite: () => (onDisk ||= readFileSync(join(dataDir, TUNING_FILE), 'utf8')) });
    const plan = await service.plan({ hostId: 'h1', rttMs: 50 });
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    const ids = ['offload:mig0:gro', 'sysctl:net.ipv4.tcp_rmem'];
    const r = await service.apply({ hostId: 'h1', planId: plan.value.id, changeIds: ids, persist: false });
    expect(r.ok && r.value.complete).toBe(true);
    const begin = JSON.parse(onDisk.split('\n')[0] ?? '') as { type: string; changes: { id: string; undo: unknown }[] };
    expect(begin.type).toBe('begin');
    expect(begin.changes.map((c) => c.id)).toEqual(ids);
    expect(begin.changes[1]?.undo).toEqual({ kind: 'sysctl', key: 'net.ipv4.tcp_rmem', setting: { kind: 'triple', min: 4096, default: 131072, max: 33554432 } });
    expect(host.gro.mig0).toBe(true);
  });

  it('stops at the first failure and reports what was and was not applied; undo puts back what was', async () => {
    const { service, host } = setup({ failing: (a) => a.join(' ') === 'ethtool -K mig0 gro on' });
    const plan = await service.plan({ hostId: 'h1', rttMs: 50 });
    if (!plan.ok) throw new Error(plan.error.message);
    const r = await service.apply({ hostId: 'h1', planId: plan.value.id, changeIds: ['sysctl:net.ipv4.tcp_rmem', 'offload:mig0:gro', 'offload:eth0:gro'], persist: false });
    if (!r.ok) throw new Error(r.error.message);
    // Offloads run before sysctls, in plan order (eth0, then mig0).
    expect(r.value.outcomes.map((o) => [o.changeId, o.status, o.verified])).toEqual([
      ['offload:eth0:gro', 'applied', true],
      ['offload:mig0:gro', 'failed', false],
      ['sysctl:net.ipv4.tcp_rmem', 'skipped', false],
    ]);
    expect(r.value.outcomes[1]?.reason).toMatch(/Operation not permitted/);
    expect(r.value.complete).toBe(false);
    expect(host.sysctl['net.ipv4.tcp_rmem']).toBe('4096\t131072\t33554432');
    const hist = await service.history('h1');
    expect(hist.ok && hist.value[0]?.status).toBe('partial');

    const u = await service.undo({ hostId: 'h1', changeSetId: r.value.changeSetId });
    if (!u.ok) throw new Error(u.error.message);
    expect(u.value.complete).toBe(true);
    expect(u.value.outcomes.find((o) => o.changeId === 'sysctl:net.ipv4.tcp_rmem')?.reason).toBe('Already at its previous value.');
    expect(host.gro).toEqual({ eth0: false, mig0: false });
    const again = await service.undo({ hostId: 'h1', changeSetId: r.value.changeSetId });
    expect(again.ok).toBe(false);
  });

  it('does not call a change verified when the command succeeds but the setting reads back unchanged', async () => {
    const { service } = setup({ ignored: (a) => a.join(' ') === 'ethtool -K eth0 gro on' });
    const plan = await service.plan({ hostId: 'h1' });
    if (!plan.ok) throw new Error(plan.error.message);
    const r = await service.apply({ hostId: 'h1', planId: plan.value.id, changeIds: ['offload:eth0:gro', 'offload:mig0:gro'], persist: false });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.outcomes[0]).toMatchObject({ status: 'applied', verified: false, readBack: 'off' });
    expect(r.value.outcomes[0]?.reason).toBe('The command reported success but GRO on eth0 reads off, not on.');
    expect(r.value.outcomes[1]?.status).toBe('skipped');
  });

  it('refuses an unknown plan, an unknown change and a blocked change without running anything that writes', async () => {
    const writes: string[] = [];
    const { service } = setup({ onWrite: (a) => writes.push(a.join(' ')) });
    expect((await service.apply({ hostId: 'h1', planId: 'nope', changeIds: ['x'], persist: false })).ok).toBe(false);
    const plan = await service.plan({ hostId: 'h1', rttMs: 50 });
    if (!plan.ok) throw new Error(plan.error.message);
    expect(plan.value.changes.find((c) => c.id === 'sysctl:net.core.rmem_max')?.blocked).toMatch(/read-only here/);
    expect((await service.apply({ hostId: 'h1', planId: plan.value.id, changeIds: ['sysctl:net.core.rmem_max'], persist: false })).ok).toBe(false);
    expect((await service.apply({ hostId: 'h1', planId: plan.value.id, changeIds: ['rings:mig0'], persist: false })).ok).toBe(false);
    expect(writes).toEqual([]);
  });
});
