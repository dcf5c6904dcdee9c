/**
 * The evacuation's queue discipline, pure: which queued rows may start now under the per-host limits, and how long
 * the whole queue takes under them from the predicted times (the plan's estimate and a running evacuation's ETA are
 * the same simulation, so they cannot disagree).
 */
import type { EvacuationLimits } from './schema';

export interface Slot {
  readonly vm: string;
  readonly sourceId: string;
  readonly destinationId: string;
}

type Timed = Slot & { readonly predictedMs?: number };

/** Quickest predicted first, unknown time last; ties keep the caller's order (Array.prototype.sort is stable). */
function quickestFirst<T extends Timed>(rows: readonly T[]): T[] {
  const key = (r: Timed): number => (r.predictedMs === undefined || !Number.isFinite(r.predictedMs) ? Infinity : r.predictedMs);
  return [...rows].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka === kb ? 0 : ka < kb ? -1 : 1;
  });
}

function bump(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** A limit below 1 would start nothing ever; the schema forbids it, this keeps a hand-built value from hanging a run. */
const atLeastOne = (n: number): number => (Number.isFinite(n) && n >= 1 ? Math.floor(n) : 1);

/**
 * Which queued rows may start now: quickest predicted first (unknown time last), never more than limits.perSource
 * running from one source nor limits.perDestination into one destination. `running` = rows running now.
 * A row whose source or destination is full is passed over, not waited on, so a slow VM never blocks the rest.
 * Returns the queued entries themselves (same objects), in the order they should start.
 */
export function nextToStart(
  queued: readonly (Slot & { readonly predictedMs?: number })[],
  running: readonly Slot[],
  limits: EvacuationLimits,
): Slot[] {
  const perSource = atLeastOne(limits.perSource);
  const perDestination = atLeastOne(limits.perDestination);
  const fromSource = new Map<string, number>();
  const intoDestination = new Map<string, number>();
  for (const r of running) {
    bump(fromSource, r.sourceId);
    bump(intoDestination, r.destinationId);
  }
  const chosen: Slot[] = [];
  for (const row of quickestFirst(queued)) {
    if ((fromSource.get(row.sourceId) ?? 0) >= perSource) continue;
    if ((intoDestination.get(row.destinationId) ?? 0) >= perDestination) continue;
    bump(fromSource, row.sourceId);
    bump(intoDestination, row.destinationId);
    chosen.push(row);
  }
  return chosen;
}

/**
 * Simulates the queue under the limits from predicted times (unknown ones at `fallbackMs`): total ms.
 * Rows with `elapsedMs` are running now and need what is left of their time (none when already past it: the model
 * has nothing better to say, and a negative remainder would make the ETA shrink below what is certain).
 * Rows without it are queued and start as `nextToStart` would start them.
 */
export function simulateEvacuation(
  rows: readonly (Slot & { readonly predictedMs?: number; readonly elapsedMs?: number })[],
  limits: EvacuationLimits,
  fallbackMs: number,
): number {
  const duration = (r: { readonly predictedMs?: number }): number =>
    r.predictedMs !== undefined && Number.isFinite(r.predictedMs) && r.predictedMs >= 0 ? r.predictedMs : Math.max(0, fallbackMs);
  interface Active {
    readonly slot: Slot;
    readonly endsAt: number;
  }
  let active: Active[] = [];
  let queued: (Slot & { readonly predictedMs?: number })[] = [];
  for (const r of rows) {
    if (r.elapsedMs !== undefined) active.push({ slot: r, endsAt: Math.max(0, duration(r) - Math.max(0, r.elapsedMs)) });
    else queued.push(r);
  }
  let now = 0;
  for (;;) {
    const starting = nextToStart(
      queued,
      active.map((a) => a.slot),
      limits,
    );
    if (starting.length > 0) {
      const started = new Set<Slot>(starting);
      queued = queued.filter((q) => !started.has(q));
      for (const s of starting) active.push({ slot: s, endsAt: now + duration(s as Timed) });
    }
    if (active.length === 0) return now;
    now = Math.min(...active.map((a) => a.endsAt));
    const t = now;
    active = active.filter((a) => a.endsAt > t);
  }
}
