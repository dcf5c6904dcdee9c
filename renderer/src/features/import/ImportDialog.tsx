/** Import from an OpenSSH client config: read it, tick the hosts to add, then test/trust/save each in turn. */
import { useId } from 'react';
import { useActions, useFerry, useFerryShallow } from '../../store/react';
import { Dialog } from '../common/Dialog';
import { ErrorBanner } from '../common/ErrorBanner';

export function ImportDialog() {
  const d = useFerry((s) => (s.dialog?.kind === 'import' ? s.dialog : null));
  const taken = useFerryShallow((s) => Object.values(s.inventory.hosts).map((h) => h.record.name.toLowerCase()));
  const a = useActions();
  const id = useId();
  if (d === null) return null;
  const reading = d.phase === 'reading';
  const candidates = d.result?.candidates ?? [];

  return (
    <Dialog title="Import from SSH config" onClose={a.closeDialog} wide>
      <form
        className="import-path"
        onSubmit={(e) => {
          e.preventDefault();
          void a.readSshConfig();
        }}
      >
        <div className="field field--inline">
          <label htmlFor={`${id}-path`}>SSH config path</label>
          <input
            id={`${id}-path`}
            className="input mono"
            value={d.path}
            placeholder="~/.ssh/config"
            onChange={(e) => a.setImportPath(e.target.value)}
            disabled={reading}
            data-autofocus
            spellCheck={false}
            aria-describedby={`${id}-hint`}
          />
          <button type="submit" className="button" disabled={reading} aria-busy={reading}>
            {reading && <span className="spinner" aria-hidden="true" />}
            Read config
          </button>
        </div>
        <p className="field__hint" id={`${id}-hint`}>
          Leave empty for ~/.ssh/config of the user running Ferry. Nothing is saved until each host passes its test.
        </p>
      </form>
      {d.error !== undefined && <ErrorBanner message={d.error.message} code={d.error.code} {...(d.error.detail !== undefined ? { detail: d.error.detail } : {})} />}
      {d.result !== undefined && (
        <fieldset className="candidates">
          <legend>
            Hosts in <span className="mono">{d.result.path}</span>
          </legend>
          {candidates.length === 0 && <p className="empty-note">No concrete Host entries in this file (wildcard patterns are skipped).</p>}
          <ul>
            {candidates.map((c, i) => {
              const exists = taken.includes(c.draft.name.toLowerCase());
              const auth = c.draft.auth.kind === 'agent' ? 'SSH agent' : `key ${c.draft.auth.keyPath}`;
              return (
                <li key={`${i}-${c.alias}`} className="candidate">
                  <label>
                    <input type="checkbox" checked={d.selected.includes(i)} onChange={() => a.toggleCandidate(i)} aria-describedby={`${id}-c${i}`} />
                    <span className="candidate__alias">{c.alias}</span>
                  </label>
                  <span className="mono muted" id={`${id}-c${i}`}>
                    {c.draft.user}@{c.draft.address}:{c.draft.port}, {auth}
                    {exists && <span className="tag"> already in Ferry</span>}
                  </span>
                  {c.warnings.length > 0 && (
                    <ul className="warnings">
                      {c.warnings.map((w) => (
                        <li key={w}>{w}</li>
                      ))}
                    </ul>
                  )}
                </li>
              );
            })}
          </ul>
        </fieldset>
      )}
      <footer className="dialog__footer">
        <span className="spacer" />
        <button type="button" className="button" onClick={a.closeDialog}>
          Cancel
        </button>
        <button type="button" className="button button--primary" disabled={d.selected.length === 0 || d.result === undefined} onClick={a.importSelected}>
          Add selected ({d.result === undefined ? 0 : d.selected.length})
        </button>
      </footer>
    </Dialog>
  );
}
