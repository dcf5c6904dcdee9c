/**
 * Add a host: fill in -> Test connection -> (trust its key, test again) -> Save host. Also walks the hosts chosen
 * in the ~/.ssh/config import, one by one, and edits a saved host (the same form, plus its NIC roles; a test is asked
 * for only when the address, port, user or key changed). Enter runs the next step.
 */
import { canSaveHost } from '../../store/addHostSlice';
import { useActions, useFerry } from '../../store/react';
import { connectionChanged } from '../../view/draft';
import { NicRolesFields } from '../host/NicRolesFields';
import type { AddHostDialog as State } from '../../store/types';
import { Dialog } from '../common/Dialog';
import { ErrorBanner } from '../common/ErrorBanner';
import { HostFields } from './HostFields';
import { TestOutcome } from './TestOutcome';

const PROGRESS: Record<State['phase'], string> = {
  editing: '',
  testing: 'Testing the connection…',
  trusting: 'Trusting the key…',
  saving: 'Saving the host…',
};

export function AddHostDialog() {
  const d = useFerry((s) => (s.dialog?.kind === 'add-host' ? s.dialog : null));
  const nics = useFerry((s) => (s.dialog?.kind === 'add-host' && s.dialog.edit !== undefined ? s.inventory.hosts[s.dialog.edit.hostId]?.facts?.nics : undefined));
  const a = useActions();
  if (d === null) return null;

  const busy = d.phase !== 'editing';
  const canSave = canSaveHost(d);
  const edit = d.edit;
  const mustTest = edit === undefined || connectionChanged(d.fields, edit.original);
  // Test is the step to take unless the test is done (Save) or a key panel asks for a decision first.
  const testIsNext = !canSave && (d.outcome === undefined || d.outcome.outcome === 'passphrase-needed');
  const queue = d.queue;
  const current = queue?.candidates[queue.index];
  const subtitle = queue === undefined ? undefined : `From SSH config: host ${queue.index + 1} of ${queue.candidates.length} (Host ${current?.alias ?? '?'})`;
  const target = d.fields.address.trim() === '' ? '' : ` to ${d.fields.user.trim() || '?'}@${d.fields.address.trim()}:${d.fields.port.trim()}`;

  return (
    <Dialog
      title={edit === undefined ? 'Add host' : `Edit host ${edit.original.name}`}
      onClose={a.closeDialog}
      wide
      {...(subtitle !== undefined ? { subtitle } : edit !== undefined ? { subtitle: mustTest ? 'The connection changed: test it before saving.' : 'Name and NIC roles save without a new test.' } : {})}
    >
      <form
        className="add-host"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (busy) return;
          void (canSave ? a.saveHost() : a.testConnection());
        }}
      >
        {d.warnings.length > 0 && (
          <ul className="warnings" aria-label="Warnings from the SSH config">
            {d.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        )}
        <fieldset className="plain" disabled={busy}>
          <HostFields fields={d.fields} errors={d.errors} onChange={a.editHostField} askPassphrase={d.askPassphrase} passphrase={d.passphrase} onPassphrase={a.setPassphrase} />
          {edit !== undefined && <NicRolesFields nics={nics} roles={d.fields.nicRoles} onChange={(roles) => a.editHostField('nicRoles', roles)} />}
        </fieldset>
        <div className="outcome-area" aria-live="polite">
          {busy && (
            <p className="progress" role="status">
              <span className="spinner" aria-hidden="true" /> {PROGRESS[d.phase]}
              {d.phase === 'testing' ? target : ''}
            </p>
          )}
          {d.outcome !== undefined && <TestOutcome outcome={d.outcome} trusting={d.phase === 'trusting'} onTrust={() => void a.trustPresentedKey()} address={d.fields.address} />}
          {d.error !== undefined && (
            <ErrorBanner message={d.error.message} code={d.error.code} {...(d.error.detail !== undefined ? { detail: d.error.detail } : {})} />
          )}
        </div>
        <footer className="dialog__footer">
          {queue !== undefined && (
            <button type="button" className="button button--quiet" onClick={a.skipCandidate} disabled={d.phase === 'saving'}>
              Skip this host
            </button>
          )}
          <span className="spacer" />
          <button type="button" className="button" onClick={a.closeDialog}>
            Cancel
          </button>
          <button type={canSave ? 'button' : 'submit'} className={`button${testIsNext ? ' button--primary' : ''}`} disabled={busy} onClick={canSave ? () => void a.testConnection() : undefined}>
            Test connection
          </button>
          <button type={canSave ? 'submit' : 'button'} className={`button${canSave ? ' button--primary' : ''}`} disabled={busy || !canSave}>
            {edit === undefined ? 'Save host' : 'Save changes'}
          </button>
        </footer>
      </form>
    </Dialog>
  );
}
