/** The migration options, grouped as an admin thinks of them; options named in a problem are highlighted. */
import type { MigrationOptionKey, MigrationOptions } from '../../../../shared/migration/options';
import { VIRSH_OPTION_NAMES } from '../../../../shared/migration/options';
import { useActions, useFerry } from '../../store/react';

type Flag = { key: MigrationOptionKey; label: string };
type Num = { key: MigrationOptionKey; label: string; unit: string; min: number };

const GROUPS: readonly { title: string; flags: readonly Flag[]; numbers?: readonly Num[] }[] = [
  {
    title: 'Transport',
    flags: [
      { key: 'live', label: 'Live (guest keeps running)' },
      { key: 'p2p', label: 'Peer-to-peer' },
      { key: 'tunnelled', label: 'Tunnelled through libvirtd' },
      { key: 'tls', label: 'TLS' },
      { key: 'rdmaPinAll', label: 'RDMA, pin all memory' },
      { key: 'parallel', label: 'Parallel connections' },
      { key: 'compressed', label: 'Compressed' },
    ],
    numbers: [{ key: 'parallelConnections', label: 'Connections', unit: '', min: 1 }],
  },
  {
    title: 'Convergence',
    flags: [
      { key: 'autoConverge', label: 'Auto-converge (throttle a busy guest)' },
      { key: 'postcopy', label: 'Allow post-copy' },
    ],
    numbers: [
      { key: 'bandwidthMiBps', label: 'Bandwidth cap', unit: 'MiB/s', min: 1 },
      { key: 'maxDowntimeMs', label: 'Max downtime', unit: 'ms', min: 1 },
      { key: 'timeoutSec', label: 'Timeout', unit: 's', min: 1 },
    ],
  },
  {
    title: 'Persistence',
    flags: [
      { key: 'persistent', label: 'Define on the destination' },
      { key: 'undefineSource', label: 'Undefine on the source' },
    ],
  },
  {
    title: 'Storage',
    flags: [
      { key: 'copyStorageAll', label: 'Copy whole disks (non-shared storage)' },
      { key: 'copyStorageInc', label: 'Copy the top image layer only' },
    ],
  },
];

export function OptionsForm({ options, flagged, disabled }: { options: MigrationOptions; flagged: ReadonlySet<string>; disabled: boolean }) {
  const { setMigrateOption } = useActions();
  const timeoutAction = useFerry((s) => s.migration.draft?.options.timeoutAction);
  const cls = (key: string) => `option${flagged.has(key) ? ' option--flagged' : ''}`;
  return (
    <div className="options-grid">
      {GROUPS.map((g) => (
        <fieldset key={g.title} className="options-group" disabled={disabled}>
          <legend>{g.title}</legend>
          {g.flags.map((f) => (
            <label key={f.key} className={cls(f.key)} title={VIRSH_OPTION_NAMES[f.key]}>
              <input type="checkbox" checked={options[f.key] === true} onChange={(e) => setMigrateOption(f.key, e.target.checked as never)} /> {f.label}
            </label>
          ))}
          {g.numbers?.map((n) => {
            const v = options[n.key];
            return (
              <label key={n.key} className={`${cls(n.key)} option--number`}>
                <span>{n.label}</span>
                <input
                  type="number"
                  className="input input--narrow"
                  min={n.min}
                  value={typeof v === 'number' ? v : ''}
                  placeholder="default"
                  onChange={(e) => setMigrateOption(n.key, (e.target.value === '' ? undefined : Number(e.target.value)) as never)}
                />
                <span className="muted">{n.unit}</span>
              </label>
            );
          })}
          {g.title === 'Convergence' && options.timeoutSec !== undefined && (
            <label className={`${cls('timeoutAction')} option--number`}>
              <span>On timeout</span>
              <select className="input" value={timeoutAction ?? 'suspend'} onChange={(e) => setMigrateOption('timeoutAction', e.target.value as 'suspend' | 'postcopy')}>
                <option value="suspend">suspend the guest</option>
                <option value="postcopy">switch to post-copy</option>
              </select>
            </label>
          )}
        </fieldset>
      ))}
    </div>
  );
}
