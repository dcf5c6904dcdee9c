/** Ferry's settings: whether to also trust the user's ~/.ssh/known_hosts, and how often the inventory refreshes. */
import { useId, useState } from 'react';
import type { Settings } from '../../../../shared/ipc/contract';
import { useActions, useFerry } from '../../store/react';
import { Dialog } from '../common/Dialog';
import { ErrorBanner } from '../common/ErrorBanner';

export function SettingsDialog() {
  const d = useFerry((s) => (s.dialog?.kind === 'settings' ? s.dialog : null));
  const { closeDialog } = useActions();
  if (d === null) return null;
  return (
    <Dialog title="Settings" onClose={closeDialog}>
      {d.error !== undefined && <ErrorBanner message={d.error.message} code={d.error.code} />}
      {d.settings === undefined ? (
        d.phase === 'loading' && (
          <p role="status">
            <span className="spinner" aria-hidden="true" /> Loading settings…
          </p>
        )
      ) : (
        <SettingsForm initial={d.settings} saving={d.phase === 'saving'} />
      )}
    </Dialog>
  );
}

function SettingsForm({ initial, saving }: { initial: Settings; saving: boolean }) {
  const { saveSettings, closeDialog } = useActions();
  const [trust, setTrust] = useState(initial.trustUserKnownHosts);
  const [interval, setIntervalText] = useState(String(initial.refreshIntervalSec));
  const id = useId();
  const seconds = Number(interval);
  const intervalError = Number.isInteger(seconds) && seconds >= 2 && seconds <= 3600 ? undefined : 'A whole number of seconds from 2 to 3600.';
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (intervalError === undefined && !saving) void saveSettings({ trustUserKnownHosts: trust, refreshIntervalSec: seconds });
      }}
    >
      <div className="field">
        <label className="checkbox">
          <input type="checkbox" checked={trust} onChange={(e) => setTrust(e.target.checked)} data-autofocus aria-describedby={`${id}-trust`} />
          Also trust host keys in ~/.ssh/known_hosts
        </label>
        <p className="field__hint" id={`${id}-trust`}>
          Hosts you already reach with ssh are then trusted without asking (hashed entries included). Ferry never writes
          to that file; keys you trust in Ferry go to Ferry’s own known_hosts.
        </p>
      </div>
      <div className="field">
        <label htmlFor={`${id}-interval`}>Refresh interval (seconds)</label>
        <input
          id={`${id}-interval`}
          className="input narrow mono"
          inputMode="numeric"
          value={interval}
          onChange={(e) => setIntervalText(e.target.value)}
          aria-invalid={intervalError !== undefined}
          aria-describedby={`${id}-interval-msg`}
        />
        <p className={intervalError ? 'field__error' : 'field__hint'} id={`${id}-interval-msg`}>
          {intervalError ?? 'Hosts are polled this often while the inventory is on screen.'}
        </p>
      </div>
      <footer className="dialog__footer">
        <span className="spacer" />
        <button type="button" className="button" onClick={closeDialog}>
          Cancel
        </button>
        <button type="submit" className="button button--primary" disabled={saving || intervalError !== undefined}>
          Save settings
        </button>
      </footer>
    </form>
  );
}
