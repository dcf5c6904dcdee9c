/** A saved host whose key file is encrypted: its passphrase, sent once to main and kept in main's memory only. */
import { useId, useState } from 'react';
import type { FerryError } from '../../../../shared/errors';
import { useActions, useFerry } from '../../store/react';
import { ErrorBanner } from '../common/ErrorBanner';

export function UnlockForm({ id }: { id: string }) {
  const keyPath = useFerry((s) => {
    const auth = s.inventory.hosts[id]?.record.auth;
    return auth?.kind === 'key' ? auth.keyPath : undefined;
  });
  const busy = useFerry((s) => s.inventory.pending[id] === 'unlocking');
  const { unlockHost } = useActions();
  const [passphrase, setPassphrase] = useState('');
  const [error, setError] = useState<FerryError | null>(null);
  const inputId = useId();

  return (
    <form
      className="unlock"
      aria-label="Unlock key"
      onSubmit={(e) => {
        e.preventDefault();
        if (passphrase === '' || busy) return;
        void unlockHost(id, passphrase).then((err) => {
          setError(err);
          setPassphrase('');
        });
      }}
    >
      <p>
        The key {keyPath !== undefined && <code>{keyPath}</code>} is encrypted. Type its passphrase to unlock it for
        this session; Ferry keeps it in memory only and never writes it to disk.
      </p>
      <div className="field field--inline">
        <label htmlFor={inputId}>Passphrase</label>
        <input
          id={inputId}
          className="input"
          type="password"
          autoComplete="off"
          value={passphrase}
          onChange={(e) => setPassphrase(e.target.value)}
          disabled={busy}
        />
        <button type="submit" className="button button--primary" disabled={busy || passphrase === ''} aria-busy={busy}>
          {busy && <span className="spinner" aria-hidden="true" />}
          Unlock
        </button>
      </div>
      {error !== null && <ErrorBanner message={error.message} code={error.code} {...(error.detail ? { detail: error.detail } : {})} />}
    </form>
  );
}
