// The dev fake serves the whole contract through main's IPC core: every request in REQUESTS answers a valid,
// successful result for a valid input (none is `ipc.unknown-channel`, none a bad answer turned `ipc.internal`), and
// every stream in STREAMS opens with a valid first event; what the core refuses (an unknown channel, bad input) it
// refuses in the fake too, and the fake's migrations run on main's handlers (records, samples, verdicts).
import { afterEach, describe, expect, it } from 'vitest';
import { REQUESTS, STREAMS } from '../../shared/ipc/contract';
import * as c from '../../shared/ipc/contract';
import type { MigrationWatchEvent } from '../../shared/migration/record-schema';
import { pathCheck } from '../../shared/ipc/path-contract';
import { auditHost, auditTroubleshoot } from '../../shared/ipc/audit-contract';
import { tuningApply, tuningHistory, tuningPlan, tuningUndo } from '../../shared/ipc/tuning-contract';
import { reportsExport, reportsGet, reportsImport, reportsList } from '../../shared/ipc/reports-contract';
import { evacuationControl, evacuationExport, evacuationPlan, evacuationStart, evacuationsWatch, setMaintenance } from '../../shared/ipc/evacuation-contract';
import type { EvacuationView } from '../../shared/evacuation/schema';
import type { AnyStream, RequestDef } from '../../shared/ipc/define';
import { createFakeApi, type FakeApi } from '../../renderer/src/dev/fakeApi';
import { until } from '../support/wait';

let api: FakeApi | undefined;
afterEach(() => api?.dispose());

/** Every VM of a host running, so a plan has live rows whatever the seed made. */
function runningOn(fake: FakeApi, hostId: string): void {
  const h = fake.hosts.get(hostId);
  if (h) fake.hosts.set(hostId, { ...h, vms: (h.vms ?? []).map((v) => ({ ...v, state: 'running' as const })) });
}

function setup() {
  api = createFakeApi({ latencyMs: 0, tickMs: 0, vmsPerHost: [2, 2, 1] });
  const hosts = [...api.hosts.values()];
  const [a, b] = hosts.map((h) => h.record.id);
  const vm = hosts[0]?.vms?.[0]?.name;
  if (a === undefined || b === undefined || vm === undefined) throw new Error('the fake seeds hvA, hvB with VMs');
  return { api, a, b, vm };
}

describe('the dev fake over the IPC core', () => {
  it('answers every request of the contract with a valid result', async () => {
    const { api, a, b, vm } = setup();
    const answers = new Map<string, unknown>();
    /** One call as the renderer makes it; the answer must be ok and must parse against the channel's own schema. */
    async function call<I, O>(def: RequestDef<I, O>, input: I): Promise<O> {
      const r = await api.invoke(def, input);
      if (!r.ok) throw new Error(`${def.id} answered ${r.error.code}: ${r.error.message}`);
      answers.set(def.id, r.value);
      return def.output.parse(r.value);
    }
    const target = { vm, sourceHostId: a, destinationHostId: b, options: { live: true, p2p: true } };

    await call(c.appInfo, {});
    await call(c.hostsList, {});
    const tested = await call(c.hostsTest, { draft: { name: 'hvN', address: '10.77.5.5', port: 22, user: 'root', auth: { kind: 'agent' } } });
    expect(tested.outcome).toBe('host-key-unknown');
    if (tested.outcome !== 'host-key-unknown') return;
    await call(c.hostsTrustKey, tested.key);
    const added = await call(c.hostsAdd, { draft: { name: 'hvN', address: '10.77.5.5', port: 22, user: 'root', auth: { kind: 'agent' } } });
    await call(c.hostsUpdate, { id: added.id, draft: { name: 'hvN2', address: '10.77.5.5', port: 22, user: 'root', auth: { kind: 'agent' } } });
    await call(c.hostsRefresh, {});
    await call(c.hostsUnlock, { id: added.id, passphrase: 'secret' });
    await call(c.hostsRemove, { id: added.id });
    expect((await call(c.sshConfigImport, {})).candidates.length).toBeGreaterThan(0);
    await call(c.settingsGet, {});
    expect(await call(c.settingsSet, { refreshIntervalSec: 30 })).toMatchObject({ refreshIntervalSec: 30 });

    expect((await call(c.migrationsPlan, target)).commandLine).toContain(`'--domain'`);
    expect((await call(c.migrationsPreflight, target)).map((k) => k.status)).not.toContain('fail');
    // web-01's replayed run (vmd at 8 MiB/s with auto-converge, 256 MiB) gives the working set; the VM asked about
    // has no run yet, so its inputs say so.
    const webInputs = await call(c.migrationsPredictInputs, { vm: 'web-01', sourceHostId: a, destinationHostId: b });
    expect(webInputs.workingSetBytes?.value).toBeGreaterThan(20 * 1024 * 1024);
    expect(webInputs.memoryBytes?.source).toBe('domain');
    expect((await call(c.migrationsPredictInputs, { vm, sourceHostId: a, destinationHostId: b })).notes.join(' ')).toMatch(/No earlier run/);
    const started = await call(c.migrationsStart, target);
    await call(c.migrationsControl, { id: started.id, action: 'setSpeed', value: 8 });
    expect((await call(c.migrationsList, {})).map((r) => r.vm)).toEqual(expect.arrayContaining(['web-01', 'db-busy', 'db-split', vm]));
    expect((await call(c.migrationsGet, { id: started.id })).record).toMatchObject({ vm, state: 'running', limits: { bandwidthMiBps: 8 } });
    const trial = await call(c.migrationsTrial, { vm, sourceHostId: a, destinationHostId: b, passes: 2 });
    expect(trial).toMatchObject({ outcome: 'aborted', stoppedBy: 'passes', passesSeen: 3 });
    if (trial.outcome === 'aborted') expect((await call(c.migrationsGet, { id: trial.id })).record).toMatchObject({ purpose: 'trial', state: 'aborted' });
    await call(c.profilesList, {});
    await call(c.profilesSave, { name: 'Night copy', options: { live: true, p2p: true, bandwidthMiBps: 40 }, replace: false });
    await call(c.profilesRemove, { id: 'night-copy' });

    const report = await call(pathCheck, { sourceHostId: a, destinationHostId: b });
    expect(report.flags.map((f) => f.id)).toContain('path-mtu-drop');
    const audit = await call(auditHost, { hostId: a, peerHostId: b, vm });
    expect(audit.findings.length).toBeGreaterThan(5);
    await call(auditTroubleshoot, { hostId: a, vm });
    const plan = await call(tuningPlan, { hostId: a, peerHostId: b });
    const change = plan.changes.find((x) => x.blocked === undefined);
    if (change === undefined) throw new Error('the fake plan proposes no change');
    const applied = await call(tuningApply, { hostId: a, planId: plan.id, changeIds: [change.id], persist: true });
    expect((await call(tuningHistory, { hostId: a })).map((s) => s.id)).toEqual([applied.changeSetId]);
    await call(tuningUndo, { hostId: a, changeSetId: applied.changeSetId });

    const list = await call(reportsList, {});
    const web = list.items.find((i) => i.record.vm === 'web-01');
    if (web === undefined) throw new Error('web-01 is not in the history');
    const ref = { origin: 'journal' as const, id: web.record.id };
    expect((await call(reportsGet, ref)).samples.length).toBeGreaterThan(10);
    const exported = await call(reportsExport, { refs: [ref], format: 'json' });
    if (exported.delivery !== 'download') throw new Error('the fake is web mode: exports are downloads');
    expect((await call(reportsImport, { text: exported.data, fileName: 'web-01.json' })).imported).toEqual([{ origin: 'imported', id: web.record.id }]);

    // Evacuation: hvB in maintenance is offered to nobody; hvA's running VMs go to hvC, as ordinary migrations.
    runningOn(api, a);
    expect((await call(setMaintenance, { hostId: b, on: true })).maintenance?.since).toBeDefined();
    const evacPlan = await call(evacuationPlan, { hostId: a });
    expect(evacPlan.rows.map((r) => r.candidates.find((k) => k.hostId === b)?.refusal)).toEqual(evacPlan.rows.map(() => 'in maintenance'));
    const evac = await call(evacuationStart, { plan: evacPlan });
    await call(evacuationControl, { id: evac.id, action: 'pause' });
    const evacReport = await call(evacuationExport, { id: evac.id, format: 'json' });
    expect(evacReport.delivery === 'download' && JSON.parse(evacReport.data)).toMatchObject({ schema: 'ferry.evacuation-report/1', evacuation: { id: evac.id, state: 'paused' } });
    // HTML by main's builder (a row per VM); PDF refused with the reason, as the fake's migration reports are.
    const evacHtml = await call(evacuationExport, { id: evac.id, format: 'html' });
    expect(evacHtml).toMatchObject({ mimeType: 'text/html' });
    for (const r of evacPlan.rows) expect(evacHtml.delivery === 'download' && evacHtml.data).toContain(r.vm);
    const evacPdf = await api.invoke(evacuationExport, { id: evac.id, format: 'pdf' });
    expect(evacPdf.ok === false && evacPdf.error.message).toContain('makes no PDFs');
    await call(evacuationControl, { id: evac.id, action: 'abort-all' });

    // Every request of the contract was called above, and answered.
    expect(REQUESTS.map((d) => d.id).filter((id) => !answers.has(id))).toEqual([]);
  });

  it('opens every stream of the contract with a valid first event, and ends it on unsubscribe', async () => {
    const { api } = setup();
    for (const def of STREAMS as readonly AnyStream[]) {
      const events: unknown[] = [];
      const ends: unknown[] = [];
      const stop = api.subscribe(def, {} as never, (e) => events.push(e), (e) => ends.push(e ?? 'ended'));
      await until(() => events.length > 0, `the first event of ${def.id}`);
      expect(ends).toEqual([]);
      expect(def.event.safeParse(events[0]).success).toBe(true);
      expect(events[0]).toMatchObject(def.id === evacuationsWatch.id ? { evacuations: [] } : { type: 'snapshot' });
      stop();
      expect(api.core.subscriptionCount()).toBe(0);
    }
  });

  it('refuses an unknown channel and bad input as main does', async () => {
    const { api } = setup();
    expect(await api.core.invoke('ferry.nothing', {})).toMatchObject({ ok: false, error: { code: 'ipc.unknown-channel' } });
    expect(await api.invoke(c.hostsRemove, { id: '' })).toMatchObject({ ok: false, error: { code: 'ipc.bad-payload' } });
    const ended: unknown[] = [];
    api.subscribe({ ...c.inventoryWatch, id: 'ferry.nothing.watch' } as never, {}, () => undefined, (e) => ended.push(e));
    await until(() => ended.length > 0, 'the refusal of an unknown stream');
    expect(ended[0]).toMatchObject({ code: 'ipc.unknown-channel' });
  });

  it('runs a migration on main’s handlers: samples replayed from the lab stream with verdicts, abort ends it', async () => {
    api = createFakeApi({ latencyMs: 0, tickMs: 0, migrationTickMs: 1, vmsPerHost: [1, 1, 1] });
    const fake = api;
    const [a, b] = [...fake.hosts.keys()];
    const events: MigrationWatchEvent[] = [];
    const stop = fake.subscribe(c.migrationsWatch, {}, (e) => events.push(e));
    const started = await fake.invoke(c.migrationsStart, { sourceHostId: a!, destinationHostId: b!, vm: 'vm-x', options: { live: true, p2p: true, bandwidthMiBps: 8 } });
    if (!started.ok) throw new Error(started.error.message);
    const id = started.value.id;
    await until(() => events.filter((e) => e.type === 'sample' && e.id === id && e.sample.verdict !== undefined).length >= 3, 'three samples with a verdict');
    expect((await fake.invoke(c.migrationsControl, { id, action: 'abort' })).ok).toBe(true);
    await until(() => events.some((e) => e.type === 'record' && e.record.id === id && e.record.state === 'aborted'), 'the aborted record');
    stop();
  });

  it('runs an evacuation under the limits: never more than 2 at once, every VM ends on another host, none in maintenance', async () => {
    api = createFakeApi({ latencyMs: 0, tickMs: 0, migrationTickMs: 1, vmsPerHost: [6, 1, 1] });
    const fake = api;
    const [a, b, cc] = [...fake.hosts.keys()];
    if (a === undefined || b === undefined || cc === undefined) throw new Error('the fake seeds three hosts');
    runningOn(fake, a);
    const views: EvacuationView[] = [];
    const stop = fake.subscribe(evacuationsWatch, {}, (e) => views.push(...e.evacuations));
    expect((await fake.invoke(setMaintenance, { hostId: a, on: true })).ok).toBe(true);
    const plan = await fake.invoke(evacuationPlan, { hostId: a });
    if (!plan.ok) throw new Error(plan.error.message);
    expect(plan.value.rows).toHaveLength(6);
    expect(plan.value.estimateMs).toBeGreaterThan(0);
    const started = await fake.invoke(evacuationStart, { plan: plan.value });
    if (!started.ok) throw new Error(started.error.message);
    await until(() => views.some((v) => v.state === 'ended'), 'the evacuation ends');
    const last = views.filter((v) => v.id === started.value.id).at(-1);
    expect(last).toMatchObject({ outcome: 'completed' });
    expect(last?.rows.every((r) => r.runState === 'done' && r.migrationId !== undefined)).toBe(true);
    expect(Math.max(...views.map((v) => v.rows.filter((r) => r.runState === 'running').length))).toBe(2);
    expect(fake.hosts.get(a)?.vms).toEqual([]);
    expect([...(fake.hosts.get(b)?.vms ?? []), ...(fake.hosts.get(cc)?.vms ?? [])]).toHaveLength(8);
    // A plan onto a host in maintenance is refused whole.
    const back = await fake.invoke(evacuationPlan, { hostId: b });
    if (!back.ok) throw new Error(back.error.message);
    expect(back.value.rows.every((r) => r.destinationId === cc)).toBe(true);
    const forced = { ...back.value, rows: back.value.rows.map((r) => ({ ...r, destinationId: a })) };
    expect(await fake.invoke(evacuationStart, { plan: forced })).toMatchObject({ ok: false, error: { code: 'input.invalid' } });
    stop();
  });
});
