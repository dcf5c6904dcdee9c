/**
 * Option profiles in the migrate dialog: the picker (built-in profiles, then the admin's), the chosen profile's
 * description, "Save as profile…" (name it; a name already taken asks before it replaces), "Remove profile" for one
 * of the admin's (asks first), and what main met reading the saved profiles (a torn file kept aside).
 */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { FerryError } from '../../../../shared/errors';
import type { MigrationProfile } from '../../../../shared/migration/options';
import { checkProfileName } from '../../store/migrationProfiles';
import { useActions, useFerry } from '../../store/react';
import { ErrorBanner } from '../common/ErrorBanner';

export function ProfileSelect({ profileId, disabled }: { profileId: string | null; disabled: boolean }) {
  const profiles = useFerry((s) => s.migration.profiles);
  const { chooseProfile } = useActions();
  const builtIn = profiles.filter((p) => p.builtIn);
  const mine = profiles.filter((p) => !p.builtIn);
  const labelId = useId();
  return (
    <label className="field">
      <span className="field__label" id={labelId}>
        Profile
      </span>
      {/* Named by its label only (a wrapping label would add the options' text to the name). */}
      <select className="input" aria-labelledby={labelId} value={profileId ?? ''} disabled={disabled} onChange={(e) => chooseProfile(e.target.value)}>
        {profileId === null && <option value="">Custom options</option>}
        <optgroup label="Built-in">
          {builtIn.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </optgroup>
        {mine.length > 0 && (
          <optgroup label="Saved">
            {mine.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </optgroup>
        )}
      </select>
    </label>
  );
}

export function ProfileActions({ profileId, disabled }: { profileId: string | null; disabled: boolean }) {
  const profile = useFerry((s) => s.migration.profiles.find((p) => p.id === profileId));
  const problems = useFerry((s) => s.migration.profileProblems);
  const [saving, setSaving] = useState(false);
  // When the name form closes (saved, cancelled, Escape), the keyboard goes back to the button that opened it.
  const saveButton = useRef<HTMLButtonElement>(null);
  const wasSaving = useRef(false);
  useEffect(() => {
    if (wasSaving.current && !saving) saveButton.current?.focus();
    wasSaving.current = saving;
  }, [saving]);
  return (
    <div className="profile-bar">
      <div className="profile-bar__line">
        <p className="muted profile-bar__description" title={profile?.description}>
          {profile?.description ?? 'Options changed by hand: not a saved profile.'}
        </p>
        {!saving && (
          <button ref={saveButton} type="button" className="button button--quiet" disabled={disabled} onClick={() => setSaving(true)}>
            Save as profile…
          </button>
        )}
        {profile !== undefined && !profile.builtIn && <RemoveProfile key={profile.id} profile={profile} disabled={disabled} />}
      </div>
      {saving && <SaveProfileForm onDone={() => setSaving(false)} />}
      {problems.map((p, i) => (
        <ErrorBanner key={i} tone="warning" message={p.message} code={p.code} {...(p.detail !== undefined ? { detail: p.detail } : {})} />
      ))}
    </div>
  );
}

function RemoveProfile({ profile, disabled }: { profile: MigrationProfile; disabled: boolean }) {
  const { removeProfile, notify } = useActions();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<FerryError>();
  const remove = async () => {
    setBusy(true);
    const r = await removeProfile(profile.id);
    setBusy(false);
    if (!r.ok) return setError(r.error);
    notify({ tone: 'info', message: `Removed the profile "${profile.name}".` });
  };
  if (!confirming) {
    return (
      <button type="button" className="button button--quiet" disabled={disabled} onClick={() => setConfirming(true)}>
        Remove profile
      </button>
    );
  }
  return (
    <span className="remedies__confirm" role="group" aria-label="Confirm remove profile">
      Remove “{profile.name}”? Migrations already run keep their options.
      <button type="button" className="button button--danger" disabled={busy} onClick={() => void remove()}>
        {busy ? 'Removing…' : 'Remove'}
      </button>
      <button type="button" className="button" disabled={busy} onClick={() => setConfirming(false)}>
        Keep it
      </button>
      {error !== undefined && <ErrorBanner message={error.message} code={error.code} />}
    </span>
  );
}

function SaveProfileForm({ onDone }: { onDone: () => void }) {
  const profiles = useFerry((s) => s.migration.profiles);
  const { saveProfile, notify } = useActions();
  const [name, setName] = useState('');
  const [confirmReplace, setConfirmReplace] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<FerryError>();
  const check = checkProfileName(name, profiles);

  const save = async (replace: boolean) => {
    if (check.kind === 'replaces' && !replace) return setConfirmReplace(true);
    setBusy(true);
    setError(undefined);
    const r = await saveProfile(name, replace);
    setBusy(false);
    if (!r.ok) {
      // Someone saved that name meanwhile (another window): ask, as for a name known here.
      if (r.error.code === 'inventory.duplicate') return setConfirmReplace(true);
      return setError(r.error);
    }
    notify({ tone: 'info', message: `Saved the profile "${r.value.name}".` });
    onDone();
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!busy && check.kind !== 'empty' && check.kind !== 'built-in') void save(false);
  };

  return (
    <form
      className="profile-save"
      aria-label="Save as profile"
      onSubmit={submit}
      onKeyDown={(e) => {
        // Escape leaves this form, not the whole dialog (a handled keydown is no close request for the <dialog>).
        if (e.key !== 'Escape' || busy) return;
        e.preventDefault();
        e.stopPropagation();
        onDone();
      }}
    >
      <div className="profile-save__row">
        <label className="field">
          <span className="field__label">Profile name</span>
          <input
            className="input"
            autoFocus
            maxLength={80}
            value={name}
            disabled={busy}
            onChange={(e) => {
              setName(e.target.value);
              setConfirmReplace(false);
              setError(undefined);
            }}
          />
        </label>
        {confirmReplace && check.kind === 'replaces' ? (
          <span className="remedies__confirm" role="group" aria-label="Confirm replace profile">
            “{check.existing.name}” exists. Replace it with these options?
            <button type="button" className="button button--primary" disabled={busy} onClick={() => void save(true)}>
              Replace profile
            </button>
            <button type="button" className="button" disabled={busy} onClick={() => setConfirmReplace(false)}>
              Keep it
            </button>
          </span>
        ) : (
          <button type="submit" className="button button--primary" disabled={busy || check.kind === 'empty' || check.kind === 'built-in'}>
            {busy ? 'Saving…' : 'Save profile'}
          </button>
        )}
        <button type="button" className="button" disabled={busy} onClick={onDone}>
          Cancel
        </button>
      </div>
      {check.kind === 'built-in' && <p className="problem problem--error">“{check.name}” is a built-in profile and cannot be overwritten: choose another name.</p>}
      {check.kind === 'replaces' && !confirmReplace && <p className="muted">A profile named “{check.existing.name}” exists: saving asks before replacing it.</p>}
      {error !== undefined && <ErrorBanner message={error.message} code={error.code} {...(error.detail !== undefined ? { detail: error.detail } : {})} />}
    </form>
  );
}
