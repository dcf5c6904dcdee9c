// Host evacuation in the renderer, over the dev fake (main's own migration handlers behind it): maintenance mode marks
// the host and makes it a destination for nobody (drag-and-drop, the migrate dialog, the plan), the plan dialog shows
// the rows needing a decision first and takes the admin's changes only where they are allowed, the run is followed in
// the evacuation view with its controls, links and exports. Components are rendered from the store as it stands.
import { createElement, type FunctionComponent } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeApi, type FakeApi } from '../../renderer/src/dev/fakeApi';
import { createFerryStore, type FerryStore } from '../../renderer/src/store';
import { dropRefusal } from '../../renderer/src/store/migrationSlice';
import { StoreProvider } from '../../renderer/src/store/react';
import { HostHeader } from '../../renderer/src/features/host/HostHeader';
import { PlanBody } from '../../renderer/src/features/evacuate/PlanBody';
import { EvacuationView } from '../../renderer/src/features/evacuate/EvacuationView';
import { EvacuationTray } from '../../renderer/src/features/evacuate/EvacuationTray';
import { actionsFor, changeRow, countRows, planEstimate, profileOf, progressOf, startBlockers } from '../../renderer/src/features/evacuate/evacuationView';
import { BUILT_IN_PROFILES, validateMigrationOptions } from '../../shared/migration/options';
import type { VmSummary } from '../../shared/inventory/types';
import { evacuationPlan } from '../../shared/ipc/evacuation-contract';
import type { FerryApi } from '../../renderer/src/store/ports';
import { until } from '../support/wait';

const GiB = 1024 ** 3;
let api: FakeApi | undefined;
afterEach(() => api?.dispose());

/** What a component shows for the store as it is now (a server render reads the initial state: it is given the current). */
function render<P extends object>(store: FerryStore, component: FunctionComponent<P>, props: P = {} as P): string {
  return renderToStaticMarkup(createElement(StoreProvider, { store: { ...store, getInitialState: () => store.getState() }, children: createElement(component, props) }));
}

/** hvA with four known VMs: two that move, one stopped with a definition, one no host has room for. */
const HVA_VMS: VmSummary[] = [
  { name: 'web-1', state: 'running', memoryBytes: 2 * GiB, persistent: true },
  { name: 'db-busy', state: 'running', memoryBytes: 4 * GiB, persistent: true },
  { name: 'old-1', state: 'shut-off', memoryBytes: 1 * GiB, persistent: true },
  { name: 'huge', state: 'running', memoryBytes: 4096 * GiB, persistent: false },
];

async function setup(migrationTickMs = 0) {
  api = createFakeApi({ latencyMs: 0, tickMs: 0, migrationTickMs, vmsPerHost: [4, 1, 1] });
  const [a, b, c] = [...api.hosts.keys()] as [string, string, string];
  const hvA = api.hosts.get(a)!;
  api.hosts.set(a, { ...hvA, vms: HVA_VMS });
  const store = createFerryStore(api);
  store.getState().watchInventory();
  store.getState().watchMigrations();
  store.getState().watchEvacuations();
  await until(() => Object.keys(store.getState().inventory.hosts).length === 3, 'the fake inventory');
  return { api, store, a, b, c };
}

describe('maintenance mode', () => {
  it('marks the host, shows the badge, and makes it a destination for nobody, with the reason', async () => {
    const { store, a, b } = await setup();
    await store.getState().setMaintenance(b, true);
    const hvB = store.getState().inventory.hosts[b]!;
    expect(hvB.record.maintenance?.since).toBeDefined();
    expect(store.getState().notices.at(-1)?.message).toMatch(/hvB is in maintenance.*Evacuate it/);
    const header = render(store, HostHeader, { id: b, titleId: 't' });
    expect(header).toContain('data-testid="maintenance-badge"');
    expect(header).toMatch(/aria-pressed="true"[^>]*>Maintenance mode/);
    // The suggested next step: Evacuate is the primary button now.
    expect(header).toMatch(/class="button button--primary"[^>]*>Evacuate…/);

    const refusal = dropRefusal(a, hvB);
    expect(refusal).toBe('hvB is in maintenance: it takes no migrations until it leaves maintenance.');
    // Dropped on it anyway: the dialog opens without that destination.
    store.getState().openMigrate(`${a}/web-1`, b);
    expect(store.getState().migration.draft?.destinationHostId).toBeNull();

    await store.getState().setMaintenance(b, false);
    expect(store.getState().inventory.hosts[b]!.record.maintenance).toBeUndefined();
    expect(dropRefusal(a, store.getState().inventory.hosts[b])).toBeNull();
    expect(render(store, HostHeader, { id: b, titleId: 't' })).not.toContain('maintenance-badge');
  });
});

describe('the plan dialog', () => {
  it('lists the rows needing a decision first, with the reason, and refuses hosts in maintenance per row', async () => {
    const { store, a, b, c } = await setup();
    await store.getState().setMaintenance(b, true);
    await store.getState().openEvacuationPlan(a);
    const d = store.getState().evacuation.planDraft!;
    expect(d).toMatchObject({ phase: 'ready', limits: { perSource: 2, perDestination: 2 } });
    const rows = d.plan!.rows;
    expect(rows.at(-1)?.vm).toBe('web-1');
    expect(Object.fromEntries(rows.slice(0, 3).map((r) => [r.vm, r.problem?.kind]))).toEqual({ 'db-busy': 'will-not-converge', 'old-1': 'stopped', huge: 'no-destination' });
    expect(rows.every((r) => r.candidates.find((x) => x.hostId === b)?.refusal === 'in maintenance')).toBe(true);
    expect(rows.find((r) => r.vm === 'web-1')).toMatchObject({ destinationId: c, action: 'live' });

    const html = render(store, PlanBody);
    expect(html).toContain('aria-label="Destination for web-1"');
    expect(html).toContain(`<option value="${b}" disabled="">hvB — in maintenance</option>`);
    expect(html.match(/evac-row evac-row--problem/g)).toHaveLength(3);
    expect(html).toContain('3 VMs need your decision');
    expect(html).toContain('data-testid="evacuation-estimate"');
    expect(html).toMatch(/Start evacuation/);
  });

  it('takes the admin’s changes where allowed, keeps them when the limits change, and starts nothing with a row that has nowhere to go', async () => {
    const { store, a, b, c } = await setup();
    await store.getState().openEvacuationPlan(a);
    const rowOf = (vm: string) => store.getState().evacuation.planDraft!.plan!.rows.find((r) => r.vm === vm)!;
    // A stopped VM cannot move live; a running one can be shut down; a host that refuses is not taken.
    store.getState().editPlanRow('old-1', { action: 'live' });
    expect(rowOf('old-1').action).toBe('offline');
    store.getState().editPlanRow('db-busy', { action: 'shutdown' });
    expect(rowOf('db-busy').action).toBe('shutdown');
    const other = rowOf('web-1').destinationId === b ? c : b;
    store.getState().editPlanRow('web-1', { destinationId: other });
    expect(rowOf('web-1').destinationId).toBe(other);
    // The estimate follows the changes (the refused one to old-1 is none): db-busy shut down leaves web-1 (21 s)
    // and old-1 (no prediction, 60 s), one after the other into the same host or side by side: 60 s either way.
    expect(render(store, PlanBody)).toMatch(/about 1 min 0[0-9] s with your changes to 2 rows, 1 VM without a prediction counted at 1 min 00 s/);
    store.getState().editPlanRow('huge', { action: 'live' });
    expect(startBlockers(store.getState().evacuation.planDraft!.plan!)).toEqual(['huge: choose a destination, or skip it']);
    expect(render(store, PlanBody)).toMatch(/disabled="">Start evacuation/);
    await store.getState().startEvacuation();
    expect(store.getState().evacuation.openId).toBeNull();

    await store.getState().setEvacuationLimits({ perSource: 1, perDestination: 2 });
    const d = store.getState().evacuation.planDraft!;
    expect(d.plan!.limits).toEqual({ perSource: 1, perDestination: 2 });
    expect(d.plan!.estimateText).toMatch(/under 1 per source/);
    expect([rowOf('db-busy').action, rowOf('web-1').destinationId, rowOf('huge').action]).toEqual(['shutdown', other, 'live']);
  });

  it('offers post-copy after the first pass per live row, suggested where the VM will not converge, and says so in the row and the estimate', async () => {
    const { store, a } = await setup();
    await store.getState().openEvacuationPlan(a);
    const rowOf = (vm: string) => store.getState().evacuation.planDraft!.plan!.rows.find((r) => r.vm === vm)!;
    const before = rowOf('db-busy');
    expect(before.problem?.kind).toBe('will-not-converge');
    let html = render(store, PlanBody);
    expect(html).toMatch(/Post-copy after the first pass would finish it/);
    expect(html).toContain('aria-label="Post-copy for db-busy"');
    // A stopped row moves offline: no post-copy for it.
    expect(html).not.toContain('aria-label="Post-copy for old-1"');

    store.getState().editPlanRow('db-busy', { postcopy: true });
    const after = rowOf('db-busy');
    expect(after.options).toEqual({ ...before.options, postcopy: true, postcopyAfterPrecopy: true });
    expect(validateMigrationOptions(after.options).filter((p) => p.severity === 'error')).toEqual([]);
    html = render(store, PlanBody);
    expect(html).not.toMatch(/would finish it/);
    expect(html).toMatch(/aria-label="Post-copy for db-busy" checked=""/);
    expect(html).toMatch(/title="ends in post-copy after the first pass \(pre-copy alone: [^"]+\)"/);
    expect(html).toMatch(/with your changes to 1 row, 1 VM ending in post-copy after the first pass/);
    expect(planEstimate(store.getState().evacuation.planDraft!.plan!).postcopy).toBe(1);

    // Off again: the options the row came with; on once more, and the run view says it.
    store.getState().editPlanRow('db-busy', { postcopy: false });
    expect(rowOf('db-busy').options).toEqual(before.options);
    store.getState().editPlanRow('db-busy', { postcopy: true });
    store.getState().editPlanRow('huge', { action: 'skip' });
    await store.getState().startEvacuation();
    const id = store.getState().evacuation.openId!;
    expect(store.getState().evacuation.list[id]?.rows.find((r) => r.vm === 'db-busy')?.options).toMatchObject({ postcopy: true, postcopyAfterPrecopy: true });
    expect(render(store, EvacuationView, { id })).toMatch(/Live migrate, post-copy/);
    await store.getState().controlEvacuation(id, 'abort-all');
  });

  it('shows the plan for the limits last asked for when an older answer arrives after it', async () => {
    const { a } = await setup();
    // The answer for 3 and 3 is held until the one for 1 and 2 has landed.
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    const inner = api!;
    const slow: FerryApi = {
      subscribe: inner.subscribe.bind(inner),
      invoke: async (def, input) => {
        const r = await inner.invoke(def, input);
        if (def.id === evacuationPlan.id && (input as { limits?: { perSource: number } }).limits?.perSource === 3) await held;
        return r;
      },
    };
    const slowStore = createFerryStore(slow);
    slowStore.getState().watchInventory();
    await until(() => slowStore.getState().inventory.hosts[a] !== undefined, 'the inventory');
    await slowStore.getState().openEvacuationPlan(a);
    const first = slowStore.getState().setEvacuationLimits({ perSource: 3, perDestination: 3 });
    await slowStore.getState().setEvacuationLimits({ perSource: 1, perDestination: 2 });
    release();
    await first;
    expect(slowStore.getState().evacuation.planDraft).toMatchObject({ phase: 'ready', limits: { perSource: 1 }, plan: { limits: { perSource: 1, perDestination: 2 } } });
  });

  it('has pure row rules: the actions a VM may take, and a change to a refused host ignored', () => {
    expect(actionsFor({ state: 'running', persistent: false })).toEqual(['live', 'skip', 'shutdown']);
    expect(actionsFor({ state: 'shut-off', persistent: true })).toEqual(['offline', 'skip']);
    expect(actionsFor({ state: 'shut-off', persistent: false })).toEqual(['skip']);
    const row = { vm: 'v', state: 'running' as const, persistent: true, candidates: [{ hostId: 'x', hostName: 'X', refusal: 'in maintenance' }, { hostId: 'y', hostName: 'Y' }], action: 'live' as const, options: {}, destinationId: 'y' };
    expect(changeRow(row, { destinationId: 'x' }).destinationId).toBe('y');
    expect(changeRow(row, { destinationId: 'nowhere' }).destinationId).toBe('y');
    expect(changeRow(row, { action: 'offline' }).action).toBe('live');
    // Post-copy drops parallel connections (QEMU cannot combine them) so the row stays valid; a skipped row takes none.
    const parallel = { ...row, options: { live: true, parallel: true, parallelConnections: 4 } };
    expect(changeRow(parallel, { postcopy: true }).options).toEqual({ live: true, postcopy: true, postcopyAfterPrecopy: true });
    expect(changeRow({ ...row, action: 'skip' }, { postcopy: true }).options).toEqual({});
  });

  it('names the options by the profile they came from and what differs, not "custom"', () => {
    const lan = BUILT_IN_PROFILES[0]!.options;
    const { persistent: _p, undefineSource: _u, ...transient } = lan;
    const row = { vm: 'v', state: 'running' as const, candidates: [], action: 'live' as const, destinationId: 'y' };
    expect(profileOf({ ...row, persistent: true, options: lan })).toBe('Fast LAN');
    expect(profileOf({ ...row, persistent: false, options: transient })).toBe('Fast LAN, transient');
    expect(profileOf(changeRow({ ...row, persistent: false, options: transient }, { postcopy: true }))).toBe('Fast LAN, transient, post-copy');
    expect(profileOf({ ...row, persistent: true, options: { live: true } })).toBe('custom');
    expect(profileOf({ ...row, persistent: false, action: 'skip', options: {} })).toBe('—');
    expect(profileOf({ ...row, persistent: true, options: { live: true }, prediction: { converges: 'yes', text: 't', profile: 'WAN + TLS' } })).toBe('WAN + TLS');
  });

  it('draws only the visible rows of a plan, and of its run, with thousands of VMs', async () => {
    const { store, a } = await setup();
    const many = Array.from({ length: 3000 }, (_, i): VmSummary => ({ name: `vm-${i}`, state: 'running', memoryBytes: GiB / 8, persistent: true }));
    api!.emit({ type: 'host', host: { ...api!.hosts.get(a)!, vms: many } });
    api!.hosts.set(a, { ...api!.hosts.get(a)!, vms: many });
    await store.getState().openEvacuationPlan(a);
    expect(store.getState().evacuation.planDraft!.plan!.rows).toHaveLength(3000);
    const drawn = render(store, PlanBody).match(/role="row" aria-rowindex/g) ?? [];
    expect(drawn.length).toBeLessThan(100);
    // The run of it too: its view draws only the visible rows.
    await store.getState().startEvacuation();
    const id = store.getState().evacuation.openId!;
    await until(() => store.getState().evacuation.list[id] !== undefined, 'the evacuation in the list');
    expect(store.getState().evacuation.list[id]!.rows).toHaveLength(3000);
    expect((render(store, EvacuationView, { id }).match(/role="row" aria-rowindex/g) ?? []).length).toBeLessThan(100);
    await store.getState().controlEvacuation(id, 'abort-all');
  });
});

describe('the evacuation view', () => {
  it('follows the run: counts, progress, a link to each migration’s live view, pause and resume, abort all', async () => {
    const { store, a } = await setup();
    await store.getState().openEvacuationPlan(a);
    await store.getState().startEvacuation();
    const id = store.getState().evacuation.openId!;
    expect(store.getState().evacuation.planDraft).toBeNull();
    await until(() => store.getState().evacuation.list[id]?.rows.some((r) => r.runState === 'running' && r.migrationId !== undefined) === true, 'a row running');
    const view = store.getState().evacuation.list[id]!;
    // db-busy (will not converge) and web-1 live, old-1 offline: 3 move, 2 at once from hvA; huge is skipped.
    expect(countRows(view)).toMatchObject({ running: 2, queued: 1, skipped: 1 });
    expect(progressOf(view)).toBe(0.25);

    const html = render(store, EvacuationView, { id });
    expect(html).toContain('Evacuation of hvA');
    expect(html).toMatch(/data-testid="count-running">2</);
    expect(html).toMatch(/aria-label="Live view of [a-z0-9-]+"/);
    expect(html).toContain('Abort all…');
    expect(html).toContain('aria-label="Export this evacuation as PDF"');
    expect(render(store, EvacuationTray)).toMatch(/Evacuating hvA/);
    expect(render(store, HostHeader, { id: a, titleId: 't' })).toContain('Evacuation of hvA');

    const running = view.rows.find((r) => r.runState === 'running')!;
    store.getState().openRun(running.migrationId!);
    expect(store.getState().migration.openRunId).toBe(running.migrationId);
    expect(store.getState().evacuation.openId).toBe(id);

    await store.getState().controlEvacuation(id, 'pause');
    await until(() => store.getState().evacuation.list[id]?.state === 'paused', 'paused');
    expect(render(store, EvacuationView, { id })).toContain('Paused (running ones finish, nothing new starts)');
    await store.getState().controlEvacuation(id, 'resume');
    await until(() => store.getState().evacuation.list[id]?.state === 'running', 'running again');

    const exported = await store.getState().exportEvacuation(id, 'json');
    expect(exported?.delivery === 'download' && JSON.parse(exported.data)).toMatchObject({ evacuation: { id, hostName: 'hvA' } });
    expect(store.getState().notices.at(-1)?.message).toMatch(/^Downloaded evacuation-hvA/);

    await store.getState().controlEvacuation(id, 'abort-all');
    await until(() => store.getState().evacuation.list[id]?.state === 'ended', 'the evacuation ends');
    expect(store.getState().evacuation.list[id]).toMatchObject({ outcome: 'aborted' });
    expect(countRows(store.getState().evacuation.list[id]!)).toMatchObject({ running: 0, queued: 0, cancelled: 1, failed: 2 });
    expect(render(store, EvacuationView, { id })).not.toContain('Abort all…');
    const header = render(store, HostHeader, { id: a, titleId: 't' });
    expect(header).toContain('Last evacuation');
    expect(header).toContain('Evacuate…');
  });

  it('runs to the end under the limits: every moving VM ends on another host', async () => {
    const { store, a } = await setup(1);
    await store.getState().openEvacuationPlan(a);
    store.getState().editPlanRow('db-busy', { action: 'skip' });
    await store.getState().startEvacuation();
    const id = store.getState().evacuation.openId!;
    await until(() => store.getState().evacuation.list[id]?.state === 'ended', 'the evacuation ends');
    expect(store.getState().evacuation.list[id]).toMatchObject({ outcome: 'completed' });
    await until(() => store.getState().inventory.hosts[a]?.vms?.length === 2, 'hvA keeps only the skipped VMs');
    expect(store.getState().inventory.hosts[a]!.vms!.map((v) => v.name).sort()).toEqual(['db-busy', 'huge']);
    expect(render(store, EvacuationTray)).toBe('');
  });
});
