// The evacuation runner over a stand-in engine and an injected clock: the plan re-checked whole before anything
// starts, the limits never exceeded, quickest first, one failure never stopping the rest, the controls, and a
// restart from the journal mid-run with nothing run twice and nothing lost.
import { afterEach, describe, expect, it } from 'vitest';
import { ok, err } from '../../shared/result';
import { ferryError } from '../../shared/errors';
import { evacuationViewSchema } from '../../shared/evacuation/schema';
import { EvacuationJournal } from '../../electron/main/evacuation/journal';
import { EvacuationService, rowEndOf, type EvacuationServiceDeps } from '../../electron/main/evacuation/runner';
import { until } from '../support/wait';
import { labHosts, planOf, planRow, StandInEngine, tempDirs } from './evacuation-fakes';

const newDir = tempDirs('ferry-evac-run-');
const open: { service: EvacuationService; journal: EvacuationJournal }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    o.service.dispose();
    await o.journal.close();
  }
});

async function opened(dir: string, engine: StandInEngine, vms: readonly string[], more: Partial<EvacuationServiceDeps> = {}) {
  const journal = await EvacuationJournal.open({ dataDir: dir });
  let hosts = labHosts(vms);
  let n = 0;
  const clock = { t: 1000 };
  const service = new EvacuationService({
    journal,
    engine,
    history: { heads: async () => [] },
    hosts: () => hosts,
    shutdown: async () => ok(undefined),
    wallClock: () => clock.t,
    newId: () => `ev${++n}`,
    ...more,
  });
  open.push({ service, journal });
  return { journal, service, clock, setHosts: (h: typeof hosts) => (hosts = h) };
}

const view = (s: EvacuationService, id = 'ev1') => {
  const v = s.view(id);
  if (!v) throw new Error('no view');
  return evacuationViewSchema.parse(v);
};
const states = (s: EvacuationService, id = 'ev1') => Object.fromEntries(view(s, id).rows.map((r) => [r.vm, r.runState]));

describe('starting an evacuation', () => {
  it('refuses the whole plan with every reason, and starts nothing', async () => {
    const engine = new StandInEngine();
    const { service, setHosts, journal } = await opened(newDir(), engine, ['vm1', 'vm2', 'vm3']);
    const hosts = labHosts(['vm1', 'vm2']);
    setHosts(hosts.map((h) => (h.record.id === 'c' ? { ...h, record: { ...h.record, maintenance: { since: '2026-12-08T00:00:00Z' } } } : h)));
    const r = await service.start(planOf([planRow('vm1', 'c'), planRow('vm2', 'a'), planRow('vm3', 'b'), planRow('vm4', 'x', undefined, 'skip'), planRow('vm1', 'b', undefined, 'offline')]));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toContain('hvC is in maintenance');
    expect(r.error.message).toContain('vm2 would go to the host being evacuated');
    expect(r.error.message).toContain('vm3 is no longer on hvA');
    expect(r.error.message).toContain('vm1 is in the plan twice.');
    expect(r.error.message).toContain('vm1: its action is offline but its options lack --offline.');
    expect(engine.starts).toHaveLength(0);
    expect(journal.all()).toHaveLength(0);
  });

  it('runs under the limits, quickest first, a skip skipped, and ends completed', async () => {
    const engine = new StandInEngine();
    const vms = ['v1', 'v2', 'v3', 'v4', 'v5'];
    const { service } = await opened(newDir(), engine, vms);
    const r = await service.start(planOf([planRow('v1', 'b', 50_000), planRow('v2', 'c', 1000), planRow('v3', 'b', 2000), planRow('v4', 'c', 3000), planRow('v5', undefined, undefined, 'skip')], 2, 2));
    expect(r).toEqual({ ok: true, value: { id: 'ev1' } });
    await until(() => engine.running().length === 2);
    expect(engine.runningVms().sort()).toEqual(['v2', 'v3']);
    expect(states(service).v5).toBe('skipped');
    expect(view(service).etaMs).toBeGreaterThan(0);
    for (const vm of ['v2', 'v3', 'v4', 'v1']) {
      await until(() => engine.runningVms().includes(vm), vm);
      engine.complete(vm);
      expect(engine.running().length).toBeLessThanOrEqual(2);
    }
    await until(() => view(service).state === 'ended');
    expect(engine.peak.get('a')).toBe(2);
    expect(view(service)).toMatchObject({ outcome: 'completed' });
    expect(states(service)).toEqual({ v1: 'done', v2: 'done', v3: 'done', v4: 'done', v5: 'skipped' });
    expect(view(service).rows.find((x) => x.vm === 'v2')).toMatchObject({ totalTimeMs: 1000, downtimeMs: 20, migrationId: expect.any(String) });
    expect(engine.starts.map((s) => s.evacuationId)).toEqual(['ev1', 'ev1', 'ev1', 'ev1']);
  });

  it('one per destination: never two into the same host though the source allows more', async () => {
    const engine = new StandInEngine();
    const { service } = await opened(newDir(), engine, ['v1', 'v2', 'v3']);
    await service.start(planOf([planRow('v1', 'b', 1), planRow('v2', 'b', 2), planRow('v3', 'c', 3)], 3, 1));
    await until(() => engine.running().length === 2);
    expect(engine.runningVms().sort()).toEqual(['v1', 'v3']);
  });

  it('starts a post-copy row with its options as the plan gives them: the engine receives postcopy and postcopyAfterPrecopy', async () => {
    const engine = new StandInEngine();
    const { service } = await opened(newDir(), engine, ['v1', 'v2']);
    const postcopy = { ...planRow('v1', 'b', 1000), options: { live: true, p2p: true, postcopy: true, postcopyAfterPrecopy: true } };
    await service.start(planOf([postcopy, planRow('v2', 'c', 2000)]));
    await until(() => engine.starts.length === 2);
    expect(Object.fromEntries(engine.starts.map((s) => [s.vm, s.options]))).toEqual({
      v1: { live: true, p2p: true, postcopy: true, postcopyAfterPrecopy: true },
      v2: { live: true, p2p: true },
    });
  });
});

describe('failures', () => {
  it('a refused pre-flight, a failed start and a VM that vanished fail their rows with the reasons; the rest finish', async () => {
    const engine = new StandInEngine();
    const preflight: NonNullable<EvacuationServiceDeps['preflight']> = async ({ vm }) =>
      vm === 'v2' ? [{ check: 'cpu', title: 'CPU', status: 'fail', message: 'hvB lacks avx2.' }] : [{ check: 'cpu', status: 'pass', message: 'ok' }];
    const { service } = await opened(newDir(), engine, ['v1', 'v2', 'v3', 'v4'], { preflight });
    // v4's start fails in the engine (already migrating from another client).
    await engine.start({ vm: 'v4', source: { id: 'z', name: 'hvZ', address: 'z' }, destination: { id: 'b', name: 'hvB', address: 'b' }, options: {} });
    await service.start(planOf([planRow('v1', 'b', 1), planRow('v2', 'b', 2), planRow('v3', 'c', 3), planRow('v4', 'c', 4)], 4, 4));
    await until(() => engine.runningVms().includes('v3') && engine.runningVms().includes('v1'));
    engine.end(engine.idOf('v3'), { state: 'failed', message: 'v3 disappeared from hvA during the migration (destroyed or crashed).', wallMs: 0 });
    engine.complete('v1');
    await until(() => view(service).state === 'ended');
    const rows = Object.fromEntries(view(service).rows.map((r) => [r.vm, r]));
    expect(rows.v1?.runState).toBe('done');
    expect(rows.v2).toMatchObject({ runState: 'failed', reason: expect.stringContaining('hvB lacks avx2.') });
    expect(rows.v3).toMatchObject({ runState: 'failed', reason: expect.stringContaining('v3 disappeared from hvA') });
    expect(rows.v4).toMatchObject({ runState: 'failed', reason: 'v4 is already migrating.' });
    expect(view(service).outcome).toBe('partial');
  });

  it('a destination put in maintenance after the start fails the rows still to go there, and only those', async () => {
    const engine = new StandInEngine();
    const o = await opened(newDir(), engine, ['v1', 'v2', 'v3']);
    await o.service.start(planOf([planRow('v1', 'b', 1), planRow('v2', 'c', 2), planRow('v3', 'b', 3)], 1, 1));
    await until(() => engine.runningVms().includes('v1'));
    o.setHosts(labHosts(['v1', 'v2', 'v3']).map((h) => (h.record.id === 'b' ? { ...h, record: { ...h.record, maintenance: { since: 'now' } } } : h)));
    engine.complete('v1');
    await until(() => engine.runningVms().includes('v2'));
    engine.complete('v2');
    await until(() => view(o.service).state === 'ended');
    expect(states(o.service)).toEqual({ v1: 'done', v2: 'done', v3: 'failed' });
    expect(view(o.service).rows[2]?.reason).toContain('hvB is in maintenance');
  });

  it('a shutdown row shuts the VM down on the source and is done; a failed shutdown says why', async () => {
    const engine = new StandInEngine();
    const asked: string[] = [];
    const shutdown: EvacuationServiceDeps['shutdown'] = async (host, vm) => {
      asked.push(`${host.record.name}:${vm}`);
      return vm === 'v2' ? err(ferryError('libvirt.error', 'v2 did not shut down within 120 s.')) : ok(undefined);
    };
    const { service } = await opened(newDir(), engine, ['v1', 'v2'], { shutdown });
    await service.start(planOf([planRow('v1', undefined, undefined, 'shutdown'), planRow('v2', undefined, undefined, 'shutdown')]));
    await until(() => view(service).state === 'ended');
    expect(asked.sort()).toEqual(['hvA:v1', 'hvA:v2']);
    expect(view(service).rows.map((r) => [r.vm, r.runState, r.reason])).toEqual([
      ['v1', 'done', undefined],
      ['v2', 'failed', 'v2 did not shut down within 120 s.'],
    ]);
    expect(engine.starts).toHaveLength(0);
  });
});

describe("a row's result from its migration", () => {
  const rec = (message: string, errorMessage?: string) => ({
    id: 'm1',
    samples: [],
    events: [],
    state: 'failed' as const,
    end: { state: 'failed' as const, message, wallMs: 0, at: 1, reconciled: false, ...(errorMessage ? { error: ferryError('libvirt.error', errorMessage) } : {}) },
  });
  it("quotes the engine's sentence, and libvirt's error only when the sentence does not already", () => {
    expect(rowEndOf(rec('v1 is gone from hvA. libvirt said: boom.', 'boom.'))).toEqual({ runState: 'failed', migrationId: 'm1', reason: 'v1 is gone from hvA. libvirt said: boom.' });
    expect(rowEndOf(rec('Migration failed.', 'unable to connect'))).toMatchObject({ reason: 'Migration failed: unable to connect' });
  });
});

describe('controls', () => {
  it('pause lets the running finish and starts nothing; resume goes on', async () => {
    const engine = new StandInEngine();
    const { service } = await opened(newDir(), engine, ['v1', 'v2', 'v3']);
    await service.start(planOf([planRow('v1', 'b', 1), planRow('v2', 'c', 2), planRow('v3', 'b', 3)], 1, 1));
    await until(() => engine.runningVms().includes('v1'));
    expect(await service.control('ev1', 'pause')).toEqual({ ok: true, value: { id: 'ev1' } });
    engine.complete('v1');
    await until(() => states(service).v1 === 'done');
    expect(view(service).state).toBe('paused');
    expect(engine.running()).toHaveLength(0);
    expect(states(service).v2).toBe('queued');
    await service.control('ev1', 'resume');
    await until(() => engine.runningVms().includes('v2'));
  });

  it('cancel-rest cancels the queued rows; the running one finishes; outcome cancelled', async () => {
    const engine = new StandInEngine();
    const { service } = await opened(newDir(), engine, ['v1', 'v2', 'v3']);
    await service.start(planOf([planRow('v1', 'b', 1), planRow('v2', 'c', 2), planRow('v3', 'b', 3)], 1, 1));
    await until(() => engine.runningVms().includes('v1'));
    await service.control('ev1', 'cancel-rest');
    expect(states(service)).toEqual({ v1: 'running', v2: 'cancelled', v3: 'cancelled' });
    engine.complete('v1');
    await until(() => view(service).state === 'ended');
    expect(view(service).outcome).toBe('cancelled');
    expect(engine.starts).toHaveLength(1);
    expect((await service.control('ev1', 'resume')).ok).toBe(false);
  });

  it('abort-all also aborts the running migrations through the engine', async () => {
    const engine = new StandInEngine();
    const { service } = await opened(newDir(), engine, ['v1', 'v2', 'v3']);
    await service.start(planOf([planRow('v1', 'b', 1), planRow('v2', 'c', 2), planRow('v3', 'b', 3)], 2, 2));
    await until(() => engine.running().length === 2);
    await service.control('ev1', 'abort-all');
    await until(() => view(service).state === 'ended');
    expect(states(service)).toEqual({ v1: 'failed', v2: 'failed', v3: 'cancelled' });
    expect(view(service).rows[0]?.reason).toContain('aborted');
    expect(view(service).outcome).toBe('aborted');
  });
});

describe('a restart mid-run', () => {
  it('follows the running row, takes the result of one that ended meanwhile, adopts an unjournalled start, resumes the queue: nothing twice, nothing lost', async () => {
    const dir = newDir();
    const engine = new StandInEngine();
    const first = await opened(dir, engine, ['v1', 'v2', 'v3', 'v4']);
    await first.service.start(planOf([planRow('v1', 'b', 1), planRow('v2', 'c', 2), planRow('v3', 'b', 3), planRow('v4', 'c', 4)], 2, 2));
    await until(() => engine.running().length === 2);
    await until(() => first.journal.get('ev1')?.view.rows.filter((r) => r.runState === 'running').length === 2);
    // Ferry stops. While it is down, v1 completes; and a start of v3 the stopped Ferry made never reached its journal.
    first.service.dispose();
    await first.journal.close();
    engine.complete('v1');
    await engine.start({ vm: 'v3', source: { id: 'a', name: 'hvA', address: 'a' }, destination: { id: 'b', name: 'hvB', address: 'b' }, options: {}, evacuationId: 'ev1' });
    const second = await opened(dir, engine, ['v2', 'v3', 'v4']);
    expect(states(second.service)).toEqual({ v1: 'running', v2: 'running', v3: 'queued', v4: 'queued' });
    await second.service.restore();
    expect(states(second.service)).toEqual({ v1: 'done', v2: 'running', v3: 'running', v4: 'queued' });
    // v2 and v3 occupy both slots: v4 waits.
    expect(engine.runningVms().sort()).toEqual(['v2', 'v3']);
    engine.complete('v2');
    await until(() => engine.runningVms().includes('v4'));
    engine.complete('v3');
    engine.complete('v4');
    await until(() => view(second.service).state === 'ended');
    expect(view(second.service).outcome).toBe('completed');
    const perVm = engine.starts.reduce<Record<string, number>>((a, s) => ({ ...a, [s.vm]: (a[s.vm] ?? 0) + 1 }), {});
    expect(perVm).toEqual({ v1: 1, v2: 1, v3: 1, v4: 1 });
    expect(view(second.service).rows.every((r) => r.runState === 'done')).toBe(true);
  });
});
