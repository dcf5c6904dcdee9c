/**
 * The ferry.path.check handler: the contract refuses a check of a host against itself and an address that is not
 * an IP; a host missing from the inventory is `inventory.not-found`; a host saved under a DNS name is probed at its
 * management NIC's address; and the hosts' own runners answer (lab captures through test/unit/path-fakes.ts).
 */
import { describe, expect, it } from 'vitest';
import { ferryError } from '../../shared/errors';
import { err, ok } from '../../shared/result';
import { pathCheck } from '../../shared/ipc/path-contract';
import type { HostView } from '../../shared/inventory/types';
import { inventoryNames, managementAddress, pathHandlers } from '../../electron/main/network/path-handlers';
import type { NetworkDeps } from '../../electron/main/network/deps';
import { systemClock } from '../../electron/main/clock';
import { hvA, hvB, type FakeHost } from './path-fakes';

function view(id: string, name: string, address: string, nics: { name: string; addresses: string[]; role: 'management' | 'migration' | 'other' }[] = []): HostView {
  return {
    record: { id, name, address, port: 22, user: 'root', auth: { kind: 'agent' }, addedAt: '2026-11-25T00:00:00.000Z', source: 'manual' },
    connection: { state: 'connected', since: '2026-11-25T00:00:00.000Z' },
    ...(nics.length > 0
      ? {
          facts: {
            hostname: name,
            libvirtVersion: '9.0.0',
            hypervisor: 'QEMU 7.2.0',
            cpuModel: 'x86_64',
            cpuCount: 2,
            memoryBytes: 1,
            nics: nics.map((n) => ({ ...n, mtu: 9000, speedMbps: 10000, operState: 'up' })),
            collectedAt: '2026-11-25T00:00:00.000Z',
          },
        }
      : {}),
  };
}

function deps(hosts: HostView[], runners: Record<string, FakeHost>): NetworkDeps {
  return {
    hosts: () => hosts,
    access: (id) => {
      const host = hosts.find((h) => h.record.id === id);
      const runner = runners[id];
      return host && runner ? ok({ host, runner }) : err(ferryError('inventory.not-found', `No such host in the inventory: ${id}.`));
    },
    clock: systemClock,
    wallClock: () => 0,
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as NetworkDeps['logger'],
    dataDir: '/nonexistent',
  };
}

const caller = { clientId: 'test', transport: 'web' as const };

describe('ferry.path.check', () => {
  it('refuses to check a host against itself, and an address that is not an IP, before anything runs', () => {
    expect(pathCheck.input.safeParse({ sourceHostId: 'a', destinationHostId: 'a' }).success).toBe(false);
    expect(pathCheck.input.safeParse({ sourceHostId: 'a', destinationHostId: 'b', address: '10.0.0.1; reboot' }).success).toBe(false);
    expect(pathCheck.input.safeParse({ sourceHostId: 'a', destinationHostId: 'b', address: '10.77.2.12' }).success).toBe(true);
  });

  it('answers inventory.not-found for a host that is not in the inventory', async () => {
    const h = pathHandlers(deps([view('a', 'hvA', '10.77.0.11')], {}));
    const r = await h[pathCheck.id]({ sourceHostId: 'a', destinationHostId: 'zz' }, caller);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('inventory.not-found');
  });

  it('probes a host saved under a DNS name at its management NIC, and names hops from the inventory', async () => {
    const b = view('b', 'hvB', 'hvb.lab.example', [
      { name: 'eth0', addresses: ['10.77.0.12/24'], role: 'management' },
      { name: 'mig0', addresses: ['10.77.2.12/24'], role: 'migration' },
    ]);
    expect(managementAddress(b)).toBe('10.77.0.12');
    expect(managementAddress(view('c', 'hvC', 'hvc.lab.example'))).toBeUndefined();
    expect(inventoryNames([b]).get('10.77.2.12')).toBe('hvB');
    const a = view('a', 'hvA', '10.77.0.11');
    const h = pathHandlers(deps([a, b], { a: hvA({ mtu: 9000, above: 'lost' }), b: hvB() }));
    const r = await h[pathCheck.id]({ sourceHostId: 'a', destinationHostId: 'b' }, caller);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.routes.map((x) => [x.kind, x.target, x.pmtu?.largestPassing])).toEqual([
      ['management', '10.77.0.12', 9000],
      ['migration', '10.77.2.12', 9000],
    ]);
    // The migration address is not in tracepath's names (??? in the capture): the inventory names it.
    expect(r.value.routes[1]?.hops[0]?.name).toBe('hvB');
    expect(pathCheck.output.safeParse(r.value).success).toBe(true);
  });

  it('says what to do when the destination has neither an IP address nor known NICs', async () => {
    const h = pathHandlers(deps([view('a', 'hvA', '10.77.0.11'), view('c', 'hvC', 'hvc.lab.example')], { a: hvA({ mtu: 9000, above: 'lost' }), c: hvB() }));
    const r = await h[pathCheck.id]({ sourceHostId: 'a', destinationHostId: 'c' }, caller);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toBe("hvC's inventory address (hvc.lab.example) is not an IP address and its management NIC is not known yet: give the address to probe.");
  });
});
