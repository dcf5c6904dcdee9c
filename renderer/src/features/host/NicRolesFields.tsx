/**
 * The edit-host form's NIC roles: one select per interface Ferry last read on the host (management = Ferry's SSH,
 * migration = a network migrations may use, other). Ferry infers them; what the admin sets here wins.
 */
import { useId } from 'react';
import type { NicFact, NicRole } from '../../../../shared/inventory/types';

const ROLES: readonly { readonly value: NicRole; readonly label: string }[] = [
  { value: 'management', label: 'management' },
  { value: 'migration', label: 'migration' },
  { value: 'other', label: 'other (not used)' },
];

interface Props {
  readonly nics: readonly NicFact[] | undefined;
  readonly roles: Readonly<Record<string, NicRole>>;
  readonly onChange: (roles: Readonly<Record<string, NicRole>>) => void;
}

export function NicRolesFields({ nics, roles, onChange }: Props) {
  const id = useId();
  return (
    <fieldset className="nic-roles">
      <legend>Role of each network interface</legend>
      {nics === undefined || nics.length === 0 ? (
        <p className="field__hint">Ferry has not read this host’s interfaces yet; refresh it once it is connected to set their roles.</p>
      ) : (
        <div className="nic-roles__grid">
          {nics.map((n) => (
            <div key={n.name} className="field field--inline">
              <label htmlFor={`${id}-${n.name}`} className="mono">
                {n.name}
              </label>
              <select
                id={`${id}-${n.name}`}
                className="input"
                aria-label={`Role of ${n.name}`}
                value={roles[n.name] ?? n.role}
                onChange={(e) => onChange({ ...roles, [n.name]: e.target.value as NicRole })}
              >
                {ROLES.map((r) => (
                  <option key={r.value} value={r.value}>
                    {r.label}
                  </option>
                ))}
              </select>
              <span className="muted mono">{n.addresses.length === 0 ? 'no address' : n.addresses.join(', ')}</span>
            </div>
          ))}
        </div>
      )}
    </fieldset>
  );
}
