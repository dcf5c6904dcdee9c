/**
 * Whether pre-flight's answer lets a migration start, given the failed checks the admin confirmed starting despite.
 * Main decides on its OWN run of the checks (never on the renderer's copy): an override counts only for a check that
 * failed in this run and is overridable (not certain); the confirmation goes into that check, with main's time.
 * Pure.
 */
import { overrideConfirmation } from '../../../shared/commands/preflight';
import type { PreflightResultView } from '../../../shared/migration/preflight-result';

export interface PreflightDecision {
  readonly start: boolean;
  /** The checks as the record keeps them: overridden failures carry `override`. */
  readonly checks: PreflightResultView[];
  /** Why it does not start (one sentence per failed check not overridden). */
  readonly refusal?: string;
}

export function decidePreflight(results: readonly PreflightResultView[], overrides: readonly string[], now: number): PreflightDecision {
  const wanted = new Set(overrides);
  const blocking: string[] = [];
  const checks = results.map((r): PreflightResultView => {
    if (r.status !== 'fail') return r;
    if (r.overridable === true && wanted.has(r.check)) {
      return { ...r, override: { at: now, confirmation: overrideConfirmation({ title: r.title ?? r.check, message: r.message }) } };
    }
    const why = wanted.has(r.check) ? ' (certain: it cannot be overridden)' : r.overridable === true ? ' (may be overridden after confirming)' : '';
    blocking.push(`${r.title ?? r.check}${why}: ${r.message}`);
    return r;
  });
  if (blocking.length === 0) return { start: true, checks };
  return { start: false, checks, refusal: `Pre-flight refused the start. ${blocking.join(' ')}` };
}
