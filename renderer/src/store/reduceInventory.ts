/**
 * inventoryWatch events applied to the host map. Pure. A host whose new view omits facts or VMs ("not loaded yet",
 * e.g. while it reconnects) keeps the ones it had, so a refresh never blanks a list that was showing.
 */
import type { InventoryEvent } from '../../../shared/ipc/contract';
import type { HostView } from '../../../shared/inventory/types';

export type HostMap = Readonly<Record<string, HostView>>;

function carryOver(prev: HostView | undefined, next: HostView): HostView {
  if (prev === undefined) return next;
  if (next.facts !== undefined && next.vms !== undefined) return next;
  const merged: HostView = { ...next };
  if (merged.facts === undefined && prev.facts !== undefined) merged.facts = prev.facts;
  if (merged.vms === undefined && prev.vms !== undefined) merged.vms = prev.vms;
  if (merged.refreshedAt === undefined && prev.refreshedAt !== undefined) merged.refreshedAt = prev.refreshedAt;
  return merged;
}

export function reduceInventory(hosts: HostMap, event: InventoryEvent): HostMap {
  switch (event.type) {
    case 'snapshot': {
      const next: Record<string, HostView> = {};
      for (const h of event.hosts) next[h.record.id] = carryOver(hosts[h.record.id], h);
      return next;
    }
    case 'host': {
      const id = event.host.record.id;
      return { ...hosts, [id]: carryOver(hosts[id], event.host) };
    }
    case 'refreshed': {
      const host = hosts[event.id];
      if (host === undefined || host.refreshedAt === event.at) return hosts;
      return { ...hosts, [event.id]: { ...host, refreshedAt: event.at } };
    }
    case 'removed': {
      if (!(event.id in hosts)) return hosts;
      const next = { ...hosts };
      delete next[event.id];
      return next;
    }
  }
}
