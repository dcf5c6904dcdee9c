/**
 * The queue rules the dev fake runs by, with the signatures of shared/evacuation/schedule.ts (the planner's, which
 * replaces this file once it is on the branch): quickest predicted first, never more than the limits running from
 * one source or into one destination, and the whole queue simulated from the predictions.
 */
import type { EvacuationLimits } from '../../../shared/evacuation/schema';

export interface Slot {
  readonly vm: string;
  readonly sourceId: string;
  readonly destinationId: string;
}
type Timed = Slot & { readonly predictedMs?: number; readonly elapsedMs?: number };

const quickestFirst = (a: Timed, b: Timed) => (a.predictedMs ?? Infinity) - (b.predictedMs ?? Infinity);

function count(slots: readonly Slot[], key: 'sourceId' | 'destinationId', id: string): number {
  return slots.filter((s) => s[key] === id).length;
}

export function nextToStart(queued: readonly Timed[], running: readonly Slot[], limits: EvacuationLimits): Slot[] {
  const taken: Slot[] = [...running];
  const out: Slot[] = [];
  for (const q of [...queued].sort(quickestFirst)) {
    if (count(taken, 'sourceId', q.sourceId) >= limits.perSource || count(taken, 'destinationId', q.destinationId) >= limits.perDestination) continue;
    const slot = { vm: q.vm, sourceId: q.sourceId, destinationId: q.destinationId };
    taken.push(slot);
    out.push(slot);
  }
  return out;
}

export function simulateEvacuation(rows: readonly Timed[], limits: EvacuationLimits, fallbackMs: number): number {
  const left = (r: Timed) => Math.max(0, (r.predictedMs ?? fallbackMs) - (r.elapsedMs ?? 0));
  let running = rows.filter((r) => r.elapsedMs !== undefined).map((r) => ({ ...r, endsAt: left(r) }));
  let queued = rows.filter((r) => r.elapsedMs === undefined);
  let t = 0;
  for (;;) {
    for (const s of nextToStart(queued, running, limits)) {
      const r = queued.find((q) => q.vm === s.vm);
      if (r) running.push({ ...r, endsAt: t + left(r) });
      queued = queued.filter((q) => q.vm !== s.vm);
    }
    if (running.length === 0) return t;
    t = Math.min(...running.map((r) => r.endsAt));
    running = running.filter((r) => r.endsAt > t);
  }
}
