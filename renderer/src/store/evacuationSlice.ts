/**
 * Host evacuation in the renderer: maintenance mode on a host, the plan dialog (main's plan, the admin's changes to
 * its rows, the limits), the evacuations as main reports them, the one on screen, and its controls and exports.
 */
import type { FerryError } from '../../../shared/errors';
import {
  evacuationControl,
  evacuationExport,
  evacuationPlan,
  evacuationStart,
  evacuationsWatch,
  setMaintenance,
} from '../../../shared/ipc/evacuation-contract';
import type { ReportExportResult, ReportFormat } from '../../../shared/ipc/reports-contract';
import type { EvacuationControl, EvacuationLimits, EvacuationPlan, EvacuationView } from '../../../shared/evacuation/schema';
import { changeRow, type RowChange } from '../features/evacuate/evacuationView';
import { call } from './ports';
import type { SliceCreator } from './types';
import { refCounted } from './refCounted';

export interface PlanDraft {
  readonly hostId: string;
  readonly hostName: string;
  readonly phase: 'loading' | 'ready' | 'starting';
  readonly limits: EvacuationLimits;
  /** Main's plan with the admin's changes applied. */
  readonly plan?: EvacuationPlan;
  /** VMs whose row the admin changed (kept when the plan is made again for other limits). */
  readonly changed: readonly string[];
  readonly error?: FerryError;
}

export interface EvacuationData {
  /** Hosts whose maintenance mark is being changed. */
  readonly maintenancePending: Readonly<Record<string, boolean>>;
  readonly planDraft: PlanDraft | null;
  /** Every evacuation main reports (running ones and the newest ended), by id. */
  readonly list: Readonly<Record<string, EvacuationView>>;
  /** The evacuation on screen, or null. */
  readonly openId: string | null;
  readonly controlling: Readonly<Record<string, EvacuationControl>>;
  /** The export being made, so its buttons wait. */
  readonly exporting?: ReportFormat | undefined;
}

export interface EvacuationSlice {
  readonly evacuation: EvacuationData;
  setMaintenance(hostId: string, on: boolean): Promise<void>;
  /** Opens the plan dialog for a host and asks main for its plan (limits default to 2 per source, 2 per destination). */
  openEvacuationPlan(hostId: string): Promise<void>;
  /** Makes the plan again for other limits; the rows the admin changed keep their changes. */
  setEvacuationLimits(limits: EvacuationLimits): Promise<void>;
  editPlanRow(vm: string, change: RowChange): void;
  closeEvacuationPlan(): void;
  /** Starts the plan as it stands; on success the dialog closes and the evacuation view opens. */
  startEvacuation(): Promise<void>;
  /** Subscribes to the evacuations (reference-counted); call the returned function to release. */
  watchEvacuations(): () => void;
  openEvacuation(id: string | null): void;
  controlEvacuation(id: string, action: EvacuationControl): Promise<void>;
  /** Asks main for the evacuation's report; answers what came back (web mode: bytes the caller downloads). */
  exportEvacuation(id: string, format: ReportFormat): Promise<ReportExportResult | undefined>;
}

export const DEFAULT_PLAN_LIMITS: EvacuationLimits = { perSource: 2, perDestination: 2 };

export const createEvacuationSlice: SliceCreator<EvacuationSlice> = (set, get, deps) => {
  const patchEvac = (f: (e: EvacuationData) => Partial<EvacuationData>) => set((s) => ({ evacuation: { ...s.evacuation, ...f(s.evacuation) } }));
  const watchAll = refCounted(() =>
    deps.api.subscribe(evacuationsWatch, {}, (e) => patchEvac(() => ({ list: Object.fromEntries(e.evacuations.map((v) => [v.id, v])) }))),
  );
  const patchDraft = (hostId: string, f: (d: PlanDraft) => Partial<PlanDraft>) =>
    patchEvac((e) => (e.planDraft === null || e.planDraft.hostId !== hostId ? {} : { planDraft: { ...e.planDraft, ...f(e.planDraft) } }));

  /** Asks main for the plan and applies the admin's earlier changes to the rows main still lists. */
  async function loadPlan(hostId: string, limits: EvacuationLimits, keep?: EvacuationPlan, changed: readonly string[] = []): Promise<void> {
    patchDraft(hostId, ({ error: _e, ...d }) => ({ ...d, phase: 'loading', limits }));
    const r = await call(deps.api, evacuationPlan, { hostId, limits });
    patchDraft(hostId, (d) => {
      // An answer for limits the admin has changed since is dropped: the newer request's answer follows.
      if (d.limits !== limits) return {};
      if (!r.ok) return { phase: 'ready', error: r.error };
      const mine = new Map((keep?.rows ?? []).filter((x) => changed.includes(x.vm)).map((x) => [x.vm, x]));
      const rows = r.value.rows.map((row) => {
        const was = mine.get(row.vm);
        return was === undefined ? row : changeRow(row, { ...(was.destinationId !== undefined ? { destinationId: was.destinationId } : {}), action: was.action });
      });
      return { phase: 'ready', plan: { ...r.value, rows }, changed: d.changed.filter((vm) => rows.some((x) => x.vm === vm)) };
    });
  }

  return {
    evacuation: { maintenancePending: {}, planDraft: null, list: {}, openId: null, controlling: {} },

    async setMaintenance(hostId, on) {
      const host = get().inventory.hosts[hostId];
      if (host === undefined || get().evacuation.maintenancePending[hostId] === true) return;
      patchEvac((e) => ({ maintenancePending: { ...e.maintenancePending, [hostId]: true } }));
      const r = await call(deps.api, setMaintenance, { hostId, on });
      patchEvac((e) => {
        const { [hostId]: _done, ...rest } = e.maintenancePending;
        return { maintenancePending: rest };
      });
      if (!r.ok) {
        get().notifyError(r.error, `${host.record.name} did not ${on ? 'enter' : 'leave'} maintenance`);
        return;
      }
      // The mark as main answered it, at once (the inventory's next event says the same).
      set((s) => {
        const h = s.inventory.hosts[hostId];
        if (h === undefined) return {};
        const { maintenance: _old, ...record } = h.record;
        const next = { ...h, record: r.value.maintenance ? { ...record, maintenance: r.value.maintenance } : record };
        return { inventory: { ...s.inventory, hosts: { ...s.inventory.hosts, [hostId]: next } } };
      });
      get().notify({
        tone: 'info',
        message: on
          ? `${host.record.name} is in maintenance: no migration will go there. Evacuate it to move its VMs to other hosts.`
          : `${host.record.name} left maintenance: it takes migrations again.`,
      });
    },

    async openEvacuationPlan(hostId) {
      const host = get().inventory.hosts[hostId];
      if (host === undefined) return;
      patchEvac(() => ({ planDraft: { hostId, hostName: host.record.name, phase: 'loading', limits: DEFAULT_PLAN_LIMITS, changed: [] } }));
      await loadPlan(hostId, DEFAULT_PLAN_LIMITS);
    },

    async setEvacuationLimits(limits) {
      const d = get().evacuation.planDraft;
      if (d === null || d.phase === 'starting') return;
      await loadPlan(d.hostId, limits, d.plan, d.changed);
    },

    editPlanRow(vm, change) {
      const d = get().evacuation.planDraft;
      if (d?.plan === undefined || d.phase !== 'ready') return;
      const plan = d.plan;
      const row = plan.rows.find((r) => r.vm === vm);
      if (row === undefined) return;
      const next = changeRow(row, change);
      // A change that is not allowed leaves the row as it was, and the row is not counted as changed.
      if (next === row) return;
      patchDraft(d.hostId, () => ({
        plan: { ...plan, rows: plan.rows.map((r) => (r === row ? next : r)) },
        changed: d.changed.includes(vm) ? d.changed : [...d.changed, vm],
      }));
    },

    closeEvacuationPlan() {
      patchEvac(() => ({ planDraft: null }));
    },

    async startEvacuation() {
      const d = get().evacuation.planDraft;
      if (d?.plan === undefined || d.phase !== 'ready') return;
      patchDraft(d.hostId, ({ error: _e, ...x }) => ({ ...x, phase: 'starting' }));
      const r = await call(deps.api, evacuationStart, { plan: d.plan });
      if (!r.ok) {
        patchDraft(d.hostId, () => ({ phase: 'ready', error: r.error }));
        return;
      }
      patchEvac(() => ({ planDraft: null, openId: r.value.id }));
      get().notify({ tone: 'info', message: `Evacuating ${d.hostName}.` });
    },

    watchEvacuations() {
      return watchAll();
    },

    openEvacuation(id) {
      patchEvac(() => ({ openId: id }));
      // The evacuation view takes the place of the migration view (a row's link opens that one again).
      if (id !== null) set((s) => (s.migration.openRunId === null ? {} : { migration: { ...s.migration, openRunId: null } }));
    },

    async controlEvacuation(id, action) {
      if (get().evacuation.controlling[id] !== undefined) return;
      patchEvac((e) => ({ controlling: { ...e.controlling, [id]: action } }));
      const r = await call(deps.api, evacuationControl, { id, action });
      patchEvac((e) => {
        const { [id]: _done, ...rest } = e.controlling;
        return { controlling: rest };
      });
      if (!r.ok) get().notifyError(r.error, 'The evacuation did not take the change');
    },

    async exportEvacuation(id, format) {
      if (get().evacuation.exporting !== undefined) return undefined;
      patchEvac(() => ({ exporting: format }));
      const r = await call(deps.api, evacuationExport, { id, format });
      patchEvac(() => ({ exporting: undefined }));
      if (!r.ok) {
        get().notifyError(r.error, 'The evacuation report was not made');
        return undefined;
      }
      const v = r.value;
      get().notify({ tone: 'info', message: v.delivery === 'download' ? `Downloaded ${v.fileName} (${v.bytes.toLocaleString('en')} bytes).` : v.delivery === 'saved' ? `Saved to ${v.path}.` : 'Export cancelled.' });
      return v;
    },
  };
};
