/** The add-host form's fields, each labelled, with its validation message tied to it (aria-describedby). */
import { useId, type ReactNode } from 'react';
import type { DraftField, DraftFields, FieldErrors } from '../../view/draft';

interface Props {
  readonly fields: DraftFields;
  readonly errors: FieldErrors;
  readonly onChange: <K extends DraftField>(field: K, value: DraftFields[K]) => void;
  readonly askPassphrase: boolean;
  readonly passphrase: string;
  readonly onPassphrase: (value: string) => void;
}

function Field(props: { id: string; label: string; error?: string | undefined; hint?: string; children: (a: { id: string; describedBy?: string; invalid: boolean }) => ReactNode; className?: string }) {
  const { id, label, error, hint, children, className } = props;
  const msgId = `${id}-msg`;
  return (
    <div className={`field${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children(error !== undefined || hint !== undefined ? { id, describedBy: msgId, invalid: error !== undefined } : { id, invalid: false })}
      {error !== undefined ? (
        <p className="field__error" id={msgId}>
          {error}
        </p>
      ) : (
        hint !== undefined && (
          <p className="field__hint" id={msgId}>
            {hint}
          </p>
        )
      )}
    </div>
  );
}

export function HostFields({ fields, errors, onChange, askPassphrase, passphrase, onPassphrase }: Props) {
  const id = useId();
  const text = (field: 'name' | 'address' | 'port' | 'user' | 'keyPath' | 'jump', label: string, extra: { hint?: string; placeholder?: string; mono?: boolean; className?: string } = {}) => (
    <Field id={`${id}-${field}`} label={label} error={errors[field]} {...(extra.hint ? { hint: extra.hint } : {})} {...(extra.className ? { className: extra.className } : {})}>
      {(a) => (
        <input
          id={a.id}
          className={`input${extra.mono ? ' mono' : ''}`}
          value={fields[field]}
          onChange={(e) => onChange(field, e.target.value)}
          aria-invalid={a.invalid}
          {...(a.describedBy ? { 'aria-describedby': a.describedBy } : {})}
          {...(extra.placeholder ? { placeholder: extra.placeholder } : {})}
          {...(field === 'name' ? { 'data-autofocus': true } : {})}
          inputMode={field === 'port' ? 'numeric' : undefined}
          autoComplete="off"
          spellCheck={false}
        />
      )}
    </Field>
  );
  return (
    <div className="form-grid">
      {text('name', 'Name', { placeholder: 'hvA', className: 'span-2' })}
      {text('address', 'Address', { placeholder: '10.0.0.11 or hv-a.example.net', mono: true })}
      {text('port', 'Port', { mono: true, className: 'narrow' })}
      {text('user', 'User', { mono: true, className: 'span-2 half' })}
      <fieldset className="radio-group span-2">
        <legend>Authentication</legend>
        <div className="radio-row">
          <label>
            <input type="radio" name={`${id}-auth`} checked={fields.authKind === 'agent'} onChange={() => onChange('authKind', 'agent')} /> SSH agent
          </label>
          <label>
            <input type="radio" name={`${id}-auth`} checked={fields.authKind === 'key'} onChange={() => onChange('authKind', 'key')} /> Key file
          </label>
        </div>
      </fieldset>
      {fields.authKind === 'key' && text('keyPath', 'Private key path', { placeholder: '/root/.ssh/id_ed25519', mono: true, className: 'span-2', hint: 'A private key on the machine running Ferry.' })}
      {text('jump', 'Jump host(s)', {
        placeholder: 'root@bastion:22',
        mono: true,
        className: 'span-2',
        hint: 'Optional, as ProxyJump: user@host:port, comma-separated, first hop first. A hop uses the key or agent above unless the SSH config named its own.',
      })}
      {fields.authKind === 'key' && askPassphrase && (
        <Field id={`${id}-passphrase`} label="Passphrase" hint="The key is encrypted. Ferry keeps the passphrase in memory only." className="span-2">
          {(a) => (
            <input
              id={a.id}
              className="input"
              type="password"
              autoComplete="off"
              value={passphrase}
              autoFocus
              onChange={(e) => onPassphrase(e.target.value)}
              {...(a.describedBy ? { 'aria-describedby': a.describedBy } : {})}
            />
          )}
        </Field>
      )}
    </div>
  );
}
