/**
 * A run whose post-copy broke, as a report tells it: when the connection broke, what each host said then
 * (`virsh domstate --reason`), and each resume Ferry tried with how it went. Read from the record's events (every
 * interruption and resume is one) and its `interruption` (the hosts' words, libvirt's words for the last failure).
 * Pure.
 */
import type { MigrationRecordView } from '../migration/record-schema';
import { migrationStateLabel } from '../migration/state';

export type ResumeOutcome = 'running' | 'failed' | 'interrupted-again' | 'ended';

export interface ResumeReport {
  readonly at: number;
  readonly outcome: ResumeOutcome;
  /** When the outcome was known (the failure, the next interruption, the end). */
  readonly outcomeAt?: number;
  /** A sentence: how it went, with libvirt's words for a failure. */
  readonly text: string;
}

export interface InterruptionReport {
  /** Each time the connection broke after the switch (the first one, and any after a resume). */
  readonly breaks: readonly { readonly at: number; readonly text: string }[];
  /** What each host said last. */
  readonly source: string;
  readonly destination: string;
  readonly resumes: readonly ResumeReport[];
}

/** Undefined for a run that was never interrupted in post-copy. */
export function interruptionReport(r: Pick<MigrationRecordView, 'events' | 'interruption' | 'state' | 'result'>): InterruptionReport | undefined {
  const i = r.interruption;
  if (i === undefined) return undefined;
  const events = r.events;
  const breaks = events.filter((e) => e.kind === 'post-copy-interrupted').map((e) => ({ at: e.at, text: e.text }));
  const resumes: ResumeReport[] = [];
  events.forEach((e, n) => {
    if (e.kind !== 'post-copy-resume') return;
    const next = events.slice(n + 1).find((x) => x.kind === 'post-copy-resume-failed' || x.kind === 'post-copy-interrupted' || x.kind === 'post-copy-resume' || x.kind === 'ended' || x.kind === 'reconciled');
    if (next === undefined || next.kind === 'post-copy-resume') {
      resumes.push({ at: e.at, outcome: 'running', text: 'Running.' });
    } else if (next.kind === 'post-copy-resume-failed') {
      resumes.push({ at: e.at, outcome: 'failed', outcomeAt: next.at, text: `Failed: ${next.text}` });
    } else if (next.kind === 'post-copy-interrupted') {
      resumes.push({ at: e.at, outcome: 'interrupted-again', outcomeAt: next.at, text: `Interrupted again: ${next.text}` });
    } else {
      const error = r.result.error?.message;
      resumes.push({ at: e.at, outcome: 'ended', outcomeAt: next.at, text: `${migrationStateLabel(r.state).text}${r.state !== 'completed' && error !== undefined ? `: ${error}` : '.'}` });
    }
  });
  // libvirt's own text of the last failure is in the record's interruption, not in the event's sentence.
  const detail = i.lastResumeError?.detail;
  const last = resumes.at(-1);
  if (detail !== undefined && last?.outcome === 'failed' && !last.text.includes(detail)) resumes[resumes.length - 1] = { ...last, text: `${last.text} (libvirt: ${detail})` };
  return { breaks, source: i.source, destination: i.destination, resumes };
}
