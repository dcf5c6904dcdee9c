// The evacuation queue: which rows start now under the per-host limits, and the total time of the queue under them.
import { describe, expect, it } from 'vitest';
import { nextToStart, simulateEvacuation, type Slot } from '../../shared/evacuation/schedule';
import { DEFAULT_EVACUATION_LIMITS } from '../../shared/evacuation/schema';

const row = (vm: string, destinationId: string, predictedMs?: number, sourceId = 'A') =>
  predictedMs === undefined ? { vm, sourceId, destinationId } : { vm, sourceId, destinationId, predictedMs };
const names = (slots: readonly Slot[]) => slots.map((s) => s.vm);

describe('nextToStart', () => {
  it('starts the quickest first, at most perSource from one source', () => {
    const queued = [row('slow', 'B', 9000), row('quick', 'C', 1000), row('mid', 'B', 3000)];
    expect(names(nextToStart(queued, [], DEFAULT_EVACUATION_LIMITS))).toEqual(['quick', 'mid']);
  });

  it('puts rows with no predicted time last', () => {
    const queued = [row('unknown', 'B'), row('known', 'C', 50_000)];
    expect(names(nextToStart(queued, [], { perSource: 1, perDestination: 2 }))).toEqual(['known']);
    expect(names(nextToStart(queued, [], { perSource: 2, perDestination: 2 }))).toEqual(['known', 'unknown']);
  });

  it('counts what is running against both limits', () => {
    const running: Slot[] = [{ vm: 'r1', sourceId: 'A', destinationId: 'B' }];
    const queued = [row('q1', 'B', 1000), row('q2', 'C', 2000), row('q3', 'C', 3000)];
    // One slot left at source A: the quickest gets it.
    expect(names(nextToStart(queued, running, DEFAULT_EVACUATION_LIMITS))).toEqual(['q1']);
    // Source A full: nothing starts.
    expect(nextToStart(queued, [...running, { vm: 'r2', sourceId: 'A', destinationId: 'C' }], DEFAULT_EVACUATION_LIMITS)).toEqual([]);
  });

  it('passes over a row whose destination is full rather than waiting on it', () => {
    const limits = { perSource: 4, perDestination: 1 };
    const running: Slot[] = [{ vm: 'big', sourceId: 'A', destinationId: 'B' }];
    const queued = [row('toB', 'B', 100), row('toC', 'C', 5000), row('toB2', 'B', 200), row('toD', 'D', 9000)];
    expect(names(nextToStart(queued, running, limits))).toEqual(['toC', 'toD']);
  });

  it('never exceeds either limit, whatever the queue', () => {
    const dests = ['B', 'C', 'D'];
    const sources = ['A', 'E'];
    for (let seed = 1; seed <= 40; seed++) {
      let x = seed;
      const rand = (n: number) => ((x = (x * 1103515245 + 12345) % 2147483648), x % n);
      const limits = { perSource: 1 + rand(3), perDestination: 1 + rand(3) };
      const queued = Array.from({ length: 3 + rand(10) }, (_, i) =>
        row(`v${i}`, dests[rand(3)] ?? 'B', rand(4) === 0 ? undefined : rand(10_000), sources[rand(2)]),
      );
      const running = Array.from({ length: rand(3) }, (_, i) => ({ vm: `r${i}`, sourceId: sources[rand(2)] ?? 'A', destinationId: dests[rand(3)] ?? 'B' }));
      const all = [...running, ...nextToStart(queued, running, limits)];
      for (const s of sources) {
        const n = all.filter((a) => a.sourceId === s).length;
        const before = running.filter((a) => a.sourceId === s).length;
        expect(n).toBeLessThanOrEqual(Math.max(limits.perSource, before));
      }
      for (const d of dests) {
        const n = all.filter((a) => a.destinationId === d).length;
        const before = running.filter((a) => a.destinationId === d).length;
        expect(n).toBeLessThanOrEqual(Math.max(limits.perDestination, before));
      }
    }
  });

  it('returns the queued entries themselves', () => {
    const q = row('a', 'B', 1);
    expect(nextToStart([q], [], DEFAULT_EVACUATION_LIMITS)[0]).toBe(q);
  });
});

describe('simulateEvacuation', () => {
  it('is zero for nothing to do', () => {
    expect(simulateEvacuation([], DEFAULT_EVACUATION_LIMITS, 60_000)).toBe(0);
  });

  it('runs two at a time from one source: hand-computed total', () => {
    // Limits 2/2, all from A, destinations alternate so only the source limit binds.
    // Sorted: 1 s (B), 2 s (C), 3 s (B), 4 s (C).
    // t=0 start 1 s and 2 s; t=1 start 3 s (ends 4); t=2 start 4 s (ends 6); total 6 s.
    const rows = [row('d', 'C', 4000), row('c', 'B', 3000), row('b', 'C', 2000), row('a', 'B', 1000)];
    expect(simulateEvacuation(rows, DEFAULT_EVACUATION_LIMITS, 60_000)).toBe(6000);
  });

  it('one at a time is the plain sum', () => {
    const rows = [row('a', 'B', 1000), row('b', 'C', 2500), row('c', 'B', 500)];
    expect(simulateEvacuation(rows, { perSource: 1, perDestination: 1 }, 60_000)).toBe(4000);
  });

  it('the destination limit binds when every row goes to one host', () => {
    // perSource 4 but perDestination 1: serial into B, 1+2+3 = 6 s; C runs alongside.
    const rows = [row('a', 'B', 1000), row('b', 'B', 2000), row('c', 'B', 3000), row('d', 'C', 5000)];
    expect(simulateEvacuation(rows, { perSource: 4, perDestination: 1 }, 60_000)).toBe(6000);
  });

  it('a slow VM runs alongside the quick ones instead of holding them back', () => {
    // 1 slow 10 s and four quick 1 s at 2 per source: t=0 start two quick (1,1); t=1 two quick; t=2 slow -> 12 s.
    // Quickest first ends at 12 s; what matters is the quick ones are all done by 2 s, which the schedule shows.
    const rows = [row('slow', 'B', 10_000), row('q1', 'C', 1000), row('q2', 'B', 1000), row('q3', 'C', 1000), row('q4', 'B', 1000)];
    expect(simulateEvacuation(rows, { perSource: 2, perDestination: 2 }, 60_000)).toBe(12_000);
    // With the slow one already running (elapsed 1 s of 10), the four quick share the other slot: 4 s, slow ends at 9 s.
    const withSlowRunning = [{ ...row('slow', 'B', 10_000), elapsedMs: 1000 }, ...rows.slice(1)];
    expect(simulateEvacuation(withSlowRunning, { perSource: 2, perDestination: 2 }, 60_000)).toBe(9000);
  });

  it('counts unknown times at the fallback', () => {
    const rows = [row('a', 'B', 1000), row('u', 'C')];
    expect(simulateEvacuation(rows, { perSource: 1, perDestination: 1 }, 30_000)).toBe(31_000);
  });

  it('running rows need what is left of their time, never less than nothing', () => {
    const rows = [
      { ...row('r', 'B', 10_000), elapsedMs: 4000 },
      { ...row('late', 'C', 2000), elapsedMs: 5000 },
      row('q', 'C', 3000),
    ];
    // Source full (2 running); `late` is past its time -> ends now; q starts at 0 and ends at 3 s; r ends at 6 s.
    expect(simulateEvacuation(rows, DEFAULT_EVACUATION_LIMITS, 60_000)).toBe(6000);
  });

  it('running rows over the limits (limits lowered mid-run) still finish, then the queue proceeds', () => {
    const rows = [
      { ...row('r1', 'B', 2000), elapsedMs: 0 },
      { ...row('r2', 'C', 4000), elapsedMs: 0 },
      row('q', 'B', 1000),
    ];
    // Limit 1 per source: q waits for both running ones (source count 2 -> 1 at 2 s, still full) -> starts at 4 s.
    expect(simulateEvacuation(rows, { perSource: 1, perDestination: 2 }, 60_000)).toBe(5000);
  });
});
