/** The tray's entries for evacuations not ended: host, progress, state; a click opens the evacuation view. */
import { useActions, useFerry, useFerryShallow } from '../../store/react';
import { activeEvacuations, countRows, progressOf } from './evacuationView';

export function EvacuationTray() {
  const running = useFerryShallow((s) => activeEvacuations(s.evacuation.list));
  const openId = useFerry((s) => s.evacuation.openId);
  const { openEvacuation } = useActions();
  if (running.length === 0) return null;
  return (
    <ul className="tray__list" aria-label="Running evacuations">
      {running.map((v) => {
        const c = countRows(v);
        return (
          <li key={v.id}>
            <button type="button" className="tray__item tone-pending" onClick={() => openEvacuation(v.id)} aria-current={openId === v.id ? 'true' : undefined}>
              <strong>Evacuating {v.hostName}</strong> · {c.done} done, {c.running} running, {c.queued} queued{c.failed > 0 ? `, ${c.failed} failed` : ''}
              {v.state === 'paused' ? ' · paused' : ''}
              <progress max={1} value={progressOf(v)} aria-label={`Evacuation progress of ${v.hostName}`} />
            </button>
          </li>
        );
      })}
    </ul>
  );
}
