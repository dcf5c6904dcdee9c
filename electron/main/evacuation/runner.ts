/**
 * Runs host evacuations. `start(plan)` re-checks every row against the inventory and refuses the whole plan with the
 * reasons rather than start part of it; then rows start as the limits allow (shared/evacuation/schedule.ts: quickest
 * predicted first, never more than the plan's limits per source and per destination). A live or offline row is an
 * ordinary Ferry migration started by the migrate dialog's own start path (pre-flight, prediction, engine start; the
 * record carries the evacuation's id); a shutdown row runs `virsh shutdown` on the source and waits for shut-off.
 * A row ends when its migration's record ends (the engine's updates, no polling); one failure never stops the others.
 *
 * Everything is journalled (journal.ts) before it is acted on or as soon as it happened. After a restart `restore()`
 * picks up every evacuation without an end: rows whose migrations still run are followed (the engine re-attaches
 * them), rows whose migrations ended meanwhile get their results, queued rows resume. A migration an earlier Ferry
 * started for a row but never journalled as started is found by its evacuation id in the history: nothing runs twice.
 */
import { randomUUID } from 'node:crypto';
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import { nextToStart, simulateEvacuation, type Slot } from '../../../shared/evacuation/schedule';
import type { EvacuationControl, EvacuationPlan, EvacuationRow, EvacuationView } from '../../../shared/evacuation/schema';
import type { HostView } from '../../../shared/inventory/types';
import type { MigrationEngine } from '../migration/engine';
import { startMigration, type MigrationHandlerDeps } from '../migration/handlers';
import type { Journal } from '../migration/journal';
import type { MigrationRecord } from '../migration/record';
import type { EvacuationJournal, EvacuationOutcome, EvacuationRecord, RowEnd } from './journal';

/** What the runner uses of the engine (a stand-in in tests). */
export type EvacuationEnginePort = Pick<MigrationEngine, 'start' | 'refuse' | 'control' | 'record' | 'records' | 'onUpdate'>;

export interface EvacuationServiceDeps {
  readonly journal: EvacuationJournal;
  readonly engine: EvacuationEnginePort;
  /** The migration history's heads: where a row's migration that ended while Ferry was stopped is found. */
  readonly history: Pick<Journal, 'heads'>;
  /** The inventory's hosts, as they are now. */
  readonly hosts: () => readonly HostView[];
  /** As the migrate dialog's start has them (MigrationHandlerDeps). */
  readonly preflight?: NonNullable<MigrationHandlerDeps['preflight']>;
  readonly predict?: NonNullable<MigrationHandlerDeps['predict']>;
  /** Shuts the VM down on its host and waits (bounded) until it is shut off (shutdown.ts). */
  readonly shutdown: (host: HostView, vm: string) => Promise<Result<void, FerryError>>;
  readonly wallClock?: () => number;
  readonly newId?: () => string;
  /** For the ETA: the time a row without a prediction is counted at (default 60 s). */
  readonly fallbackMs?: number;
  readonly logger?: { warn(event: string, fields?: Record<string, unknown>): void };
}

/** How many ended evacuations the watch lists besides those running. */
export const WATCH_ENDED = 20;

const MOVES = new Set<EvacuationRow['action']>(['live', 'offline']);
const isOpen = (r: EvacuationRow): boolean => r.runState === 'queued' || r.runState === 'running';
const migrationEnded = (r: MigrationRecord): boolean => r.state !== 'running' && r.state !== 'post-copy-interrupted';

/** Pure: why a plan cannot start as it stands against the inventory now (empty: it can). */
export function planProblems(plan: EvacuationPlan, hosts: readonly HostView[]): string[] {
  const byId = new Map(hosts.map((h) => [h.record.id, h]));
  const source = byId.get(plan.hostId);
  if (!source) return [`${plan.hostName} is no longer in the inventory.`];
  const out: string[] = [];
  const vms = new Map((source.vms ?? []).map((v) => [v.name, v]));
  const seen = new Set<string>();
  for (const row of plan.rows) {
    if (seen.has(row.vm)) out.push(`${row.vm} is in the plan twice.`);
    seen.add(row.vm);
    if (row.action === 'skip') continue;
    if (!vms.has(row.vm)) {
      out.push(`${row.vm} is no longer on ${source.record.name}.`);
      continue;
    }
    if (!MOVES.has(row.action)) continue;
    // The action and the options must say the same thing, or the migration would not be the one the admin read.
    if ((row.action === 'offline') !== (row.options.offline === true)) out.push(`${row.vm}: its action is ${row.action} but its options ${row.action === 'offline' ? 'lack' : 'have'} --offline.`);
    if (row.destinationId === undefined) {
      out.push(`${row.vm} has no destination.`);
      continue;
    }
    const d = byId.get(row.destinationId);
    if (row.destinationId === plan.hostId) out.push(`${row.vm} would go to the host being evacuated.`);
    else if (!d) out.push(`${row.vm}: its destination is no longer in the inventory.`);
    else if (d.record.maintenance) out.push(`${row.vm}: ${d.record.name} is in maintenance.`);
  }
  return out;
}

export class EvacuationService {
  private readonly now: () => number;
  private readonly newId: () => string;
  /** Rows whose start is under way (`${evacuation}\0${vm}`), not yet journalled as started. */
  private readonly starting = new Set<string>();
  /** Migrations followed to their end: migration id -> its row. */
  private readonly following = new Map<string, { readonly id: string; readonly vm: string }>();
  private readonly ending = new Set<string>();
  /** Evacuations being read back after a restart: nothing starts until every row's state is known. */
  private readonly restoring = new Set<string>();
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribe: () => void;
  private stopped = false;

  constructor(private readonly d: EvacuationServiceDeps) {
    this.now = d.wallClock ?? Date.now;
    this.newId = d.newId ?? (() => `ev-${randomUUID()}`);
    this.unsubscribe = d.engine.onUpdate((u) => {
      if (u.kind !== 'ended' || !this.following.has(u.id)) return;
      const rec = d.engine.record(u.id);
      if (rec) void this.migrationEnded(rec);
    });
  }

  /** Called on every change of any evacuation (the watch stream). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch (e) {
        this.d.logger?.warn('evacuation.listener-threw', { error: String(e) });
      }
    }
  }

  private async write(...args: Parameters<EvacuationJournal['append']>): Promise<EvacuationRecord | undefined> {
    try {
      const rec = await this.d.journal.append(...args);
      this.changed();
      return rec;
    } catch (e) {
      this.d.logger?.warn('evacuation.journal-write-failed', { error: String(e) });
      return undefined;
    }
  }

  // ---- views ----------------------------------------------------------------------------------------------------

  /** One evacuation as the view shows it, with its ETA while it runs. */
  view(id: string): EvacuationView | undefined {
    const rec = this.d.journal.get(id);
    if (!rec) return undefined;
    const v = rec.view;
    if (v.state === 'ended') return v;
    const now = this.now();
    const left = v.rows.filter(isOpen).map((r) => ({
      ...this.slot(rec.plan, r),
      ...(r.prediction?.totalMs !== undefined ? { predictedMs: r.prediction.totalMs } : {}),
      ...(r.runState === 'running' && r.startedAt !== undefined ? { elapsedMs: Math.max(0, now - r.startedAt) } : {}),
    }));
    return { ...v, etaMs: simulateEvacuation(left, v.limits, this.d.fallbackMs ?? 60_000) };
  }

  /** Every evacuation not ended, and the newest ended ones. */
  views(): EvacuationView[] {
    const all = this.d.journal.all();
    const ended = all.filter((r) => r.view.state === 'ended').slice(-WATCH_ENDED);
    return [...all.filter((r) => r.view.state !== 'ended'), ...ended]
      .sort((a, b) => a.view.startedAt - b.view.startedAt)
      .flatMap((r) => this.view(r.view.id) ?? []);
  }

  // ---- start ----------------------------------------------------------------------------------------------------

  async start(plan: EvacuationPlan): Promise<Result<{ readonly id: string }, FerryError>> {
    if (this.stopped) return err(ferryError('input.invalid', 'Ferry is shutting down.'));
    const problems = planProblems(plan, this.d.hosts());
    const busy = this.d.journal.all().find((r) => r.view.hostId === plan.hostId && r.view.state !== 'ended');
    if (busy) problems.unshift(`${plan.hostName} is already being evacuated (${busy.view.id}).`);
    if (problems.length > 0) return err(ferryError('input.invalid', `The evacuation was not started: ${problems.join(' ')}`));
    const id = this.newId();
    if (!(await this.write({ type: 'start', id, at: this.now(), plan }))) {
      return err(ferryError('ipc.internal', 'The evacuation could not be journalled; nothing was started.'));
    }
    for (const row of plan.rows) {
      if (row.action === 'skip') await this.endRow(id, row.vm, { runState: 'skipped', reason: row.problem?.message ?? 'Left on the host, as the plan said.' });
    }
    this.pump(id);
    return ok({ id });
  }

  private slot(plan: EvacuationPlan, r: EvacuationRow): Slot {
    // A shutdown goes nowhere: it counts against its source only.
    return { vm: r.vm, sourceId: plan.hostId, destinationId: r.action === 'shutdown' ? `shutdown:${r.vm}` : (r.destinationId ?? '') };
  }

  /** Starts what the limits allow now, then ends the evacuation when nothing is left. */
  private pump(id: string): void {
    const rec = this.d.journal.get(id);
    if (!rec || this.stopped || this.restoring.has(id)) return;
    const key = (vm: string) => `${id}\0${vm}`;
    if (rec.view.state === 'running') {
      const rows = rec.view.rows;
      const queued = rows.filter((r) => r.runState === 'queued' && !this.starting.has(key(r.vm)) && r.action !== 'skip');
      const running = rows.filter((r) => r.runState === 'running' || this.starting.has(key(r.vm)));
      const chosen = nextToStart(
        queued.map((r) => ({ ...this.slot(rec.plan, r), ...(r.prediction?.totalMs !== undefined ? { predictedMs: r.prediction.totalMs } : {}) })),
        running.map((r) => this.slot(rec.plan, r)),
        rec.view.limits,
      );
      for (const s of chosen) {
        const row = queued.find((r) => r.vm === s.vm);
        if (!row) continue;
        this.launch(id, row, false);
      }
    }
    void this.maybeEnd(id);
  }

  private launch(id: string, row: EvacuationRow, resumed: boolean): void {
    const key = `${id}\0${row.vm}`;
    this.starting.add(key);
    void this.runRow(id, row, resumed).finally(() => {
      this.starting.delete(key);
      this.pump(id);
    });
  }

  private async runRow(id: string, row: EvacuationRow, resumed: boolean): Promise<void> {
    const rec = this.d.journal.get(id);
    if (!rec) return;
    const hosts = this.d.hosts();
    const source = hosts.find((h) => h.record.id === rec.plan.hostId);
    if (row.action === 'shutdown') {
      if (!resumed) await this.write({ type: 'row-started', id, at: this.now(), vm: row.vm });
      const r = source ? await this.d.shutdown(source, row.vm) : err(ferryError('inventory.not-found', `${rec.plan.hostName} is no longer in the inventory.`));
      await this.endRow(id, row.vm, r.ok ? { runState: 'done' } : { runState: 'failed', reason: r.error.message });
      return;
    }
    const destination = hosts.find((h) => h.record.id === row.destinationId);
    if (!source || !destination) {
      await this.endRow(id, row.vm, { runState: 'failed', reason: `${source ? 'Its destination' : rec.plan.hostName} is no longer in the inventory.` });
      return;
    }
    const controls = this.d.journal.get(id)?.controls ?? [];
    if (controls.includes('abort-all') || controls.includes('cancel-rest')) {
      await this.endRow(id, row.vm, { runState: 'cancelled', reason: 'Cancelled before it started.' });
      return;
    }
    const started = await startMigration({ ...this.d, now: this.now }, { vm: row.vm, source, destination, options: row.options, evacuationId: id });
    if (!started.ok) {
      await this.endRow(id, row.vm, { runState: 'failed', reason: started.error.message });
      return;
    }
    await this.follow(id, row.vm, started.value.id);
  }

  /** Journals the row as started by migration `migrationId` and follows that migration to its end. */
  private async follow(id: string, vm: string, migrationId: string): Promise<void> {
    this.following.set(migrationId, { id, vm });
    await this.write({ type: 'row-started', id, at: this.now(), vm, migrationId });
    const rec = this.d.engine.record(migrationId);
    // Ended before it was followed (refused by pre-flight, or quick), or abort-all came while it started.
    if (rec && migrationEnded(rec)) await this.migrationEnded(rec);
    else if (this.d.journal.get(id)?.controls.includes('abort-all')) await this.abortMigration(migrationId);
  }

  private async migrationEnded(rec: MigrationRecord): Promise<void> {
    const row = this.following.get(rec.id);
    if (!row) return;
    this.following.delete(rec.id);
    await this.endRow(row.id, row.vm, rowEndOf(rec));
    this.pump(row.id);
  }

  private async endRow(id: string, vm: string, end: RowEnd): Promise<void> {
    await this.write({ type: 'row-ended', id, at: this.now(), vm, ...end });
  }

  private async maybeEnd(id: string): Promise<void> {
    const rec = this.d.journal.get(id);
    if (!rec || rec.view.state === 'ended' || this.ending.has(id)) return;
    const busy = rec.view.rows.some((r) => isOpen(r) || this.starting.has(`${id}\0${r.vm}`));
    if (busy) return;
    this.ending.add(id);
    await this.write({ type: 'end', id, at: this.now(), outcome: outcomeOf(rec) });
    this.ending.delete(id);
  }

  // ---- controls -------------------------------------------------------------------------------------------------

  async control(id: string, action: EvacuationControl): Promise<Result<{ readonly id: string }, FerryError>> {
    const rec = this.d.journal.get(id);
    if (!rec) return err(ferryError('inventory.not-found', `No evacuation ${id}.`));
    if (rec.view.state === 'ended') return err(ferryError('input.invalid', `The evacuation of ${rec.view.hostName} has already ended.`));
    if (!(await this.write({ type: 'control', id, at: this.now(), action }))) {
      return err(ferryError('ipc.internal', 'The control could not be journalled; nothing was changed.'));
    }
    if (action === 'cancel-rest' || action === 'abort-all') {
      for (const r of this.d.journal.get(id)?.view.rows ?? []) {
        if (r.runState === 'queued' && !this.starting.has(`${id}\0${r.vm}`)) await this.endRow(id, r.vm, { runState: 'cancelled', reason: `Cancelled (${action}) before it started.` });
      }
    }
    if (action === 'abort-all') {
      for (const [migrationId, row] of this.following) if (row.id === id) await this.abortMigration(migrationId);
    }
    this.pump(id);
    return ok({ id });
  }

  private async abortMigration(migrationId: string): Promise<void> {
    const r = await this.d.engine.control(migrationId, { kind: 'abort' });
    if (!r.ok) this.d.logger?.warn('evacuation.abort-failed', { migrationId, error: r.error.message });
  }

  // ---- restart --------------------------------------------------------------------------------------------------

  /**
   * Picks up every evacuation the journal shows without an end (call once at start, after the engine's reconcile()
   * or beside it: a migration it re-attaches is followed here through the engine's updates).
   */
  async restore(): Promise<void> {
    const open = this.d.journal.all().filter((r) => r.view.state !== 'ended');
    if (open.length === 0) return;
    const heads = new Map<string, MigrationRecord>((await this.d.history.heads().catch(() => [])).map((h) => [h.id, h]));
    for (const r of this.d.engine.records()) heads.set(r.id, r);
    const find = (migrationId: string): MigrationRecord | undefined => this.d.engine.record(migrationId) ?? heads.get(migrationId);
    for (const rec of open) this.restoring.add(rec.view.id);
    for (const rec of open) {
      const id = rec.view.id;
      for (const row of rec.view.rows) {
        if (row.runState === 'running' && row.migrationId !== undefined) {
          const m = find(row.migrationId);
          if (!m) await this.endRow(id, row.vm, { runState: 'failed', migrationId: row.migrationId, reason: `Its migration (${row.migrationId}) is not in the history.` });
          else await this.followRecorded(id, row.vm, m);
        } else if (row.runState === 'running') {
          // A shutdown a stopped Ferry left under way: shut down and wait again (a VM already off is done).
          this.launch(id, row, true);
        } else if (row.runState === 'queued' && MOVES.has(row.action)) {
          // Started by the Ferry that stopped, which did not live to journal it.
          const m = [...heads.values()].find((h) => h.start?.evacuationId === id && h.start.vm === row.vm);
          if (m) {
            await this.write({ type: 'row-started', id, at: m.startedAt ?? this.now(), vm: row.vm, migrationId: m.id });
            await this.followRecorded(id, row.vm, m);
          }
        }
      }
      this.restoring.delete(id);
      this.pump(id);
    }
  }

  /** Follows a migration of a row already journalled as started (or ends the row at once when it has ended). */
  private async followRecorded(id: string, vm: string, m: MigrationRecord): Promise<void> {
    this.following.set(m.id, { id, vm });
    const now = this.d.engine.record(m.id) ?? m;
    if (migrationEnded(now)) await this.migrationEnded(now);
  }

  /** Stops starting rows (Ferry quitting); running migrations are the engine's (it detaches them). */
  dispose(): void {
    this.stopped = true;
    this.unsubscribe();
  }
}

/** A row's result from its migration's ended record: libvirt's or pre-flight's words when it failed. */
export function rowEndOf(rec: MigrationRecord): RowEnd {
  const end = rec.end;
  const final = end?.final;
  const figures = {
    ...(final?.totalTimeMs !== undefined ? { totalTimeMs: final.totalTimeMs } : {}),
    ...(final?.downtimeMs !== undefined ? { downtimeMs: final.downtimeMs } : {}),
  };
  if (rec.state === 'completed') return { runState: 'done', migrationId: rec.id, ...figures };
  // The end's sentence usually quotes libvirt already; its error is added only when it says more.
  const more = end?.error?.message !== undefined && !end.message.includes(end.error.message) ? end.error.message : undefined;
  const words = !end ? '' : more ? `${end.message.replace(/[.\s]+$/, '')}: ${more}` : end.message;
  return { runState: 'failed', migrationId: rec.id, reason: words || `The migration ended ${rec.state}.`, ...figures };
}

/** How an evacuation with every row ended went. */
export function outcomeOf(rec: EvacuationRecord): EvacuationOutcome {
  if (rec.controls.includes('abort-all')) return 'aborted';
  if (rec.controls.includes('cancel-rest') && rec.view.rows.some((r) => r.runState === 'cancelled')) return 'cancelled';
  return rec.view.rows.some((r) => r.runState === 'failed') ? 'partial' : 'completed';
}
