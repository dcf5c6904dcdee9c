/** The host's troubleshoot tab (filled in by the issue-5 work). */
export function TroubleshootPanel({ hostId }: { hostId: string }) {
  return (
    <section className="network-panel" aria-label="Troubleshoot" data-host={hostId}>
      <p className="empty-note">Not built yet.</p>
    </section>
  );
}
