/**
 * Hosts behind jump hosts in the inventory (the SSH side faked as in inventory-service.test.ts): the chain reaches
 * the pool, a jump host's key is asked about and trusted under the jump host's own name, each hop gets its own
 * credentials, and the chain is part of a host's identity.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../support/wait';
import { Credentials } from '../../electron/main/inventory/credentials';
import { InventoryService } from '../../electron/main/inventory/service';
import { InventoryStore, parseInventoryText } from '../../electron/main/inventory/store';
import { jumpTargetsOf, sshTargetOf } from '../../electron/main/inventory/target';
import type { SshTarget } from '../../electron/main/ssh/errors';
import type { HostDraft, JumpHop } from '../../shared/inventory/types';
import { FakeNetwork, KEY_FINGERPRINT, timerClock } from './inventory-fakes';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const hop = (address: string, extra: Partial<JumpHop> = {}): JumpHop => ({ address, port: 22, user: 'root', auth: { kind: 'agent' }, ...extra });
const draft = (name: string, address: string, jump?: JumpHop[]): HostDraft => ({
  name,
  address,
  port: 22,
  user: 'root',
  auth: { kind: 'agent' },
  ...(jump ? { jump } : {}),
});


async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-inv-jump-'));
  dirs.push(dir);
  const store = await InventoryStore.open({ dataDir: dir });
  const net = new FakeNetwork(timerClock);
  const connected: SshTarget[] = [];
  const backend = () => {
    const b = net.backend();
    return { ...b, connect: (t: SshTarget, o: { timeoutMs: number; signal?: AbortSignal }) => (connected.push(t), b.connect(t, o)) };
  };
  const service = new InventoryService({
    store,
    credentials: new Credentials({ homeDir: dir, env: { SSH_AUTH_SOCK: '/run/fake-agent.sock' } }),
    backend,
    probeBackend: backend,
    clock: timerClock,
  });
  return { dir, store, net, service, connected };
}

describe('a record and its jump chain as pool targets', () => {
  it('maps each hop to the target the pool connects to, reached through the hops before it', () => {
    const d = draft('hvC', '10.77.1.13', [hop('10.99.0.1', { user: 'jump', port: 2222 }), hop('10.77.0.11')]);
    expect(sshTargetOf(d)).toEqual({
      host: '10.77.1.13',
      port: 22,
      user: 'root',
      jump: [
        { host: '10.99.0.1', port: 2222, user: 'jump' },
        { host: '10.77.0.11', port: 22, user: 'root' },
      ],
    });
    expect(jumpTargetsOf(d).map((j) => j.target)).toEqual([
      { host: '10.99.0.1', port: 2222, user: 'jump' },
      { host: '10.77.0.11', port: 22, user: 'root', jump: [{ host: '10.99.0.1', port: 2222, user: 'jump' }] },
    ]);
    expect(sshTargetOf(draft('hvA', '10.77.0.11'))).toEqual({ host: '10.77.0.11', port: 22, user: 'root' });
  });
});

describe('hosts behind a jump host', () => {
  it('asks about the jump host key first, trusts it under the jump host name, then saves the host with its chain', async () => {
    const { net, service, store, connected } = await setup();
    net.add('10.77.0.11', { trusted: false });
    net.add('10.77.1.13');
    const d = draft('hvC', '10.77.1.13', [hop('10.77.0.11')]);

    const first = await service.test(d);
    expect(first).toEqual({ ok: true, value: { outcome: 'host-key-unknown', key: { host: '10.77.0.11', port: 22, keyType: 'ssh-ed25519', fingerprint: KEY_FINGERPRINT } } });
    expect(connected.at(-1)).toEqual(sshTargetOf(d));

    expect(await service.trustKey({ host: '10.77.0.11', port: 22, keyType: 'ssh-ed25519', fingerprint: KEY_FINGERPRINT })).toEqual({ ok: true, value: {} });
    // The key goes into known_hosts under the jump host, never under the host behind it.
    expect(net.trustCalls.at(-1)?.target).toEqual({ host: '10.77.0.11', port: 22, user: 'root' });

    const added = await service.add(d);
    if (!added.ok) throw new Error(added.error.message);
    expect(added.value.jump).toEqual([hop('10.77.0.11')]);
    expect(store.value.hosts[0]?.jump).toEqual([hop('10.77.0.11')]);
    expect(service.views()[0]?.connection.state).toBe('connected');
  });

  it("shows a saved host's jump host key as its state, and trusting it reconnects the host", async () => {
    const { net, service } = await setup();
    const bastion = net.add('10.77.0.11');
    net.add('10.77.1.13');
    const added = await service.add(draft('hvC', '10.77.1.13', [hop('10.77.0.11')]));
    if (!added.ok) throw new Error(added.error.message);
    bastion.trusted = false;
    await service.refreshOne(added.value.id);
    const state = service.views()[0]?.connection;
    expect(state).toMatchObject({ state: 'host-key-unknown', key: { host: '10.77.0.11', port: 22 } });
    expect(state?.state === 'host-key-unknown' && state.reason).toMatch(/^jump host 10\.77\.0\.11: /);
    expect(await service.trustKey({ host: '10.77.0.11', port: 22, keyType: 'ssh-ed25519', fingerprint: KEY_FINGERPRINT })).toEqual({ ok: true, value: {} });
    expect(net.trustCalls.at(-1)?.target).toEqual({ host: '10.77.0.11', port: 22, user: 'root' });
    await until(() => service.views()[0]?.connection.state === 'connected');
  });

  it('gives each jump host its own credentials, and the host its own', async () => {
    const s2 = await setup();
    const bastionAuth = { kind: 'agent' as const, socketPath: '/run/bastion-agent.sock' };
    s2.net.add('10.77.0.11');
    s2.net.add('10.77.1.13');
    const added = await s2.service.add(draft('hvC', '10.77.1.13', [hop('10.77.0.11', { auth: bastionAuth })]));
    expect(added.ok).toBe(true);
    expect(await s2.service.authFor({ host: '10.77.0.11', port: 22, user: 'root' })).toEqual({ kind: 'agent', socketPath: '/run/bastion-agent.sock' });
    expect(await s2.service.authFor(sshTargetOf(draft('hvC', '10.77.1.13', [hop('10.77.0.11')])))).toEqual({ kind: 'agent', socketPath: '/run/fake-agent.sock' });
    await expect(s2.service.authFor({ host: '10.77.1.13', port: 22, user: 'root' })).rejects.toThrow(/no saved host/);
  });

  it('treats the same address behind another jump host as another host, and behind the same one as a duplicate', async () => {
    const { net, service } = await setup();
    for (const a of ['10.77.0.11', '10.88.0.11', '10.77.1.13']) net.add(a);
    expect((await service.add(draft('site1-db', '10.77.1.13', [hop('10.77.0.11')]))).ok).toBe(true);
    expect((await service.add(draft('site2-db', '10.77.1.13', [hop('10.88.0.11')]))).ok).toBe(true);
    expect(await service.add(draft('again', '10.77.1.13', [hop('10.77.0.11')]))).toMatchObject({ ok: false, error: { code: 'inventory.duplicate' } });
  });
});

describe('the inventory file', () => {
  it('loads a file written before jump hosts existed, and keeps a chain it saved', () => {
    const host = { id: 'h1', name: 'hvA', address: '10.77.0.11', port: 22, user: 'root', auth: { kind: 'agent' }, addedAt: '2026-01-01T00:00:00.000Z', source: 'manual' };
    const settings = { trustUserKnownHosts: false, refreshIntervalSec: 10 };
    const old = parseInventoryText(JSON.stringify({ version: 1, hosts: [host], settings }));
    expect(old.ok && old.data.hosts[0]).toEqual(host);
    const withJump = { ...host, id: 'h2', name: 'hvC', address: '10.77.1.13', jump: [hop('10.77.0.11', { user: 'jump' })] };
    const r = parseInventoryText(JSON.stringify({ version: 1, hosts: [host, withJump], settings }));
    expect(r.ok && r.data.hosts[1]?.jump).toEqual([hop('10.77.0.11', { user: 'jump' })]);
  });
});
