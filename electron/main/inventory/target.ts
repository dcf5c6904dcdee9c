/**
 * Where the SSH pool connects for a saved host: its own user@address:port and, behind jump hosts, the chain. The
 * one mapping from a record to an SshTarget, used by the inventory and by every other pool (migrations, network).
 */
import type { HostDraft, JumpHop } from '../../../shared/inventory/types';
import { targetKey, type SshHop, type SshTarget } from '../ssh/errors';

const hopOf = (h: { readonly address: string; readonly port: number; readonly user: string }): SshHop => ({ host: h.address, port: h.port, user: h.user });

export function sshTargetOf(d: HostDraft): SshTarget {
  const jump = d.jump ?? [];
  return jump.length === 0 ? hopOf(d) : { ...hopOf(d), jump: jump.map(hopOf) };
}

/** Each jump host of a record as the pool sees it (itself reached through the hops before it), with its record entry. */
export function jumpTargetsOf(d: HostDraft): { readonly target: SshTarget; readonly hop: JumpHop }[] {
  const jump = d.jump ?? [];
  return jump.map((hop, i) => ({ target: i === 0 ? hopOf(hop) : { ...hopOf(hop), jump: jump.slice(0, i).map(hopOf) }, hop }));
}

/** Case-insensitive pool key of a record's target, chain included. */
export function recordKey(d: HostDraft): string {
  return targetKey(sshTargetOf(d)).toLowerCase();
}
