/**
 * Pure rules of the evacuation screens: which actions a plan row may take, what an admin's change to a row becomes,
 * what keeps a plan from starting, and the counts, progress and ETA of a running evacuation.
 */
import {
  EVACUATION_ROW_STATES,
  type EvacuationAction,
  type EvacuationPlan,
  type EvacuationRowState,
  type EvacuationView,
  type PlanRow,
} from '../../../../shared/evacuation/schema';
import { simulateEvacuation } from '../../../../shared/evacuation/schedule';
import { fmtMs } from '../migrate/runView';

export const ACTION_LABELS: Record<EvacuationAction, string> = { live: 'Live migrate', offline: 'Offline (definition only)', skip: 'Skip (leave here)', shutdown: 'Shut down here' };

/** A running VM moves live, or is skipped or shut down; a stopped one moves its definition (if it has one) or stays. */
export function actionsFor(row: Pick<PlanRow, 'state' | 'persistent'>): EvacuationAction[] {
  if (row.state === 'shut-off') return row.persistent ? ['offline', 'skip'] : ['skip'];
  return ['live', 'skip', 'shutdown'];
}

export const moves = (row: Pick<PlanRow, 'action'>) => row.action === 'live' || row.action === 'offline';

export interface RowChange {
  readonly destinationId?: string;
  readonly action?: EvacuationAction;
}

/** The row with the admin's change, or the row as it was when the change is not allowed (a refused host, an action the VM cannot take). */
export function changeRow(row: PlanRow, change: RowChange): PlanRow {
  let next = row;
  if (change.destinationId !== undefined) {
    const c = row.candidates.find((x) => x.hostId === change.destinationId);
    if (c !== undefined && c.refusal === undefined) next = { ...next, destinationId: c.hostId };
  }
  if (change.action !== undefined && actionsFor(row).includes(change.action)) next = { ...next, action: change.action };
  return next;
}

/** Why the plan cannot start as it stands (a row that moves with no destination), or [] when it can. */
export function startBlockers(plan: EvacuationPlan): string[] {
  return plan.rows.filter((r) => moves(r) && r.destinationId === undefined).map((r) => `${r.vm}: choose a destination, or skip it`);
}

/** "Fast LAN · about 6 s, downtime under 50 ms" for the row's options and prediction columns. */
export function profileOf(row: PlanRow): string {
  if (row.options.offline === true) return 'offline';
  return row.prediction?.profile ?? (row.options.postcopy === true ? 'custom (post-copy allowed)' : 'custom');
}

export const CONVERGES_TEXT = { yes: 'converges', no: 'will not converge', uncertain: 'uncertain' } as const;

export type RowCounts = Record<EvacuationRowState, number>;
export function countRows(view: Pick<EvacuationView, 'rows'>): RowCounts {
  const counts = Object.fromEntries(EVACUATION_ROW_STATES.map((s) => [s, 0])) as RowCounts;
  for (const r of view.rows) counts[r.runState]++;
  return counts;
}

/** Share of the rows decided (done, failed, skipped or cancelled), 0..1. */
export function progressOf(view: Pick<EvacuationView, 'rows'>): number {
  if (view.rows.length === 0) return 1;
  const c = countRows(view);
  return (view.rows.length - c.queued - c.running) / view.rows.length;
}

/** The view's headline: state, and the ETA main computed (honest: absent when main could not). */
export function headline(view: EvacuationView): string {
  if (view.state === 'ended') return `Ended: ${view.outcome ?? 'completed'}`;
  const eta = view.etaMs === undefined ? 'ETA not known' : `about ${fmtMs(view.etaMs)} left`;
  return `${view.state === 'paused' ? 'Paused (running ones finish, nothing new starts)' : 'Running'} · ${eta}`;
}

/** The evacuations not ended, newest first. */
export function activeEvacuations(list: Readonly<Record<string, EvacuationView>>): EvacuationView[] {
  return Object.values(list)
    .filter((v) => v.state !== 'ended')
    .sort((a, b) => b.startedAt - a.startedAt);
}

/** A row without a prediction counts this long in an estimate made here (said so beside it). */
export const UNPREDICTED_MS = 60_000;

/**
 * The plan's whole time under its limits for the rows as the admin left them (the planner's own simulation), and how
 * many moving rows have no predicted time: main's estimate is for its plan, this one follows the changes.
 */
export function planEstimate(plan: Pick<EvacuationPlan, 'hostId' | 'rows' | 'limits'>): { readonly ms: number; readonly unpredicted: number } {
  const slots = plan.rows
    .filter((r) => moves(r) && r.destinationId !== undefined)
    .map((r) => ({ vm: r.vm, sourceId: plan.hostId, destinationId: r.destinationId ?? '', ...(r.prediction?.totalMs !== undefined ? { predictedMs: r.prediction.totalMs } : {}) }));
  return { ms: simulateEvacuation(slots, plan.limits, UNPREDICTED_MS), unpredicted: slots.filter((s) => s.predictedMs === undefined).length };
}
