// A stand-in migration engine for the evacuation runner's tests: starts are recorded, each migration runs until the
// test ends it (completed, failed, vanished), aborts end it 'aborted'; updates go to the listeners as the engine's do.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { ok, err } from '../../shared/result';
import { ferryError } from '../../shared/errors';
import type { EvacuationPlan, PlanRow } from '../../shared/evacuation/schema';
import type { HostView } from '../../shared/inventory/types';
import type { EvacuationEnginePort } from '../../electron/main/evacuation/runner';
import type { MigrationUpdate, StartMigration } from '../../electron/main/migration/engine';
import type { MigrationEndPayload, MigrationRecord } from '../../electron/main/migration/record';
import { hostView } from './ipc-harness';

export class StandInEngine implements EvacuationEnginePort {
  readonly recs = new Map<string, MigrationRecord>();
  readonly starts: StartMigration[] = [];
  /** The most migrations running at once, per source host id, over the whole test. */
  readonly peak = new Map<string, number>();
  private readonly listeners = new Set<(u: MigrationUpdate) => void>();
  private n = 0;

  constructor(private readonly now: () => number = () => 0) {}

  running(): MigrationRecord[] {
    return [...this.recs.values()].filter((r) => r.state === 'running');
  }

  runningVms(): string[] {
    return this.running().map((r) => r.start?.vm ?? '?');
  }

  private put(id: string, req: StartMigration, state: MigrationRecord['state']): void {
    const at = this.now();
    const { vm, source, destination, options, evacuationId } = req;
    const start = { vm, source, destination, options: options as Record<string, unknown>, argv: [], commandLine: '', intervalMs: 1000, ...(evacuationId ? { evacuationId } : {}) };
    this.recs.set(id, { id, start, startedAt: at, samples: [], events: [], state });
    this.emit({ kind: 'started', id, at, start });
  }

  async start(req: StartMigration) {
    this.starts.push(req);
    if (this.running().some((r) => r.start?.vm === req.vm)) return err(ferryError('input.invalid', `${req.vm} is already migrating.`));
    const id = `m${++this.n}`;
    this.put(id, req, 'running');
    const src = req.source.id;
    const now = this.running().filter((r) => r.start?.source.id === src).length;
    this.peak.set(src, Math.max(this.peak.get(src) ?? 0, now));
    return ok({ id, commandLine: '' });
  }

  async refuse(req: StartMigration, message: string) {
    const id = `m${++this.n}`;
    this.put(id, req, 'running');
    this.end(id, { state: 'refused', message, wallMs: 0 });
    return ok({ id });
  }

  async control(id: string, c: { kind: string }) {
    const r = this.recs.get(id);
    if (!r || r.state !== 'running') return err(ferryError('input.invalid', 'not running'));
    if (c.kind === 'abort') this.end(id, { state: 'aborted', message: 'Migration aborted by the admin.', wallMs: 0 });
    return ok(undefined);
  }

  record(id: string) {
    return this.recs.get(id);
  }

  records() {
    return [...this.recs.values()];
  }

  onUpdate(l: (u: MigrationUpdate) => void) {
    this.listeners.add(l);
    return () => void this.listeners.delete(l);
  }

  private emit(u: MigrationUpdate): void {
    for (const l of this.listeners) l(u);
  }

  /** Ends migration `id` as the engine would (its end line, then the update). */
  end(id: string, end: MigrationEndPayload): void {
    const r = this.recs.get(id);
    if (!r) throw new Error(`no migration ${id}`);
    const at = this.now();
    this.recs.set(id, { ...r, state: end.state, end: { ...end, at, reconciled: false } });
    this.emit({ kind: 'ended', id, at, end, reconciled: false });
  }

  idOf(vm: string): string {
    const r = [...this.recs.values()].reverse().find((x) => x.start?.vm === vm);
    if (!r) throw new Error(`no migration of ${vm}`);
    return r.id;
  }

  complete(vm: string, totalTimeMs = 1000, downtimeMs = 20): void {
    this.end(this.idOf(vm), { state: 'completed', message: 'Migration completed.', wallMs: totalTimeMs, final: { readOn: 'source', totalTimeMs, downtimeMs } });
  }
}

/** hvA with the given VMs running, hvB and hvC empty (ids a, b, c). */
export function labHosts(vms: readonly string[]): HostView[] {
  const h = (id: string, name: string, names: readonly string[] = []): HostView => {
    const v = hostView(id);
    return { ...v, record: { ...v.record, name, address: `10.77.0.${id.charCodeAt(0)}` }, vms: names.map((name) => ({ name, state: 'running', persistent: true })) };
  };
  return [h('a', 'hvA', vms), h('b', 'hvB'), h('c', 'hvC')];
}

export function planRow(vm: string, destinationId: string | undefined, totalMs?: number, action: PlanRow['action'] = 'live'): PlanRow {
  return {
    vm,
    state: 'running',
    persistent: true,
    ...(destinationId !== undefined ? { destinationId } : {}),
    candidates: [],
    action,
    options: { live: true, p2p: true },
    ...(totalMs !== undefined ? { prediction: { converges: 'yes', totalMs, text: `about ${totalMs} ms` } } : {}),
  };
}

export function planOf(rows: readonly PlanRow[], perSource = 2, perDestination = 2): EvacuationPlan {
  return { hostId: 'a', hostName: 'hvA', createdAt: 0, limits: { perSource, perDestination }, rows: [...rows], estimateText: '' };
}

/** A data directory per test, removed after it. */
export function tempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}
