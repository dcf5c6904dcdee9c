/** The bottom line: hosts per connection state, total VMs, and which back end this window talks to. */
import { useFerry, useFerryShallow } from '../../store/react';
import { CONNECTION_STATES, stateLabel } from '../../view/connection';
import { countOf } from '../../view/format';

export function StatusBar() {
  const states = useFerryShallow((s) => Object.values(s.inventory.hosts).map((h) => h.connection.state));
  const vms = useFerry((s) => Object.values(s.inventory.hosts).reduce((n, h) => n + (h.vms?.length ?? 0), 0));
  const info = useFerry((s) => s.app.info);
  const transport = useFerry((s) => s.app.transport);
  // Worst first, one entry per state present.
  const counts = CONNECTION_STATES.flatMap((state) => {
    const n = states.filter((s) => s === state).length;
    return n === 0 ? [] : [{ state, n, ...stateLabel(state) }];
  });
  return (
    <footer className="status-bar" aria-label="Status">
      {counts.map((c) => (
        <span key={c.state} className={`status-bar__item tone-${c.tone}`}>
          <span className="badge__dot" aria-hidden="true" /> {c.n} {c.label.toLowerCase()}
        </span>
      ))}
      <span className="status-bar__item">{countOf(vms, 'VM')}</span>
      <span className="spacer" />
      {info !== undefined && (
        <span className="status-bar__item muted" title={`Data directory: ${info.dataDir}`}>
          Ferry {info.version} · {info.mode === 'web' ? `web mode${transport === 'open' ? '' : ` (${transport})`}` : 'desktop'} · {info.platform}
        </span>
      )}
    </footer>
  );
}
