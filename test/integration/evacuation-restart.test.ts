// An evacuation through real MigrationEngines on the lab, with Ferry restarted mid-run: three small transient
// guests (test/lab/bench-guests.sh) leave hvA under 1 per source; while the first migrates the first "Ferry"
// (evacuation service, engine, journals, SSH pool) stops; a second one on the same data directory re-attaches the
// running migration, reads the evacuation back and resumes the queue. Every guest ends on its destination, each
// migrated exactly once, the evacuation completed. The guests are destroyed afterwards (`down`); vm1/vmd untouched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ok } from '../../shared/result';
import type { HostView } from '../../shared/inventory/types';
import type { EvacuationPlan, PlanRow } from '../../shared/evacuation/schema';
import { EvacuationJournal } from '../../electron/main/evacuation/journal';
import { EvacuationService } from '../../electron/main/evacuation/runner';
import { lab, requireLab } from '../lab/use-lab';
import { labHost, virsh, type HostName } from '../lab/lab';
import { openLabEngine, waitUntil, type LabEngine } from './lab-engine';

const run = promisify(execFile);
const GUESTS = join(dirname(fileURLToPath(import.meta.url)), '../lab/bench-guests.sh');
const VMS = ['bench-g01', 'bench-g02', 'bench-g03'];

function row(vm: string, destinationId: string, totalMs: number, bandwidthMiBps?: number): PlanRow {
  return {
    vm,
    state: 'running',
    persistent: false,
    destinationId,
    candidates: [{ hostId: destinationId, hostName: destinationId }],
    action: 'live',
    options: { live: true, p2p: true, ...(bandwidthMiBps !== undefined ? { bandwidthMiBps } : {}) },
    prediction: { converges: 'yes', totalMs, text: '' },
  };
}

describe.skipIf(!lab)('an evacuation across a restart of Ferry, on the lab', () => {
  let dir: string;
  const toClose: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    await run('bash', [GUESTS, 'up', String(VMS.length), '128', 'hvA'], { timeout: 150_000 });
    dir = mkdtempSync(join(tmpdir(), 'ferry-evac-lab-'));
  }, 160_000);

  afterAll(async () => {
    for (const c of toClose.splice(0).reverse()) await c().catch(() => undefined);
    await run('bash', [GUESTS, 'down'], { timeout: 60_000 });
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 70_000);

  function hostViews(): HostView[] {
    const l = requireLab();
    const view = (name: HostName, vms: readonly string[]): HostView => ({
      record: { id: name, name, address: labHost(l, name).ip, port: 22, user: 'root', auth: { kind: 'agent' }, addedAt: '2026-01-01T00:00:00.000Z', source: 'manual' },
      connection: { state: 'connected', since: '2026-01-01T00:00:00.000Z' },
      vms: vms.map((v) => ({ name: v, state: 'running', persistent: false })),
    });
    return [view('hvA', VMS), view('hvB', []), view('hvC', [])];
  }

  /** One "Ferry": SSH pool, migration journal and engine, the evacuations' journal and service, on `dir`. */
  async function openFerry(): Promise<{ f: LabEngine; journal: EvacuationJournal; service: EvacuationService; stop: () => Promise<void> }> {
    const f = await openLabEngine(requireLab(), { dir });
    const journal = await EvacuationJournal.open({ dataDir: dir });
    const service = new EvacuationService({ journal, engine: f.engine, history: f.journal, hosts: hostViews, shutdown: async () => ok(undefined) });
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      service.dispose();
      await journal.close();
      await f.close();
    };
    toClose.push(stop);
    return { f, journal, service, stop };
  }

  it('resumes the queue after the restart: every guest moved once, the running one followed to its end', async () => {
    // The quickest-predicted goes first; its cap keeps it migrating while Ferry stops.
    const plan: EvacuationPlan = {
      hostId: 'hvA',
      hostName: 'hvA',
      createdAt: Date.now(),
      limits: { perSource: 1, perDestination: 2 },
      rows: [row('bench-g01', 'hvB', 1000, 4), row('bench-g02', 'hvC', 2000), row('bench-g03', 'hvB', 3000)],
      estimateText: '',
    };
    const first = await openFerry();
    const started = await first.service.start(plan);
    if (!started.ok) throw new Error(started.error.message);
    const id = started.value.id;
    await waitUntil('bench-g01 migrating', () => first.journal.get(id)?.view.rows[0]?.migrationId !== undefined, 60_000);
    const firstMigration = first.journal.get(id)?.view.rows[0]?.migrationId ?? '';
    await waitUntil('bench-g01 sampled', () => (first.f.engine.record(firstMigration)?.samples.length ?? 0) >= 1, 30_000);
    expect(first.f.engine.isRunning(firstMigration)).toBe(true);
    await first.stop();

    const second = await openFerry();
    const reconciled = second.f.engine.reconcile();
    await second.service.restore();
    await reconciled;
    await waitUntil('the evacuation ended', () => second.service.view(id)?.state === 'ended', 150_000);
    const v = second.service.view(id);
    expect(v?.outcome).toBe('completed');
    expect(v?.rows.map((r) => [r.vm, r.runState])).toEqual(VMS.map((vm) => [vm, 'done']));
    expect(v?.rows[0]?.migrationId).toBe(firstMigration);
    // Each guest migrated once, every migration of this evacuation accounted for by a row.
    const mine = (await second.f.journal.heads()).filter((h) => h.start?.evacuationId === id);
    expect(mine.map((h) => h.start?.vm).sort()).toEqual(VMS);
    expect(mine.find((h) => h.id === firstMigration)?.events.some((e) => e.kind === 'reattached')).toBe(true);
    for (const [vm, host] of [['bench-g01', 'hvB'], ['bench-g02', 'hvC'], ['bench-g03', 'hvB']] as const) {
      expect((await virsh(host, ['domstate', vm])).trim(), `${vm} on ${host}`).toBe('running');
    }
  }, 240_000);

  it('a guest destroyed while it migrates fails its row with the engine\'s words; the other finishes', async () => {
    await run('bash', [GUESTS, 'down'], { timeout: 60_000 });
    await run('bash', [GUESTS, 'up', '2', '128', 'hvA'], { timeout: 150_000 });
    const ferry = await openFerry();
    const plan: EvacuationPlan = {
      hostId: 'hvA',
      hostName: 'hvA',
      createdAt: Date.now(),
      limits: { perSource: 2, perDestination: 2 },
      rows: [row('bench-g01', 'hvB', 1000, 1), row('bench-g02', 'hvC', 2000)],
      estimateText: '',
    };
    const started = await ferry.service.start(plan);
    if (!started.ok) throw new Error(started.error.message);
    const id = started.value.id;
    await waitUntil('bench-g01 migrating', () => {
      const m = ferry.journal.get(id)?.view.rows[0]?.migrationId;
      return m !== undefined && (ferry.f.engine.record(m)?.samples.length ?? 0) >= 1;
    }, 60_000);
    await virsh('hvA', ['destroy', 'bench-g01']);
    await waitUntil('the evacuation ended', () => ferry.service.view(id)?.state === 'ended', 90_000);
    const v = ferry.service.view(id);
    expect(v?.outcome).toBe('partial');
    expect(v?.rows[0]).toMatchObject({ runState: 'failed', reason: expect.stringContaining('bench-g01 is gone from hvA and is not running on hvB') });
    expect(v?.rows[1]?.runState).toBe('done');
    expect((await virsh('hvC', ['domstate', 'bench-g02'])).trim()).toBe('running');
  }, 240_000);
});
