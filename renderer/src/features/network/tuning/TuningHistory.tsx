/** The host's change sets (newest first), each with its status and "Undo". */
import type { ChangeSetStatus, ChangeSetSummary } from '../../../../../shared/tuning/types';

const STATUS: Readonly<Record<ChangeSetStatus, string>> = {
  applied: 'applied',
  partial: 'partly applied',
  failed: 'failed',
  interrupted: 'interrupted (Ferry stopped during the apply)',
  undone: 'undone',
  'undo-partial': 'undo incomplete',
};

export function TuningHistory({ history, busy, onUndo }: { history: readonly ChangeSetSummary[]; busy: boolean; onUndo: (id: string) => void }) {
  return (
    <section className="tuning-history" aria-label="Change sets">
      <h3 className="section-title">Change sets</h3>
      {history.length === 0 ? (
        <p className="muted">None yet.</p>
      ) : (
        <ul>
          {history.map((s) => (
            <li key={s.id} data-change-set={s.id} data-status={s.status} aria-label={`Change set ${new Date(s.at).toLocaleString()}: ${STATUS[s.status]}`}>
              <div>
                <span className="mono">{new Date(s.at).toLocaleString()}</span> <strong>{STATUS[s.status]}</strong>
                {s.persisted ? ' (persisted)' : ''}
                <br />
                {s.changes.map((c) => `${c.title}: ${c.current} → ${c.proposed}`).join('; ')}
              </div>
              {s.status !== 'undone' && (
                <button type="button" className="button" disabled={busy} onClick={() => onUndo(s.id)}>
                  Undo
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
