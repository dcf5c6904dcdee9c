/**
 * Post-copy in the migration view, pure: what the switch risks for this run's two hosts (and whether it asks first),
 * where each half of a VM split by a broken post-copy is, which controls a run offers (an interrupted one: resume,
 * nothing else), and the post-copy lines of its timeline.
 */
import type { PostcopyRecovery } from '../../../../shared/migration/postcopy';
import { formatMilliseconds } from '../../../../shared/units';
import type { MigrationRun } from '../../store/migrationPort';
import { isControlAction, type MigrationControlAction } from '../../../../shared/migration/controls';
import { isActive } from '../../../../shared/migration/state';
import type { Remedy } from '../../../../shared/migration/verdict';
import { postcopyMarkerT } from './chartData';
import type { ChartMark } from './MigrationChart';

/** The switch asks first unless both hosts are known to resume a broken post-copy (an unknown version asks too). */
export function switchNeedsConfirm(r: PostcopyRecovery): boolean {
  return r.kind !== 'recoverable';
}

/** Where each half of a split VM is, in each host's own words (`virsh domstate --reason`). */
export function splitSentence(r: Pick<MigrationRun, 'vmName' | 'sourceName' | 'destinationName' | 'interruption'>): string | undefined {
  const i = r.interruption;
  if (i === undefined) return undefined;
  return `${r.vmName} runs on ${r.destinationName} (${i.destination}); part of its memory is still on ${r.sourceName} (${i.source})`;
}

/** The verdict box of an interrupted run: what happened, where the halves are, what to do; libvirt's words after a failed resume. */
export function interruptedNotice(r: MigrationRun): { sentence: string; failure?: { message: string; detail?: string | undefined } } | undefined {
  if (r.state !== 'post-copy-interrupted') return undefined;
  const split = splitSentence(r) ?? `${r.vmName} runs on ${r.destinationName}; part of its memory is still on ${r.sourceName}`;
  const tried = r.interruption?.resumes ?? 0;
  const sentence = `The migration connection broke after the switch and the VM's memory is split: ${split}. Resume post-copy to bring the rest to ${r.destinationName}${tried > 0 ? ` (${tried === 1 ? 'one resume' : `${tried} resumes`} tried so far)` : ''}.`;
  const e = r.interruption?.lastResumeError;
  return e === undefined ? { sentence } : { sentence, failure: { message: e.message, detail: e.detail } };
}

export type OfferedAction = MigrationControlAction;

export interface OfferedControl {
  readonly action: OfferedAction;
  readonly value?: number | undefined;
  /** The tooltip: what it does. */
  readonly label: string;
  readonly available: boolean;
  /** Asks in an inline group before it is sent. */
  readonly confirm: boolean;
}

export const RESUME_LABEL = 'Resume post-copy: virsh migrate --postcopy-resume on the source, to the same destination and URIs; the rest of the memory follows to the destination.';

/**
 * The one-click controls of a run. An interrupted run offers only the resume: aborting or destroying either half of a
 * split VM loses it. Once post-copy broke, a resumed run never offers abort or a second switch either.
 */
export function offeredControls(r: MigrationRun, recovery: PostcopyRecovery): OfferedControl[] {
  if (r.state === 'post-copy-interrupted') return [{ action: 'resumePostcopy', label: RESUME_LABEL, available: true, confirm: false }];
  if (!isActive(r.state) || r.verdict === undefined) return [];
  // A restart with other options is not a control of this migration: no button for it here.
  const controls = r.verdict.remedies.filter((x): x is Remedy & { action: MigrationControlAction } => isControlAction(x.action));
  const remedies = r.interruption === undefined ? controls : controls.filter((x) => x.action !== 'abort' && x.action !== 'postcopy');
  return remedies.map((x) => ({ ...x, confirm: x.action === 'abort' || (x.action === 'postcopy' && switchNeedsConfirm(recovery)) }));
}

/** What the inline confirmation of the switch asks, by what the hosts could do after a break. */
export function switchQuestion(r: PostcopyRecovery): string {
  return r.kind === 'unknown'
    ? 'Switch anyway? Whether a broken connection could be resumed is not known (see below).'
    : 'Switch anyway? A broken connection could not be resumed and the VM would be lost (see below).';
}

/** The run offers the switch to post-copy now (so the view shows what it risks). */
export function offersSwitch(controls: readonly OfferedControl[]): boolean {
  return controls.some((c) => c.action === 'postcopy');
}

const POSTCOPY_EVENTS: Readonly<Record<string, string>> = {
  'post-copy': 'Switched to post-copy',
  'post-copy-interrupted': 'Post-copy interrupted',
  'post-copy-resume': 'Resume started',
  'post-copy-resume-failed': 'Resume failed',
  'post-copy-ended': 'Post-copy finished',
  ended: 'Ended',
};

export interface TimelineRow {
  readonly at: number;
  /** Since the start, as the reports write durations. */
  readonly since: string;
  readonly what: string;
  readonly text: string;
}

/** The post-copy story of a run that broke: the switch, each interruption, each resume and how it went, the end. */
export function postcopyTimeline(r: Pick<MigrationRun, 'startedAt' | 'events' | 'interruption'>): TimelineRow[] {
  if (r.interruption === undefined) return [];
  const t0 = Date.parse(r.startedAt);
  return (r.events ?? []).flatMap((e) => {
    const what = POSTCOPY_EVENTS[e.kind];
    return what === undefined ? [] : [{ at: e.at, since: `+${formatMilliseconds(Math.max(0, e.at - t0))}`, what, text: e.text }];
  });
}

/** Where post-copy broke and was resumed, on the chart's time axis (placed by wall-clock time against the samples). */
export function interruptionMarks(r: Pick<MigrationRun, 'samples' | 'events' | 'interruption'>): ChartMark[] {
  if (r.interruption === undefined || !r.samples.some((s) => s.at !== undefined)) return [];
  const kinds: Readonly<Record<string, ChartMark['kind']>> = { 'post-copy-interrupted': 'interrupted', 'post-copy-resume': 'resumed' };
  const events = (r.events ?? []).flatMap((e) => (kinds[e.kind] === undefined ? [] : [{ at: e.at, kind: kinds[e.kind] as ChartMark['kind'] }]));
  // A record without its events (older main) still has the latest break.
  const breaks = events.length > 0 ? events : [{ at: r.interruption.at, kind: 'interrupted' as const }];
  return breaks.flatMap((e) => {
    const t = postcopyMarkerT(r.samples, e.at);
    return t === undefined ? [] : [{ t, kind: e.kind }];
  });
}
