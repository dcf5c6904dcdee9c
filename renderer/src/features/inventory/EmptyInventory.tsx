/** First run: nothing to show yet, and the two ways to start. */
import { useActions } from '../../store/react';

export function EmptyInventory() {
  const { openAddHost, openImport } = useActions();
  return (
    <section className="empty-state" role="region" aria-label="No hosts">
      <h2>No hosts yet</h2>
      <p className="muted">
        Ferry talks to libvirt hosts over SSH. Add one by address, or pick hosts you already reach from your SSH client
        configuration. Each host is tested (and its key shown for you to trust) before it is saved.
      </p>
      <div className="empty-state__actions">
        <button type="button" className="button button--primary" onClick={openAddHost}>
          Add a host
        </button>
        <button type="button" className="button" onClick={openImport}>
          Import from ~/.ssh/config
        </button>
      </div>
    </section>
  );
}
