/**
 * The dev fake's evacuations: maintenance mode marks the fake inventory's host record; a plan places the host's VMs
 * on the other fake hosts with the planner's own placement (shared/evacuation/placement.ts: every CPU compatible
 * here, the fake's predictions); a start runs the rows as ordinary migrations through main's migration handlers over the fake
 * engine, under the per-source and per-destination limits, quickest predicted first; a completed row moves its VM
 * to the destination in the fake inventory. Predictions are the fake's own: memory at 100 MiB/s, and a VM whose name
 * contains "busy" or "stall" does not converge (so a problem row can be seen).
 */
import { ok, err, type Result } from '../../../shared/result';
import type { FerryError } from '../../../shared/errors';
import type { HostView, VmSummary } from '../../../shared/inventory/types';
import { migrationsControl, migrationsStart } from '../../../shared/ipc/contract';
import type { OutputOf } from '../../../shared/ipc/define';
import {
  evacuationControl,
  evacuationExport,
  evacuationPlan,
  evacuationStart,
  evacuationsWatch,
  setMaintenance,
} from '../../../shared/ipc/evacuation-contract';
import {
  DEFAULT_EVACUATION_LIMITS,
  type EvacuationControl,
  type EvacuationLimits,
  type EvacuationPlan,
  type EvacuationRow,
  type EvacuationView,
  type PlanRow,
  type RowPrediction,
} from '../../../shared/evacuation/schema';
import { BUILT_IN_PROFILES, builtInProfileNamed } from '../../../shared/migration/options';
import { planRows, type CpuFit } from '../../../shared/evacuation/placement';
import type { Caller, IpcHandlers } from '../../../electron/main/ipc/handlers';
import type { MigrationEnginePort } from '../../../electron/main/migration/handlers';
import type { EvacuationHandlers } from '../../../electron/main/evacuation/unavailable';
import { nextToStart, simulateEvacuation } from '../../../shared/evacuation/schedule';
import { buildEvacuationCsv, buildEvacuationHtml, buildEvacuationJson } from '../../../shared/evacuation/report';

export interface FakeEvacuationDeps {
  readonly hosts: Map<string, HostView>;
  /** Tells the inventory's subscribers a host changed, as main does. */
  readonly emitHost: (host: HostView) => void;
  readonly migrations: () => Pick<IpcHandlers, typeof migrationsStart.id | typeof migrationsControl.id>;
  readonly engine: Pick<MigrationEnginePort, 'onUpdate'>;
  readonly now: () => number;
  readonly caller: Caller;
}

const MiB = 1024 * 1024;
/** A row the fake cannot predict is counted at this in the estimate. */
const FALLBACK_MS = 60_000;
const PROFILE = 'Fast LAN';
const ended = (r: EvacuationRow) => r.runState !== 'queued' && r.runState !== 'running';

function predictionOf(vm: VmSummary): RowPrediction | undefined {
  if (vm.memoryBytes === undefined) return undefined;
  const totalMs = Math.round((vm.memoryBytes / (100 * MiB)) * 1000) + 1000;
  if (/busy|stall/.test(vm.name)) return { converges: 'no', text: 'it dirties memory faster than the link sends it (dev fake)', profile: PROFILE };
  return { converges: 'yes', totalMs, downtimeMs: 40, text: `about ${Math.round(totalMs / 1000)} s, downtime under 50 ms (dev fake)`, profile: PROFILE };
}

/** The planner's placement over the fake inventory: every CPU compatible, the fake's predictions to every host. */
function fakePlanRows(source: HostView, others: readonly HostView[]): PlanRow[] {
  const vms = source.vms ?? [];
  /** The same answer for a VM to every other host, by VM name then host id (none where `f` has none). */
  const each = <T>(f: (vm: VmSummary) => T | undefined): Record<string, Record<string, T>> =>
    Object.fromEntries(
      vms.map((vm) => {
        const v = f(vm);
        return [vm.name, v === undefined ? {} : Object.fromEntries(others.map((h) => [h.record.id, v]))];
      }),
    );
  return planRows({
    source,
    others,
    cpu: each((): CpuFit => 'compatible'),
    predictions: each(predictionOf),
    defaultOptions: builtInProfileNamed(PROFILE)?.options ?? { live: true, p2p: true },
    profiles: BUILT_IN_PROFILES,
  });
}

function slotsOf(rows: readonly EvacuationRow[] | readonly PlanRow[], sourceId: string, now: number) {
  return rows
    .filter((r) => r.destinationId !== undefined && (r.action === 'live' || r.action === 'offline'))
    .map((r) => ({
      vm: r.vm,
      sourceId,
      destinationId: r.destinationId ?? '',
      ...(r.prediction?.totalMs !== undefined ? { predictedMs: r.prediction.totalMs } : {}),
      ...('startedAt' in r && typeof r.startedAt === 'number' ? { elapsedMs: now - r.startedAt } : {}),
    }));
}

function estimateText(ms: number, limits: EvacuationLimits, unknown: number): string {
  const unknownText = unknown > 0 ? `; ${unknown} VM${unknown === 1 ? '' : 's'} cannot be predicted (counted at ${FALLBACK_MS / 1000} s)` : '';
  return `about ${Math.max(1, Math.round(ms / 60_000))} min under ${limits.perSource} per source, ${limits.perDestination} per destination${unknownText}`;
}

/** JSON, CSV and HTML by main's own report builders; no PDF, as the fake has no Chromium to print one. */
function download(view: EvacuationView, format: 'html' | 'pdf' | 'csv' | 'json', now: number): Result<OutputOf<typeof evacuationExport>, FerryError> {
  if (format === 'pdf') return err({ code: 'command.not-found', message: 'The dev fake makes no PDFs (main prints them with Chromium): export HTML and print that.' });
  const meta = { generatedAt: now, exportedAt: now, generator: 'Ferry 0.1.0-fake' };
  const text = format === 'json' ? buildEvacuationJson(view, meta) : format === 'csv' ? buildEvacuationCsv(view) : buildEvacuationHtml(view, meta);
  const mimeType = format === 'json' ? 'application/json' : format === 'csv' ? 'text/csv' : 'text/html';
  return ok({ delivery: 'download', fileName: `evacuation-${view.hostName}-${view.id}.${format}`, mimeType, encoding: 'utf8', data: text, bytes: new TextEncoder().encode(text).length });
}

export function fakeEvacuation(d: FakeEvacuationDeps): EvacuationHandlers {
  const views = new Map<string, EvacuationView>();
  const flags = new Map<string, 'cancelled' | 'aborted'>();
  const listeners = new Set<(e: { evacuations: EvacuationView[] }) => void>();
  /** Migrations that ended before their start answered (a refusal ends at once). */
  const endedEarly = new Map<string, { completed: boolean; message: string; totalTimeMs?: number; downtimeMs?: number }>();
  let nextId = 1;

  const publish = () => {
    const evacuations = [...views.values()];
    for (const l of [...listeners]) l({ evacuations });
  };
  const update = (id: string, fn: (v: EvacuationView) => EvacuationView) => {
    const v = views.get(id);
    if (v) views.set(id, fn(v));
  };
  const setRow = (id: string, vm: string, patch: Partial<EvacuationRow>) =>
    update(id, (v) => ({ ...v, rows: v.rows.map((r) => (r.vm === vm ? { ...r, ...patch } : r)) }));

  function moveVm(vm: string, fromId: string, toId: string): void {
    const from = d.hosts.get(fromId);
    const to = d.hosts.get(toId);
    const summary = from?.vms?.find((v) => v.name === vm);
    if (!from || !to || !summary) return;
    const nextFrom = { ...from, vms: (from.vms ?? []).filter((v) => v.name !== vm) };
    const nextTo = { ...to, vms: [...(to.vms ?? []), summary] };
    d.hosts.set(fromId, nextFrom);
    d.hosts.set(toId, nextTo);
    d.emitHost(nextFrom);
    d.emitHost(nextTo);
  }

  function settle(id: string): void {
    const v = views.get(id);
    if (!v || v.state === 'ended') return;
    const now = d.now();
    const open = v.rows.filter((r) => !ended(r));
    if (open.length === 0) {
      const outcome = flags.get(id) ?? (v.rows.some((r) => r.runState === 'failed') ? 'partial' : 'completed');
      const { etaMs: _eta, ...rest } = v;
      views.set(id, { ...rest, state: 'ended', endedAt: now, outcome });
      return;
    }
    views.set(id, { ...v, etaMs: simulateEvacuation(slotsOf(open, v.hostId, now), v.limits, FALLBACK_MS) });
  }

  function finish(id: string, vm: string, outcome: { completed: boolean; message: string; totalTimeMs?: number; downtimeMs?: number }): void {
    const v = views.get(id);
    const row = v?.rows.find((r) => r.vm === vm);
    if (!v || !row) return;
    const figures = { ...(outcome.totalTimeMs !== undefined ? { totalTimeMs: outcome.totalTimeMs } : {}), ...(outcome.downtimeMs !== undefined ? { downtimeMs: outcome.downtimeMs } : {}) };
    setRow(id, vm, outcome.completed ? { runState: 'done', endedAt: d.now(), ...figures } : { runState: 'failed', endedAt: d.now(), reason: outcome.message });
    if (outcome.completed && row.destinationId) moveVm(vm, v.hostId, row.destinationId);
    pump(id);
  }

  async function startRow(id: string, row: EvacuationRow): Promise<void> {
    const v = views.get(id);
    if (!v || !row.destinationId) return;
    const r = await d.migrations()[migrationsStart.id]({ vm: row.vm, sourceHostId: v.hostId, destinationHostId: row.destinationId, options: row.options }, d.caller);
    if (!r.ok) return finish(id, row.vm, { completed: false, message: r.error.message });
    setRow(id, row.vm, { migrationId: r.value.id });
    const early = endedEarly.get(r.value.id);
    if (r.value.refused === true || early) {
      endedEarly.delete(r.value.id);
      return finish(id, row.vm, early ?? { completed: false, message: 'Pre-flight refused the start.' });
    }
    if (flags.get(id) === 'aborted') await d.migrations()[migrationsControl.id]({ id: r.value.id, action: 'abort' }, d.caller);
    publish();
  }

  /** Starts what the limits allow (nothing while paused), then settles the evacuation and tells the watchers. */
  function pump(id: string): void {
    const v = views.get(id);
    if (v && v.state === 'running') {
      const now = d.now();
      const queued = slotsOf(v.rows.filter((r) => r.runState === 'queued'), v.hostId, now);
      const running = slotsOf(v.rows.filter((r) => r.runState === 'running'), v.hostId, now);
      for (const slot of nextToStart(queued, running, v.limits)) {
        setRow(id, slot.vm, { runState: 'running', startedAt: now });
        const row = views.get(id)?.rows.find((r) => r.vm === slot.vm);
        if (row) void startRow(id, row);
      }
    }
    settle(id);
    publish();
  }

  d.engine.onUpdate((u) => {
    if (u.kind !== 'ended') return;
    const outcome = { completed: u.end.state === 'completed', message: u.end.message, ...(u.end.final?.totalTimeMs !== undefined ? { totalTimeMs: u.end.final.totalTimeMs } : {}), ...(u.end.final?.downtimeMs !== undefined ? { downtimeMs: u.end.final.downtimeMs } : {}) };
    for (const v of views.values()) {
      const row = v.rows.find((r) => r.migrationId === u.id);
      if (row) return finish(v.id, row.vm, outcome);
    }
    endedEarly.set(u.id, outcome);
  });

  function control(id: string, action: EvacuationControl): void {
    const v = views.get(id);
    if (!v) return;
    if (action === 'pause' && v.state === 'running') views.set(id, { ...v, state: 'paused' });
    if (action === 'resume' && v.state === 'paused') views.set(id, { ...v, state: 'running' });
    if (action === 'cancel-rest' || action === 'abort-all') {
      flags.set(id, action === 'abort-all' ? 'aborted' : 'cancelled');
      const reason = action === 'abort-all' ? 'Aborted with the rest of the evacuation.' : 'Cancelled before it started.';
      update(id, (x) => ({ ...x, rows: x.rows.map((r) => (r.runState === 'queued' ? { ...r, runState: 'cancelled', reason } : r)) }));
      if (action === 'abort-all') {
        for (const r of v.rows) if (r.runState === 'running' && r.migrationId) void d.migrations()[migrationsControl.id]({ id: r.migrationId, action: 'abort' }, d.caller);
      }
    }
    pump(id);
  }

  return {
    [setMaintenance.id]: async ({ hostId, on }) => {
      const h = d.hosts.get(hostId);
      if (!h) return err({ code: 'inventory.not-found', message: 'No such host.' });
      const { maintenance: _old, ...record } = h.record;
      const maintenance = on ? (h.record.maintenance ?? { since: new Date(d.now()).toISOString() }) : undefined;
      const next: HostView = { ...h, record: maintenance ? { ...record, maintenance } : record };
      d.hosts.set(hostId, next);
      d.emitHost(next);
      return ok({ hostId, ...(maintenance ? { maintenance } : {}) });
    },
    [evacuationPlan.id]: async ({ hostId, limits = DEFAULT_EVACUATION_LIMITS }) => {
      const source = d.hosts.get(hostId);
      if (!source) return err({ code: 'inventory.not-found', message: 'No such host.' });
      const rows = fakePlanRows(source, [...d.hosts.values()].filter((h) => h.record.id !== hostId));
      const slots = slotsOf(rows, hostId, d.now());
      const estimateMs = simulateEvacuation(slots, limits, FALLBACK_MS);
      const unknown = slots.filter((s) => s.predictedMs === undefined).length;
      const plan: EvacuationPlan = { hostId, hostName: source.record.name, createdAt: d.now(), limits, rows, estimateMs, estimateText: estimateText(estimateMs, limits, unknown) };
      return ok(plan);
    },
    [evacuationStart.id]: async ({ plan }) => {
      const source = d.hosts.get(plan.hostId);
      if (!source) return err({ code: 'inventory.not-found', message: 'No such host.' });
      const problems = plan.rows.flatMap((r) => {
        if (r.action !== 'live' && r.action !== 'offline') return [];
        const dest = r.destinationId === undefined ? undefined : d.hosts.get(r.destinationId);
        if (!dest || r.destinationId === plan.hostId) return [`${r.vm}: no destination`];
        return dest.record.maintenance ? [`${r.vm}: ${dest.record.name} is in maintenance`] : [];
      });
      if (problems.length > 0) return err({ code: 'input.invalid', message: `The plan cannot start: ${problems.join('; ')}.` });
      const id = `evac-${nextId++}`;
      const now = d.now();
      const rows = plan.rows.map((r): EvacuationRow => {
        if (r.action === 'skip') return { ...r, runState: 'skipped', reason: r.problem?.message ?? 'Skipped in the plan.' };
        if (r.action === 'shutdown') return { ...r, runState: 'done', endedAt: now, reason: `Shut down on ${plan.hostName} (dev fake).` };
        return { ...r, runState: 'queued' };
      });
      views.set(id, { id, hostId: plan.hostId, hostName: plan.hostName, state: 'running', limits: plan.limits, rows, startedAt: now });
      pump(id);
      return ok({ id });
    },
    [evacuationControl.id]: async ({ id, action }) => {
      const v = views.get(id);
      if (!v) return err({ code: 'inventory.not-found', message: 'No such evacuation.' });
      if (v.state === 'ended') return err({ code: 'input.invalid', message: 'That evacuation has ended.' });
      control(id, action);
      return ok({ id });
    },
    [evacuationExport.id]: async ({ id, format }) => {
      const v = views.get(id);
      return v ? download(v, format, d.now()) : err({ code: 'inventory.not-found', message: 'No such evacuation.' });
    },
    [evacuationsWatch.id]: (_params, emit) => {
      listeners.add(emit);
      emit({ evacuations: [...views.values()] });
      return () => void listeners.delete(emit);
    },
  };
}
