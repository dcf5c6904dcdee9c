/**
 * How a migration's state reads, wherever it is shown: the migration history, the tray, the reports list, the report
 * page and its HTML/PDF export take the words and the tone from here, so one migration never reads "Failed" in one
 * place and "unknown" in another. A switch over every state of MIGRATION_STATES: a new state is a compile error here
 * until it is given words, never a silent fall-through.
 */

/**
 * `refused`: pre-flight refused the start (the record keeps the checks); nothing ran on the hosts.
 * `post-copy-interrupted`: the connection broke after the switch to post-copy; the VM is split across both hosts
 * (the record's `interruption` says where each half is) until a resume finishes the run. Not an end.
 */
export const MIGRATION_STATES = ['preflight', 'running', 'post-copy', 'post-copy-interrupted', 'completed', 'failed', 'aborted', 'refused', 'unknown'] as const;
export type MigrationRecordState = (typeof MIGRATION_STATES)[number];

/** The job is at work on the hosts (pre-flight, the copy, post-copy): live figures and the controls apply. */
export function isActive(state: MigrationRecordState): boolean {
  return state === 'preflight' || state === 'running' || state === 'post-copy';
}

export type StateTone = 'ok' | 'warn' | 'error' | 'neutral';

export interface StateLabel {
  /** A word or two, capitalised ("Completed", "Outcome unknown"). */
  readonly text: string;
  readonly tone: StateTone;
  /** The migration is over (its outcome will not change on its own). */
  readonly ended: boolean;
}

export function migrationStateLabel(state: MigrationRecordState): StateLabel {
  switch (state) {
    case 'preflight':
      return { text: 'Pre-flight', tone: 'neutral', ended: false };
    case 'running':
      return { text: 'Running', tone: 'neutral', ended: false };
    case 'post-copy':
      return { text: 'Post-copy', tone: 'neutral', ended: false };
    case 'post-copy-interrupted':
      // The VM is split across both hosts; nothing ends it but a resume.
      return { text: 'Post-copy interrupted', tone: 'error', ended: false };
    case 'completed':
      return { text: 'Completed', tone: 'ok', ended: true };
    case 'failed':
      return { text: 'Failed', tone: 'error', ended: true };
    case 'aborted':
      return { text: 'Aborted', tone: 'warn', ended: true };
    case 'refused':
      // Nothing ran: pre-flight stopped it, and the record keeps the checks that did.
      return { text: 'Refused by pre-flight', tone: 'warn', ended: true };
    case 'unknown':
      return { text: 'Outcome unknown', tone: 'warn', ended: true };
    default:
      return state satisfies never;
  }
}
