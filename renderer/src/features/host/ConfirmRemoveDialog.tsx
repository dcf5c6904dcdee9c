/** Removing a host forgets it in Ferry; nothing changes on the host. Said plainly before it happens. */
import { useActions, useFerry } from '../../store/react';
import { Dialog } from '../common/Dialog';
import { ErrorBanner } from '../common/ErrorBanner';
import { countOf } from '../../view/format';

export function ConfirmRemoveDialog() {
  const d = useFerry((s) => (s.dialog?.kind === 'confirm-remove' ? s.dialog : null));
  const name = useFerry((s) => (d === null ? undefined : s.inventory.hosts[d.hostId]?.record.name));
  const vms = useFerry((s) => (d === null ? undefined : s.inventory.hosts[d.hostId]?.vms?.length));
  const { closeDialog, confirmRemoveHost } = useActions();
  if (d === null) return null;
  return (
    <Dialog title={`Remove ${name ?? 'host'}?`} onClose={closeDialog} tone="danger">
      <p>
        Ferry will forget <strong>{name}</strong>: its address, user and authentication settings. Nothing changes on
        the host{vms !== undefined ? `, and its ${countOf(vms, 'VM')} keep running` : ''}.
      </p>
      {d.error !== undefined && <ErrorBanner message={d.error.message} code={d.error.code} />}
      <footer className="dialog__footer">
        <span className="spacer" />
        <button type="button" className="button" onClick={closeDialog} data-autofocus>
          Cancel
        </button>
        <button type="button" className="button button--danger" onClick={() => void confirmRemoveHost()} disabled={d.busy} aria-busy={d.busy}>
          {d.busy && <span className="spinner" aria-hidden="true" />}
          Remove from Ferry
        </button>
      </footer>
    </Dialog>
  );
}
