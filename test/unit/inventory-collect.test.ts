/**
 * Turning a host's command outputs (real lab captures) into facts and VM summaries: which NIC is management, which
 * are migration NICs, which interfaces are not host NICs at all, VM flags from the name lists, and a VM list whose
 * cost does not grow with the number of VMs.
 */
import { describe, expect, it } from 'vitest';
import { buildNics, buildVms, collectFacts, collectVms, reportedNics } from '../../electron/main/inventory/collect';
import { parseIpAddr, parseIpLink, parseVirshList } from '../../shared/parsers';
import { parseVirshDomstats } from '../../shared/parsers/virsh-domstats';
import { parseVirshNames } from '../../shared/parsers/virsh-names';
import type { IpLinkWithAddresses } from '../../shared/parsers/ip';
import { fixture, hvAOutputs, TableRunner } from './inventory-fakes';

function value<T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const addrs = value(parseIpAddr(fixture('ip/addr.txt')));
const links = value(parseIpLink(fixture('ip/link.txt')));

describe('NICs', () => {
  it('calls management the NIC holding the address the SSH connection arrived on, and migration the other IPv4 NICs', () => {
    const nics = buildNics(addrs, links, '10.77.2.11', new Map([['eth0', 10000]]));
    expect(nics.map((n) => [n.name, n.role, n.speedMbps])).toEqual([
      ['eth0', 'migration', 10000],
      ['mig0', 'management', null],
    ]);
  });

  it('leaves out loopback, libvirt bridges, guest taps and bridge ports, and link-local IPv6 addresses', () => {
    const extra = (ifname: string, more: Partial<IpLinkWithAddresses> = {}): IpLinkWithAddresses => ({
      ...addrs[1]!,
      ifindex: 100 + ifname.length,
      ifname,
      addresses: [],
      ...more,
    });
    const all = [
      ...addrs,
      extra('virbr0', { addresses: [{ family: 'inet', local: '192.168.122.1', prefixlen: 24 }] }),
      extra('vnet12'),
      extra('eno1', { master: 'br0' }),
      extra('br0', { addresses: [{ family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' }] }),
    ];
    expect(reportedNics(all, links).map((n) => n.ifname)).toEqual(['eth0', 'mig0', 'br0']);
    const br0 = buildNics(all, links, '10.77.0.11', new Map()).find((n) => n.name === 'br0');
    expect(br0).toMatchObject({ addresses: [], role: 'other', speedMbps: null });
  });
});

describe('VMs', () => {
  it('reads persistent/transient and autostart from the name lists, memory and vCPUs from one domstats', () => {
    const vms = buildVms({
      all: value(parseVirshList(fixture('virsh/list-all-mixed-hvC.txt'))),
      persistent: value(parseVirshNames(fixture('virsh/names-persistent-hvC.txt'))),
      autostart: value(parseVirshNames(fixture('virsh/names-autostart-hvC.txt'))),
      stats: value(parseVirshDomstats(fixture('virsh/domstats-mixed-hvC.txt'))),
    });
    // The complements virsh prints agree with what was derived.
    expect(vms.filter((v) => v.persistent === false).map((v) => v.name)).toEqual(value(parseVirshNames(fixture('virsh/names-transient-hvC.txt'))));
    expect(vms.filter((v) => v.autostart === false).map((v) => v.name)).toEqual(value(parseVirshNames(fixture('virsh/names-no-autostart-hvC.txt'))));
    expect(vms).toEqual([
      { name: 'ferryfx-t', state: 'running', memoryBytes: 96 * 1024 * 1024, vcpus: 1, persistent: false, autostart: false },
      { name: 'ferryfx', state: 'shut-off', memoryBytes: 96 * 1024 * 1024, vcpus: 1, persistent: true, autostart: true },
    ]);
  });

  it('leaves a flag unknown (absent) when its list could not be read, and memory unknown without stats', () => {
    const vms = buildVms({ all: [{ name: 'new', state: 'running' }], persistent: [] });
    expect(vms).toEqual([{ name: 'new', state: 'running', persistent: false }]);
  });

  it('lists 3000 VMs with the same four virsh commands as two', async () => {
    const n = 3000;
    const names = Array.from({ length: n }, (_, i) => `vm-${i}`);
    const list = [' Id     Name      State', '-------------------------------', ...names.map((x, i) => ` ${i + 1}   ${x}   running`), ''].join('\n');
    const stats = names.map((x) => `Domain: '${x}'\n  balloon.current=1048576\n  vcpu.current=2\n`).join('\n');
    const outputs = hvAOutputs();
    outputs.set('virsh --connect qemu:///system list --all', list);
    outputs.set('virsh --connect qemu:///system list --all --name --persistent', `${names.join('\n')}\n\n`);
    outputs.set('virsh --connect qemu:///system domstats --balloon --vcpu', stats);
    const runner = new TableRunner(outputs);
    const r = value(await collectVms({ exec: runner, virsh: runner }, {}));
    expect(r.vms).toHaveLength(n);
    expect(r.vms[2999]).toEqual({ name: 'vm-2999', state: 'running', memoryBytes: 1024 ** 3, vcpus: 2, persistent: true, autostart: false });
    expect(runner.ran).toHaveLength(4);
  });
});

describe('facts', () => {
  it('collects hvA: host name, versions, CPU, memory and NICs with their speeds', async () => {
    const runner = new TableRunner(hvAOutputs());
    const facts = value(await collectFacts({ exec: runner, virsh: runner }, { now: () => '2025-01-01T00:00:00.000Z' }));
    expect(facts).toEqual({
      hostname: 'hvA',
      libvirtVersion: '9.0.0',
      hypervisor: 'QEMU 7.2.22',
      cpuModel: 'AMD EPYC',
      cpuCount: 2,
      memoryBytes: 5990612 * 1024,
      nics: [
        { name: 'eth0', mtu: 9000, speedMbps: 10000, operState: 'up', addresses: ['10.77.0.11/24'], role: 'management' },
        { name: 'mig0', mtu: 9000, speedMbps: 10000, operState: 'up', addresses: ['10.77.2.11/24'], role: 'migration' },
      ],
      collectedAt: '2025-01-01T00:00:00.000Z',
    });
  });

  it('shows an unknown link speed (ethtool "Unknown!") or a failing ethtool as no speed, not as an error', async () => {
    const outputs = hvAOutputs();
    outputs.set('ethtool eth0', fixture('ethtool/settings-virtio-rootns.txt')); // a virtio NIC: "Speed: Unknown!"
    outputs.delete('ethtool mig0'); // "not found"
    const runner = new TableRunner(outputs);
    const facts = value(await collectFacts({ exec: runner, virsh: runner }, { now: () => 'now' }));
    expect(facts.nics.map((n) => n.speedMbps)).toEqual([null, null]);
  });
});
