// The network tools (path check, audit, tuning) on the lab as main wires them: an SSH pool with the lab's client key
// and known_hosts, the lab hosts as inventory views, and the NetworkDeps over both.
import { readFileSync } from 'node:fs';
import { requireLab } from '../lab/use-lab';
import { labHost, type HostName } from '../lab/lab';
import { SshPool, silentLogger } from '../../electron/main/ssh/pool';
import { fileKnownHostsStore } from '../../electron/main/ssh/known-hosts';
import { execRunner } from '../../electron/main/remote/ssh-runner';
import { systemClock } from '../../electron/main/clock';
import type { NetworkDeps } from '../../electron/main/network/deps';
import type { HostView, NicFact } from '../../shared/inventory/types';
import { err, ok, type Result } from '../../shared/result';
import { ferryError, type FerryError } from '../../shared/errors';

export function labPool(): SshPool {
  const l = requireLab();
  const key = readFileSync(l.clientKey);
  return new SshPool({ knownHosts: fileKnownHostsStore(l.knownHosts), auth: () => ({ kind: 'key', privateKey: key }) });
}

/** A lab host as the inventory shows it, connected; with `facts`, its management and migration NICs as collected. */
export function labHostView(name: HostName, options: { readonly facts?: boolean } = {}): HostView {
  const h = labHost(requireLab(), name);
  const view: HostView = {
    record: { id: `lab-${name}`, name, address: h.ip, port: h.port, user: h.user, auth: { kind: 'agent' }, addedAt: '2026-11-25T00:00:00.000Z', source: 'manual' },
    connection: { state: 'connected', since: '2026-11-25T00:00:00.000Z' },
  };
  if (!options.facts) return view;
  const nics: NicFact[] = [{ name: h.iface, mtu: h.mtu, speedMbps: 10000, operState: 'UP', addresses: [`${h.ip}/24`], role: 'management' }];
  if (h.migration) nics.push({ name: h.migration.iface, mtu: 9000, speedMbps: 10000, operState: 'UP', addresses: [`${h.migration.ip}/24`], role: 'migration' });
  return { ...view, facts: { hostname: name, libvirtVersion: '9.0.0', hypervisor: 'QEMU', cpuModel: 'x', cpuCount: 2, memoryBytes: 1, nics, collectedAt: '2026-11-25T00:00:00.000Z' } };
}

export function labNetworkDeps(pool: SshPool, hosts: readonly HostView[], dataDir: string): NetworkDeps {
  return {
    hosts: () => hosts,
    access: (id) => {
      const v = hosts.find((x) => x.record.id === id);
      return v ? ok({ host: v, runner: execRunner(pool, { host: v.record.address, user: v.record.user, port: v.record.port }) }) : err(ferryError('inventory.not-found', id));
    },
    clock: systemClock,
    wallClock: Date.now,
    logger: silentLogger,
    dataDir,
  };
}

export function must<T>(r: Result<T, FerryError>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message} ${r.error.detail ?? ''}`);
  return r.value;
}
