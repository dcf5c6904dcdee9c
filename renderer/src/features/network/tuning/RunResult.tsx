/** What an apply or an undo did: per change, whether it ran, the value read back, verified or why not; the sysctl file; what to add for a reboot. */
import type { TuningRunResult } from '../../../../../shared/tuning/types';

const PERSIST: Readonly<Record<string, string>> = {
  written: 'written',
  restored: 'restored to what it held before',
  removed: 'removed (it did not exist before)',
  failed: 'not changed: it failed',
  skipped: 'not written',
  left: 'left as it is',
};

export function RunResult({ result }: { result: TuningRunResult }) {
  const verb = result.action === 'apply' ? 'Apply' : 'Undo';
  return (
    <div className="tuning-result" role="region" aria-label={`${verb} result`}>
      <p role="status" className={result.complete ? 'tuning__ok' : 'tuning__bad'}>
        {verb} {result.complete ? 'complete: every change verified.' : 'incomplete: see below.'}
      </p>
      <ul className="tuning-outcomes">
        {result.outcomes.map((o) => (
          <li key={o.changeId} data-change={o.changeId} data-verified={o.verified ? 'yes' : 'no'} aria-label={`${o.title}: ${o.status}${o.verified ? ', verified' : ', not verified'}`}>
            <span className={o.verified ? 'tuning__ok' : 'tuning__bad'}>{o.verified ? 'Verified' : o.status === 'skipped' ? 'Not applied' : 'Not verified'}</span> {o.title}
            {o.readBack !== undefined && <span className="mono"> reads {o.readBack}</span>}
            {o.reason !== undefined && <span className="muted"> — {o.reason}</span>}
          </li>
        ))}
      </ul>
      {result.persist && (
        <p>
          {result.persist.path}: {PERSIST[result.persist.status] ?? result.persist.status}
          {result.persist.reason ? ` (${result.persist.reason})` : ''}
        </p>
      )}
      {result.manualPersistence.length > 0 && (
        <details className="tuning__notes" open>
          <summary>To keep these after a reboot</summary>
          {result.manualPersistence.map((m) => (
            <div key={m.title}>
              <p>{m.title}</p>
              <ul>
                {m.advice.map((a) => (
                  <li key={a}>{a}</li>
                ))}
              </ul>
            </div>
          ))}
        </details>
      )}
    </div>
  );
}
