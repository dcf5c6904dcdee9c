/** The host's tuning tab (filled in by the issue-5 work). */
export function TuningPanel({ hostId }: { hostId: string }) {
  return (
    <section className="network-panel" aria-label="Tuning" data-host={hostId}>
      <p className="empty-note">Not built yet.</p>
    </section>
  );
}
