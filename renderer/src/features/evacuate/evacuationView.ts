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
import { BUILT_IN_PROFILES, builtInProfileNamed, hasErrors, validateMigrationOptions, type MigrationOptions } from '../../../../shared/migration/options';
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
  /** A live row ends in post-copy: QEMU switches by itself after the first pre-copy pass (the run is unattended). */
  readonly postcopy?: boolean;
}

/** Whether a row's options make it end in post-copy after the first pass. */
export const endsInPostcopy = (row: Pick<PlanRow, 'options'>) => row.options.postcopy === true && row.options.postcopyAfterPrecopy === true;

const equalOptions = (a: MigrationOptions, b: MigrationOptions) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

/** The options without post-copy after the first pass: what the profile allowed (WAN + TLS allows post-copy by hand) stays. */
function withoutPostcopy(o: MigrationOptions, base: MigrationOptions | undefined): MigrationOptions {
  const { postcopyAfterPrecopy: _a, postcopy, postcopyBandwidthMiBps, timeoutAction, ...rest } = o;
  if (base?.postcopy !== true) return { ...rest, ...(timeoutAction === 'suspend' ? { timeoutAction } : {}) };
  return { ...rest, postcopy, ...(postcopyBandwidthMiBps !== undefined ? { postcopyBandwidthMiBps } : {}), ...(timeoutAction !== undefined ? { timeoutAction } : {}) };
}

/** Post-copy after the first pass; parallel connections go, as QEMU cannot combine them with post-copy. */
function withPostcopy(o: MigrationOptions): MigrationOptions {
  const { parallel: _p, parallelConnections: _c, ...rest } = o;
  return { ...rest, postcopy: true, postcopyAfterPrecopy: true };
}

/** A transient VM moves without --persistent / --undefinesource (placement drops them: there is no definition). */
function forVm(o: MigrationOptions, row: Pick<PlanRow, 'persistent'>): MigrationOptions {
  if (row.persistent) return o;
  const { persistent: _p, undefineSource: _u, ...rest } = o;
  return rest;
}

/** The built-in profile the row's options came from (the prediction's, else the one they equal for this VM), if any. */
function baseProfile(row: Pick<PlanRow, 'options' | 'persistent' | 'prediction'>) {
  const named = row.prediction?.profile !== undefined ? builtInProfileNamed(row.prediction.profile) : undefined;
  if (named !== undefined) return named;
  return BUILT_IN_PROFILES.find((p) => [forVm(p.options, row), withPostcopy(forVm(p.options, row))].some((o) => equalOptions(o, row.options)));
}

/** The row with the admin's change, or the row as it was when the change is not allowed (a refused host, an action the VM cannot take). */
export function changeRow(row: PlanRow, change: RowChange): PlanRow {
  let next = row;
  if (change.destinationId !== undefined) {
    const c = row.candidates.find((x) => x.hostId === change.destinationId);
    if (c !== undefined && c.refusal === undefined) next = { ...next, destinationId: c.hostId };
  }
  if (change.action !== undefined && actionsFor(row).includes(change.action)) next = { ...next, action: change.action };
  if (change.postcopy !== undefined && next.action === 'live' && change.postcopy !== endsInPostcopy(next)) {
    const options = change.postcopy ? withPostcopy(next.options) : withoutPostcopy(next.options, baseProfile(next)?.options);
    // Options virsh would refuse leave the row as it was.
    if (!hasErrors(validateMigrationOptions(options))) next = { ...next, options };
  }
  return next;
}

/** Why the plan cannot start as it stands (a row that moves with no destination), or [] when it can. */
export function startBlockers(plan: EvacuationPlan): string[] {
  return plan.rows.filter((r) => moves(r) && r.destinationId === undefined).map((r) => `${r.vm}: choose a destination, or skip it`);
}

/**
 * The row's options in a few words: the profile they came from and what differs for this row ("Fast LAN, transient",
 * "Fast LAN, post-copy"), or "custom" when they match no profile.
 */
export function profileOf(row: PlanRow): string {
  // A skipped or shut-down row moves nothing: its options (none for a stopped transient VM) say nothing.
  if (!moves(row)) return '—';
  if (row.options.offline === true) return 'offline';
  const extras = [...(!row.persistent && row.options.persistent !== true ? ['transient'] : []), ...(endsInPostcopy(row) ? ['post-copy'] : [])];
  return [baseProfile(row)?.name ?? row.prediction?.profile ?? 'custom', ...extras].join(', ');
}

/** The row's prediction in one sentence, saying when the row ends in post-copy (the model predicted pre-copy alone). */
export function predictionText(row: PlanRow): string | undefined {
  if (!endsInPostcopy(row)) return row.prediction?.text;
  return `ends in post-copy after the first pass${row.prediction !== undefined ? ` (pre-copy alone: ${row.prediction.text})` : ''}`;
}

export const CONVERGES_TEXT = { yes: 'converges', no: 'will not converge', uncertain: 'uncertain' } as const;
/** A post-copy row finishes whatever the guest writes: the switch bounds the copy. */
export const POSTCOPY_CONVERGES_TEXT = 'post-copy';

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
export function planEstimate(plan: Pick<EvacuationPlan, 'hostId' | 'rows' | 'limits'>): { readonly ms: number; readonly unpredicted: number; readonly postcopy: number } {
  const moving = plan.rows.filter((r) => moves(r) && r.destinationId !== undefined);
  // A post-copy row's time is not the pre-copy prediction: no number is made up for it, it counts as unpredicted.
  const slots = moving.map((r) => ({
    vm: r.vm,
    sourceId: plan.hostId,
    destinationId: r.destinationId ?? '',
    ...(r.prediction?.totalMs !== undefined && !endsInPostcopy(r) ? { predictedMs: r.prediction.totalMs } : {}),
  }));
  return {
    ms: simulateEvacuation(slots, plan.limits, UNPREDICTED_MS),
    unpredicted: slots.filter((s) => s.predictedMs === undefined).length,
    postcopy: moving.filter((r) => r.action === 'live' && endsInPostcopy(r)).length,
  };
}
