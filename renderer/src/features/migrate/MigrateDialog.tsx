/**
 * "Migrate <vm>": source and destination, a profile (the default one: one click on "Migrate now"), the options
 * grouped, the problems with their reasons, the exact virsh command line, then Start. Validate -> in progress ->
 * error banner, as every Ferry dialog.
 */
import { useMemo } from 'react';
import { hasErrors } from '../../../../shared/migration/options';
import { dropRefusal } from '../../store/migrationSlice';
import { useActions, useFerry, useFerryShallow } from '../../store/react';
import { sortHosts } from '../../view/hosts';
import { Dialog } from '../common/Dialog';
import { ErrorBanner } from '../common/ErrorBanner';
import { CommandLine } from './CommandLine';
import { OptionsForm } from './OptionsForm';
import { PreflightList } from './PreflightList';

export function MigrateDialog() {
  const draft = useFerry((s) => s.migration.draft);
  const profiles = useFerry((s) => s.migration.profiles);
  const hosts = useFerry((s) => s.inventory.hosts);
  const targets = useFerryShallow((s) => sortHosts(Object.values(s.inventory.hosts)).map((h) => h.record.id));
  const { closeMigrate, setMigrateDestination, chooseProfile, startMigration } = useActions();
  const flagged = useMemo(() => new Set(draft?.problems.flatMap((p) => p.options) ?? []), [draft?.problems]);
  if (draft === null) return null;

  const source = hosts[draft.sourceHostId];
  const busy = draft.phase !== 'editing';
  const blocked = draft.destinationHostId === null || hasErrors(draft.problems);
  const why = draft.destinationHostId === null ? 'Choose a destination.' : hasErrors(draft.problems) ? 'Fix the options marked below.' : undefined;
  const profile = profiles.find((p) => p.id === draft.profileId);

  return (
    <Dialog title={`Migrate ${draft.vmName}`} subtitle={`from ${source?.record.name ?? draft.sourceHostId}`} onClose={closeMigrate} wide>
      <div className="migrate-form">
        <div className="migrate-form__row">
          <label className="field">
            <span className="field__label">Destination</span>
            <select className="input" value={draft.destinationHostId ?? ''} disabled={busy} onChange={(e) => setMigrateDestination(e.target.value === '' ? null : e.target.value)} data-autofocus={draft.destinationHostId === null ? true : undefined}>
              <option value="">Choose a host…</option>
              {targets.map((id) => {
                const refusal = dropRefusal(draft.sourceHostId, hosts[id]);
                return (
                  <option key={id} value={id} disabled={refusal !== null}>
                    {hosts[id]?.record.name}
                    {refusal === null ? '' : ` — ${refusal}`}
                  </option>
                );
              })}
            </select>
          </label>
          <label className="field">
            <span className="field__label">Profile</span>
            <select className="input" value={draft.profileId ?? ''} disabled={busy} onChange={(e) => chooseProfile(e.target.value)}>
              {draft.profileId === null && <option value="">Custom options</option>}
              {profiles.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
          <button type="button" className="button button--primary migrate-form__go" disabled={busy || blocked || profile === undefined} title={why} onClick={() => void startMigration()} data-autofocus={draft.destinationHostId !== null ? true : undefined}>
            Migrate now
          </button>
        </div>
        {profile !== undefined && <p className="muted">{profile.description}</p>}

        {draft.problems.length > 0 && (
          <ul className="problems" aria-label="Problems with these options">
            {draft.problems.map((p, i) => (
              <li key={i} className={`problem problem--${p.severity}`}>
                <strong>{p.severity === 'error' ? 'Cannot run: ' : 'Note: '}</strong>
                {p.message}
              </li>
            ))}
          </ul>
        )}

        <details className="migrate-form__options" open={draft.profileId === null}>
          <summary>Options</summary>
          <OptionsForm options={draft.options} flagged={flagged} disabled={busy} />
        </details>

        <h3 className="section-title">Command</h3>
        <CommandLine line={draft.commandLine} host={source?.record.name ?? 'the source'} />

        <PreflightList />

        {draft.error !== undefined && <ErrorBanner message={draft.error.message} code={draft.error.code} {...(draft.error.detail !== undefined ? { detail: draft.error.detail } : {})} />}

        <div className="dialog__actions">
          <button type="button" className="button" onClick={closeMigrate}>
            Cancel
          </button>
          <button type="button" className="button button--primary" disabled={busy || blocked} title={why} onClick={() => void startMigration()}>
            {draft.phase === 'checking' ? 'Checking…' : draft.phase === 'starting' ? 'Starting…' : 'Start migration'}
          </button>
        </div>
      </div>
    </Dialog>
  );
}
