/** The host's audit tab (filled in by the issue-5 work). */
export function AuditPanel({ hostId }: { hostId: string }) {
  return (
    <section className="network-panel" aria-label="Audit" data-host={hostId}>
      <p className="empty-note">Not built yet.</p>
    </section>
  );
}
