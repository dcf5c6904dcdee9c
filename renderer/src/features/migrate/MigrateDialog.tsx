/**
 * "Migrate <vm>": source and destination, a profile (the default one: one click on "Migrate now"; the admin's own
 * ones saved from here), the options grouped, the problems with their reasons, the exact virsh command line, then
 * Start. Validate -> in progress ->
 * error banner, as every Ferry dialog.
 */
import { useId, useMemo } from 'react';
import { hasErrors } from '../../../../shared/migration/options';
import { dropRefusal } from '../../store/migrationSlice';
import { useActions, useFerry, useFerryShallow } from '../../store/react';
import { sortHosts } from '../../view/hosts';
import { Dialog } from '../common/Dialog';
import { ErrorBanner } from '../common/ErrorBanner';
import { CommandLine } from './CommandLine';
import { DraftPrediction } from './DraftPrediction';
import { OptionsForm, useFold } from './OptionsForm';
import { usePostcopyRecovery } from './PostcopyRisk';
import { ProfileActions, ProfileSelect } from './ProfileControls';
import { allFailuresConfirmed, PreflightList } from './PreflightList';

export function MigrateDialog() {
  const open = useFerry((s) => s.migration.draft !== null);
  // Mounted per opening, so folds and half-typed names do not carry over from the previous dialog.
  return open ? <OpenMigrateDialog /> : null;
}

function OpenMigrateDialog() {
  const draft = useFerry((s) => s.migration.draft);
  const profiles = useFerry((s) => s.migration.profiles);
  const hosts = useFerry((s) => s.inventory.hosts);
  const targets = useFerryShallow((s) => sortHosts(Object.values(s.inventory.hosts)).map((h) => h.record.id));
  const { closeMigrate, setMigrateDestination, startMigration } = useActions();
  const flagged = useMemo(() => new Set(draft?.problems.flatMap((p) => p.options) ?? []), [draft?.problems]);
  // The options fold opens by itself for custom options, and never closes under the admin (e.g. on saving a profile).
  const optionsFold = useFold(draft !== null && draft.profileId === null);
  const destinationLabel = useId();
  const sourceId = draft?.sourceHostId ?? '';
  const destinationId = draft?.destinationHostId ?? null;
  const recovery = usePostcopyRecovery(
    { id: sourceId, name: hosts[sourceId]?.record.name ?? sourceId },
    { id: destinationId, name: destinationId === null ? 'the destination' : (hosts[destinationId]?.record.name ?? destinationId) },
  );
  if (draft === null) return null;

  const source = hosts[draft.sourceHostId];
  const busy = draft.phase !== 'editing';
  const blocked = draft.destinationHostId === null || hasErrors(draft.problems);
  const why = draft.destinationHostId === null ? 'Choose a destination.' : hasErrors(draft.problems) ? 'Fix the options marked below.' : undefined;
  const profile = profiles.find((p) => p.id === draft.profileId);
  const anyway = allFailuresConfirmed(draft.preflight, draft.overrides);

  return (
    <Dialog title={`Migrate ${draft.vmName}`} subtitle={`from ${source?.record.name ?? draft.sourceHostId}`} onClose={closeMigrate} wide>
      <div className="migrate-form">
        <div className="migrate-form__row">
          <label className="field">
            <span className="field__label" id={destinationLabel}>
              Destination
            </span>
            <select className="input" aria-labelledby={destinationLabel} value={draft.destinationHostId ?? ''} disabled={busy} onChange={(e) => setMigrateDestination(e.target.value === '' ? null : e.target.value)} data-autofocus={draft.destinationHostId === null ? true : undefined}>
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
          <ProfileSelect profileId={draft.profileId} disabled={busy} />
          <button type="button" className="button button--primary migrate-form__go" disabled={busy || blocked || profile === undefined} title={why} onClick={() => void startMigration()} data-autofocus={draft.destinationHostId !== null ? true : undefined}>
            Migrate now
          </button>
        </div>
        <ProfileActions profileId={draft.profileId} disabled={busy} />

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

        <DraftPrediction />

        <details className="migrate-form__options" {...optionsFold}>
          <summary>Options</summary>
          <OptionsForm options={draft.options} flagged={flagged} disabled={busy} recovery={recovery} />
        </details>

        <h3 className="section-title">Command</h3>
        <CommandLine line={draft.commandLine} host={source?.record.name ?? 'the source'} missing={draft.destinationHostId === null ? 'Choose a destination to see the command.' : 'Fix the options marked above to see the command.'} />

        <PreflightList />

        {draft.error !== undefined && <ErrorBanner message={draft.error.message} code={draft.error.code} {...(draft.error.detail !== undefined ? { detail: draft.error.detail } : {})} />}

        <div className="dialog__actions">
          <button type="button" className="button" onClick={closeMigrate}>
            Cancel
          </button>
          <button type="button" className="button button--primary" disabled={busy || blocked} title={why} onClick={() => void startMigration()}>
            {draft.phase === 'checking' ? 'Checking…' : draft.phase === 'starting' ? 'Starting…' : anyway ? 'Start anyway' : 'Start migration'}
          </button>
        </div>
      </div>
    </Dialog>
  );
}
