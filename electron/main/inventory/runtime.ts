/** What the inventory knows about one saved host now: its record, connection state, facts, VMs, work in flight. */
import type { ConnectionState, HostFacts, HostRecord, HostView, VmSummary } from '../../../shared/inventory/types';
import type { HostSession } from './backend';

export interface Runtime {
  record: HostRecord;
  connection: ConnectionState;
  facts?: HostFacts;
  /** clock.now() when `facts` were collected. */
  factsAt?: number;
  vms?: VmSummary[];
  refreshedAt?: string;
  problem?: { message: string; detail?: string };
  inFlight?: Promise<void>;
  abort?: AbortController;
  session?: HostSession;
  /** Bumped when the record's connection details change or the host is removed: late results are dropped. */
  generation: number;
  /** What was last announced, minus timestamps (see `signature`). */
  announced?: string;
  /** The refreshedAt last announced (in a `host` or `refreshed` event). */
  announcedRefreshedAt?: string | undefined;
}

/** Sets a host's connection state; "since" is when the state began, so a host that stays connected keeps its first time. */
export function setConnection(rt: Runtime, state: ConnectionState): void {
  if (state.state === rt.connection.state && (state.state === 'connected' || state.state === 'connecting')) return;
  rt.connection = state;
}

/** A view without the timestamps a routine refresh moves: equal signatures = nothing the renderer shows changed. */
export function signature(v: HostView): string {
  const { refreshedAt: _r, facts, ...rest } = v;
  if (!facts) return JSON.stringify(rest);
  const { collectedAt: _c, ...f } = facts;
  return JSON.stringify({ ...rest, facts: f });
}
