/**
 * The inputs of the options form, one per kind of virsh option: a flag, a whole number with its unit, a free text
 * (an address, a name), a list of disk targets, and the compression methods. Each is labelled (its accessible name
 * is the label), carries the virsh option as a tooltip, and is highlighted when a problem names it. An emptied
 * input removes the option (libvirt's default), it never sends an empty string or a zero.
 */
import { useEffect, useState } from 'react';
import { COMPRESSION_METHODS, VIRSH_OPTION_NAMES, type CompressionMethod, type MigrationOptionKey, type MigrationOptions } from '../../../../shared/migration/options';
import { useActions } from '../../store/react';
import { parseDiskList } from './optionsView';

type Keys<T> = { [K in MigrationOptionKey]-?: NonNullable<MigrationOptions[K]> extends T ? K : never }[MigrationOptionKey];
export type FlagKey = Keys<boolean>;
export type NumberKey = Keys<number>;
export type TextKey = Keys<string> & ('tlsDestination' | 'migrateUri' | 'listenAddress' | 'dname');

export interface FieldProps {
  readonly options: MigrationOptions;
  readonly flagged: ReadonlySet<string>;
}

const cls = (flagged: ReadonlySet<string>, key: string, extra = '') => `option${extra}${flagged.has(key) ? ' option--flagged' : ''}`;

/** `describedBy`: the id of a note that says what the option risks (its accessible description). */
export function Flag({ options, flagged, k, label, describedBy }: FieldProps & { k: FlagKey; label: string; describedBy?: string }) {
  const { setMigrateOption } = useActions();
  return (
    <label className={cls(flagged, k)} title={VIRSH_OPTION_NAMES[k]}>
      <input type="checkbox" checked={options[k] === true} onChange={(e) => setMigrateOption(k, e.target.checked)} aria-describedby={describedBy} /> {label}
    </label>
  );
}

/** `placeholder`: what applies when the field is empty (libvirt's or QEMU's default), shown greyed in the input. */
export function NumberField({ options, flagged, k, label, unit, min, max, placeholder = 'default' }: FieldProps & { k: NumberKey; label: string; unit: string; min: number; max?: number; placeholder?: string }) {
  const { setMigrateOption } = useActions();
  const v = options[k];
  return (
    <label className={cls(flagged, k, ' option--number')} title={VIRSH_OPTION_NAMES[k]}>
      <span>{label}</span>
      <input
        type="number"
        className="input input--narrow"
        min={min}
        max={max}
        step={1}
        value={typeof v === 'number' && Number.isFinite(v) ? v : ''}
        placeholder={placeholder}
        onChange={(e) => setMigrateOption(k, e.target.value === '' || !Number.isFinite(e.target.valueAsNumber) ? undefined : e.target.valueAsNumber)}
      />
      <span className="muted">{unit}</span>
    </label>
  );
}

export function TextField({ options, flagged, k, label, placeholder }: FieldProps & { k: TextKey; label: string; placeholder: string }) {
  const { setMigrateOption } = useActions();
  return (
    <label className={cls(flagged, k, ' option--text')} title={VIRSH_OPTION_NAMES[k]}>
      <span>{label}</span>
      <input
        type="text"
        className="input"
        spellCheck={false}
        autoComplete="off"
        value={options[k] ?? ''}
        placeholder={placeholder}
        onChange={(e) => setMigrateOption(k, e.target.value === '' ? undefined : e.target.value)}
      />
    </label>
  );
}

/** The disk targets to copy: typed as text (kept as typed while editing), stored as a list. */
export function DisksField({ options, flagged }: FieldProps) {
  const { setMigrateOption } = useActions();
  const stored = options.migrateDisks;
  const [text, setText] = useState(stored?.join(' ') ?? '');
  // Another profile chosen: show its disks, unless the text already means the same list.
  useEffect(() => {
    setText((t) => ((parseDiskList(t) ?? []).join(' ') === (stored ?? []).join(' ') ? t : (stored ?? []).join(' ')));
  }, [stored]);
  return (
    <label className={cls(flagged, 'migrateDisks', ' option--text')} title={VIRSH_OPTION_NAMES.migrateDisks}>
      <span>Disks to copy</span>
      <input
        type="text"
        className="input"
        spellCheck={false}
        autoComplete="off"
        value={text}
        placeholder="all writable disks (e.g. vda vdb)"
        onChange={(e) => {
          setText(e.target.value);
          setMigrateOption('migrateDisks', parseDiskList(e.target.value));
        }}
      />
    </label>
  );
}

const METHOD_LABELS: Record<CompressionMethod, string> = {
  xbzrle: 'xbzrle (re-sent pages as deltas)',
  mt: 'mt (multithreaded zlib)',
};

/** Which compression methods (`--comp-methods`); none ticked = QEMU's default (xbzrle). */
export function CompressionMethods({ options, flagged }: FieldProps) {
  const { setMigrateOption } = useActions();
  const chosen = new Set(options.compMethods ?? []);
  const toggle = (m: CompressionMethod, on: boolean) => {
    const next = COMPRESSION_METHODS.filter((x) => (x === m ? on : chosen.has(x)));
    setMigrateOption('compMethods', next.length === 0 ? undefined : next);
  };
  return (
    <div role="group" aria-label="Compression methods" className={cls(flagged, 'compMethods', ' option--sub')} title={VIRSH_OPTION_NAMES.compMethods}>
      {COMPRESSION_METHODS.map((m) => (
        <label key={m}>
          <input type="checkbox" checked={chosen.has(m)} onChange={(e) => toggle(m, e.target.checked)} /> {METHOD_LABELS[m]}
        </label>
      ))}
    </div>
  );
}
