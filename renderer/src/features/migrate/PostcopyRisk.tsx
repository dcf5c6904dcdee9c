/**
 * What a switch to post-copy risks for two hosts, in the one sentence shared/migration/postcopy.ts writes: beside the
 * migrate dialog's post-copy options and the migration view's "Switch to post-copy".
 */
import { postcopyRecovery, postcopyRiskSentence, type PostcopyRecovery } from '../../../../shared/migration/postcopy';
import { useFerryShallow } from '../../store/react';

/** Whether these hosts can resume a broken post-copy, from the libvirt versions the inventory last read. */
export function usePostcopyRecovery(source: { id: string; name: string }, destination: { id: string | null; name: string }): PostcopyRecovery {
  const [sv, dv] = useFerryShallow((s) => [s.inventory.hosts[source.id]?.facts?.libvirtVersion, destination.id === null ? undefined : s.inventory.hosts[destination.id]?.facts?.libvirtVersion]);
  return postcopyRecovery({ name: source.name, libvirtVersion: sv }, { name: destination.name, libvirtVersion: dv });
}

export function PostcopyRiskNote({ recovery, id }: { recovery: PostcopyRecovery; id?: string }) {
  return (
    <p id={id} role="note" aria-label="Post-copy risk" className={`postcopy-risk postcopy-risk--${recovery.kind}`}>
      {postcopyRiskSentence(recovery)}
    </p>
  );
}
