/**
 * The dedicated migration network. Without a `migrateuri`, QEMU's migration stream goes to the address the
 * destination's libvirtd offers (its host name, which normally resolves to its management address), and so over
 * whichever link the source routes that address through. This check asks the source's kernel (`ip -j route get`)
 * how it reaches each of the peer's addresses, says whether the default would share the management link, and names
 * the peer address a `--migrateuri tcp://ADDR` should use to keep the stream off it.
 */
import type { Result } from '../result';
import type { FerryError } from '../errors';
import type { IpLinkWithAddresses, IpRoute } from '../parsers/ip';
import { isIpv4, isIpv6 } from '../commands/command';
import { errorFinding, finding, type Finding } from './types';
import { shLine } from '../shell/quote';

export interface PeerAddress {
  readonly address: string;
  readonly prefixlen: number;
  /** The peer's NIC that holds it. */
  readonly nic: string;
}

/** The peer's addresses a migration could connect to: global-scope IPv4/IPv6 on links that are up, loopback excluded. */
export function candidateAddresses(links: readonly IpLinkWithAddresses[]): PeerAddress[] {
  const out: PeerAddress[] = [];
  for (const l of links) {
    if (l.linkType === 'loopback' || !l.up) continue;
    for (const a of l.addresses) {
      if ((a.family === 'inet' || a.family === 'inet6') && (a.scope === undefined || a.scope === 'global')) out.push({ address: a.local, prefixlen: a.prefixlen, nic: l.ifname });
    }
  }
  return out;
}

/** The NIC of `links` that holds `address`, if any. */
export function nicHolding(links: readonly IpLinkWithAddresses[], address: string): string | undefined {
  return links.find((l) => l.addresses.some((a) => a.local === address))?.ifname;
}

export function migrateUri(address: string): string {
  return isIpv6(address) ? `tcp://[${address}]` : `tcp://${address}`;
}

export interface MigrationNetworkInput {
  readonly peerName: string;
  /** The source's NIC that carries Ferry's SSH (the management link); undefined when Ferry cannot tell. */
  readonly managementNic: string | undefined;
  /** The peer's management address (what its host name resolves to, as far as Ferry knows). */
  readonly peerManagementAddress: string | undefined;
  readonly peerAddresses: readonly PeerAddress[];
  /** The source's route to each peer address. */
  readonly routes: readonly { readonly address: string; readonly route: Result<IpRoute, FerryError> }[];
}

export interface MigrationNetworkVerdict {
  readonly finding: Finding;
  /** The peer address a migrateuri should use (off the management link), and the source NIC that reaches it. */
  readonly recommended?: { readonly address: string; readonly sourceNic: string; readonly peerNic: string };
  /** Where the default (no migrateuri) would go. */
  readonly defaultPath?: { readonly address: string; readonly sourceNic: string };
}

export function migrationNetworkVerdict(i: MigrationNetworkInput): MigrationNetworkVerdict {
  const subject = i.peerName;
  const title = `Migration network to ${i.peerName}`;
  const failed = i.routes.find((r) => !r.route.ok && r.address === i.peerManagementAddress);
  if (failed && !failed.route.ok) return { finding: errorFinding('migration-network', subject, title, failed.route.error) };
  const routeOf = (address: string): IpRoute | undefined => {
    const r = i.routes.find((x) => x.address === address)?.route;
    return r?.ok ? r.value : undefined;
  };
  const mgmtRoute = i.peerManagementAddress === undefined ? undefined : routeOf(i.peerManagementAddress);
  const defaultPath = mgmtRoute && i.peerManagementAddress !== undefined ? { address: i.peerManagementAddress, sourceNic: mgmtRoute.dev } : undefined;
  const shares = defaultPath !== undefined && i.managementNic !== undefined && defaultPath.sourceNic === i.managementNic;
  const others = i.peerAddresses
    .filter((a) => a.address !== i.peerManagementAddress)
    .map((a) => ({ a, route: routeOf(a.address) }))
    .filter((x): x is { a: PeerAddress; route: IpRoute } => x.route !== undefined && x.route.dev !== i.managementNic && x.route.type !== 'local');
  // Prefer a directly connected address (no gateway), then IPv4 (what a migrateuri usually names).
  others.sort((x, y) => Number(x.route.gateway !== undefined) - Number(y.route.gateway !== undefined) || Number(!isIpv4(x.a.address)) - Number(!isIpv4(y.a.address)));
  const best = others[0];
  const recommended = best && { address: best.a.address, sourceNic: best.route.dev, peerNic: best.a.nic };
  const defaultText =
    defaultPath === undefined
      ? `Ferry could not tell where ${i.peerName}'s host name leads`
      : `Without a migrateuri the stream goes to ${i.peerName}'s host name, normally ${defaultPath.address}, which this host reaches via ${defaultPath.sourceNic}${shares ? ', the management link' : ''}`;
  const mgmtText = i.managementNic === undefined ? ' (Ferry could not tell which NIC carries its own SSH connection)' : '';
  if (recommended) {
    const other = `${i.peerName}'s ${recommended.address} (${recommended.peerNic}) is reached via ${recommended.sourceNic}${best?.route.gateway === undefined ? ', directly' : ` through ${best.route.gateway}`}, off the management link`;
    const fix = `Migrate with ${shLine`--migrateuri ${migrateUri(recommended.address)}`} (virsh migrate ... ${shLine`--migrateuri ${migrateUri(recommended.address)}`}) so QEMU's stream uses ${recommended.sourceNic}.`;
    const v = { recommended, ...(defaultPath ? { defaultPath } : {}) };
    if (shares) return { ...v, finding: finding('migration-network', subject, 'warn', title, `${defaultText}; ${other}.${mgmtText}`, { fix }) };
    return { ...v, finding: finding('migration-network', subject, 'pass', title, `${defaultText}; a dedicated network exists: ${other}.${mgmtText}`, { fix }) };
  }
  const v = defaultPath ? { defaultPath } : {};
  if (shares) {
    return {
      ...v,
      finding: finding('migration-network', subject, 'warn', title, `${defaultText}; no other address of ${i.peerName} is reached off the management link: migrations share it with Ferry, libvirt and everything else.`, {
        fix: `Give both hosts an address on a separate network (its own NIC, ideally 10 Gbit/s or more, MTU 9000), then migrate with --migrateuri tcp://<${i.peerName}'s address there>.`,
      }),
    };
  }
  return { ...v, finding: finding('migration-network', subject, 'pass', title, `${defaultText}.${mgmtText}`) };
}
