/**
 * What post-copy risks, and whether a broken post-copy run can be recovered. After the switch the guest runs on the
 * destination while part of its memory is still on the source: if the migration connection breaks then, neither host
 * holds the whole VM. libvirt 8.5 and later keep both halves (the source paused, the destination running, both
 * `post-copy failed`) and can finish the run with `virsh migrate --postcopy-resume`; older versions cannot.
 */
import { compareVersions, isVersion } from '../versions';
import { POSTCOPY_FAILED_REASON, type DomainStateReason } from '../parsers/virsh-domstate';

/** The first libvirt that keeps a broken post-copy migration and resumes it (`--postcopy-resume`). */
export const POSTCOPY_RECOVERY_LIBVIRT = '8.5.0';

export type PostcopyRecovery =
  | { readonly kind: 'recoverable' }
  /** At least one host is older than 8.5: named, with its version. */
  | { readonly kind: 'not-recoverable'; readonly hosts: readonly { readonly name: string; readonly version: string }[] }
  /** A host's libvirt version is not known (not connected yet). */
  | { readonly kind: 'unknown'; readonly hosts: readonly string[] };

export interface HostLibvirt {
  readonly name: string;
  readonly libvirtVersion?: string | undefined;
}

/** Pure: whether a post-copy run between these hosts can be resumed after its connection breaks. */
export function postcopyRecovery(source: HostLibvirt, destination: HostLibvirt): PostcopyRecovery {
  const unknown = [source, destination].filter((h) => !isVersion(h.libvirtVersion)).map((h) => h.name);
  if (unknown.length > 0) return { kind: 'unknown', hosts: unknown };
  const old = [source, destination]
    .filter((h) => compareVersions(h.libvirtVersion ?? '0', POSTCOPY_RECOVERY_LIBVIRT) < 0)
    .map((h) => ({ name: h.name, version: h.libvirtVersion ?? '' }));
  return old.length > 0 ? { kind: 'not-recoverable', hosts: old } : { kind: 'recoverable' };
}

/** One sentence: what a failure during post-copy means, and whether these hosts can recover it. */
export function postcopyRiskSentence(r: PostcopyRecovery): string {
  const risk = 'If the migration connection breaks during post-copy, the VM is split: it runs on the destination while part of its memory is still on the source';
  switch (r.kind) {
    case 'recoverable':
      return `${risk}; both hosts run libvirt ${POSTCOPY_RECOVERY_LIBVIRT} or later, so Ferry can resume it.`;
    case 'not-recoverable':
      return `${risk}, and it cannot be resumed: ${r.hosts.map((h) => `${h.name} runs libvirt ${h.version}`).join(' and ')} (resuming needs ${POSTCOPY_RECOVERY_LIBVIRT} or later on both), so the VM would be lost.`;
    case 'unknown':
      return `${risk}; whether it can be resumed is not known (the libvirt version of ${r.hosts.join(' and ')} is not known; resuming needs ${POSTCOPY_RECOVERY_LIBVIRT} or later on both).`;
    default:
      return r satisfies never;
  }
}

/** What both hosts say about the VM after `virsh migrate` failed. */
export interface SplitFacts {
  readonly source: DomainStateReason | undefined;
  readonly destination: DomainStateReason | undefined;
}

/** Pure: the run broke during post-copy and the VM is split when either half says `post-copy failed`. */
export function isPostcopySplit(f: SplitFacts): boolean {
  return f.source?.reason === POSTCOPY_FAILED_REASON || f.destination?.reason === POSTCOPY_FAILED_REASON;
}
