/**
 * Pre-flight results of the start: pass / warn / fail / skipped (a check that did not run is never shown as a pass),
 * each with why, how to fix, and the raw evidence when there is some. A failed check that is not
 * certain (a timed-out probe, an MTU flag) can be confirmed to start anyway; main re-checks and records the
 * confirmation. A failed check with a one-click fix (a stopped VM: --offline) offers it.
 */
import { overrideConfirmation } from '../../../../shared/commands/preflight';
import { useActions, useFerry } from '../../store/react';
import type { PreflightResultView, PreflightStatus } from '../../../../shared/migration/preflight-result';

const MARK: Record<PreflightStatus, string> = { pass: '✓', warn: '!', fail: '✕', skipped: '–' };
/**
 * Failures first, then warnings, then what was not checked: the check that stops a migration must not sit below the
 * fold under ten passes.
 */
const RANK: Record<PreflightStatus, number> = { fail: 0, warn: 1, skipped: 2, pass: 3 };

export function byUrgency<T extends { readonly status: PreflightStatus }>(checks: readonly T[]): T[] {
  return checks.map((c, i) => [c, i] as const).sort(([a, i], [b, j]) => RANK[a.status] - RANK[b.status] || i - j).map(([c]) => c);
}

/** Whether every failed check is one the admin confirmed (so the start may go ahead despite them). */
export function allFailuresConfirmed(checks: readonly PreflightResultView[] | undefined, overrides: readonly string[] | undefined): boolean {
  const failed = (checks ?? []).filter((c) => c.status === 'fail' && c.override === undefined);
  return failed.length > 0 && failed.every((c) => c.overridable === true && (overrides ?? []).includes(c.check));
}

export function PreflightList() {
  const checks = useFerry((s) => s.migration.draft?.preflight);
  const overrides = useFerry((s) => s.migration.draft?.overrides);
  const busy = useFerry((s) => s.migration.draft?.phase !== 'editing');
  const { confirmOverride, applyRemedy } = useActions();
  if (checks === undefined) return <p className="muted">Pre-flight checks run when you start; a failed check stops the migration before anything moves.</p>;
  return (
    <section aria-label="Pre-flight checks">
      <h3 className="section-title">Pre-flight</h3>
      <ul className="preflight">
        {byUrgency(checks).map((c) => (
          <li key={c.check} className={`preflight__item preflight__item--${c.status}`}>
            <span className="preflight__mark" aria-label={c.status}>
              {MARK[c.status]}
            </span>
            <span>
              <strong>{c.title ?? c.check}</strong> {c.status === 'skipped' ? `Skipped: ${c.message}` : c.message}
              {c.fix !== undefined && <span className="preflight__fix"> Fix: {c.fix}</span>}
              {c.detail !== undefined && (
                <details className="preflight__detail">
                  <summary>Details</summary>
                  <pre>{c.detail}</pre>
                </details>
              )}
              {c.status === 'fail' && c.remedy === 'offline' && (
                <button type="button" className="button button--quiet preflight__remedy" disabled={busy} onClick={() => applyRemedy('offline')}>
                  Use --offline (move the definition)
                </button>
              )}
              {c.status === 'fail' && c.overridable === true && c.override === undefined && (
                <label className="preflight__override">
                  <input type="checkbox" disabled={busy} checked={(overrides ?? []).includes(c.check)} onChange={() => confirmOverride(c.check, !(overrides ?? []).includes(c.check))} />{' '}
                  <span title={overrideConfirmation({ title: c.title ?? c.check, message: c.message })}>Start anyway: I checked {`"${c.title ?? c.check}"`} myself (recorded with the migration).</span>
                </label>
              )}
              {c.override !== undefined && <span className="preflight__fix"> Overridden: the admin confirmed starting anyway.</span>}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
