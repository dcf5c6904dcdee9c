/** Pre-flight results of the draft: pass / warn / fail, each with why and how to fix. */
import { useFerry } from '../../store/react';

const MARK = { pass: '✓', warn: '!', fail: '✕' } as const;
/** Failures first, then warnings: the check that stops a migration must not sit below the fold under ten passes. */
const RANK = { fail: 0, warn: 1, pass: 2 } as const;

export function byUrgency<T extends { readonly status: keyof typeof RANK }>(checks: readonly T[]): T[] {
  return checks.map((c, i) => [c, i] as const).sort(([a, i], [b, j]) => RANK[a.status] - RANK[b.status] || i - j).map(([c]) => c);
}

export function PreflightList() {
  const checks = useFerry((s) => s.migration.draft?.preflight);
  if (checks === undefined) return <p className="muted">Pre-flight checks run when you start; a failed check stops the migration before anything moves.</p>;
  return (
    <section aria-label="Pre-flight checks">
      <h3 className="section-title">Pre-flight</h3>
      <ul className="preflight">
        {byUrgency(checks).map((c) => (
          <li key={c.id} className={`preflight__item preflight__item--${c.status}`}>
            <span className="preflight__mark" aria-label={c.status}>
              {MARK[c.status]}
            </span>
            <span>
              <strong>{c.title}</strong> {c.message}
              {c.fix !== undefined && <span className="preflight__fix"> Fix: {c.fix}</span>}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
