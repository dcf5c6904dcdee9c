/** Main's handlers for the path channels (shared/ipc/path-contract.ts). */
import { pathCheck, type PATH_REQUESTS, type PATH_STREAMS } from '../../../shared/ipc/path-contract';
import { ferryError } from '../../../shared/errors';
import { err } from '../../../shared/result';
import type { HostView } from '../../../shared/inventory/types';
import { isIpv4, isIpv6 } from '../../../shared/commands/command';
import type { IpcHandlers } from '../ipc/handlers';
import type { NetworkDeps } from './deps';
import { runPathCheck } from './path-check';

type Ids = (typeof PATH_REQUESTS)[number]['id'] | (typeof PATH_STREAMS)[number]['id'];
export type PathHandlers = Pick<IpcHandlers, Extract<keyof IpcHandlers, Ids>>;

/** The whole check must not run away: every command has its own timeout, and this bounds them together. */
const CHECK_BUDGET_MS = 30_000;

const isIp = (s: string) => isIpv4(s) || isIpv6(s);

/** The IP to probe for a host: its inventory address when that is an IP, else the management NIC's address. */
export function managementAddress(h: HostView): string | undefined {
  if (isIp(h.record.address)) return h.record.address;
  const nic = h.facts?.nics.find((n) => n.role === 'management');
  return nic?.addresses.map((a) => a.split('/')[0] ?? '').find((a) => isIpv4(a));
}

/** Every address the inventory knows for a host (its own and its NICs'), to name hops. */
export function inventoryNames(hosts: readonly HostView[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const h of hosts) {
    if (isIp(h.record.address)) names.set(h.record.address, h.record.name);
    for (const n of h.facts?.nics ?? []) for (const a of n.addresses) names.set(a.split('/')[0] ?? a, h.record.name);
  }
  return names;
}

export function pathHandlers(d: NetworkDeps): PathHandlers {
  return {
    [pathCheck.id]: async (input) => {
      const src = d.access(input.sourceHostId);
      if (!src.ok) return src;
      const dst = d.access(input.destinationHostId);
      if (!dst.ok) return dst;
      const management = input.address ?? managementAddress(dst.value.host);
      if (management === undefined) {
        return err(
          ferryError('input.invalid', `${dst.value.host.record.name}'s inventory address (${dst.value.host.record.address}) is not an IP address and its management NIC is not known yet: give the address to probe.`),
        );
      }
      const budget = new AbortController();
      const timer = d.clock.setTimeout(() => budget.abort(), CHECK_BUDGET_MS);
      try {
        return await runPathCheck(
          {
            source: { id: src.value.host.record.id, name: src.value.host.record.name, runner: src.value.runner },
            destination: { id: dst.value.host.record.id, name: dst.value.host.record.name, runner: dst.value.runner },
            managementAddress: management,
            ...(input.address !== undefined ? { address: input.address } : {}),
            names: inventoryNames(d.hosts()),
          },
          { now: () => d.clock.now(), wallClock: d.wallClock, signal: budget.signal },
        );
      } finally {
        d.clock.clearTimeout(timer);
      }
    },
  };
}
