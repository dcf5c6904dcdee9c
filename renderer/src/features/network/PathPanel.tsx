/** The host's path tab (filled in by the issue-5 work). */
export function PathPanel({ hostId }: { hostId: string }) {
  return (
    <section className="network-panel" aria-label="Path" data-host={hostId}>
      <p className="empty-note">Not built yet.</p>
    </section>
  );
}
