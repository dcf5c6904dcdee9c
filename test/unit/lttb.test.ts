import { describe, expect, it } from 'vitest';
import { downsampleSeries, lttb, lttbIndices } from '../../shared/migration/lttb';

const pts = (ys: number[]) => ys.map((y, x) => ({ x, y }));
const X = (p: { x: number; y: number }) => p.x;
const Y = (p: { x: number; y: number }) => p.y;

describe('LTTB downsampling', () => {
  it('returns the input itself when it has no more points than the threshold', () => {
    const p = pts([1, 2, 3, 4]);
    expect(lttb(p, 4, X, Y)).toBe(p);
    expect(lttb(p, 1000, X, Y)).toBe(p);
    expect(lttb([], 10, X, Y)).toEqual([]);
  });

  it('keeps the first and the last point', () => {
    const p = pts(Array.from({ length: 500 }, (_, i) => Math.sin(i / 7) * 10));
    const d = lttb(p, 50, X, Y);
    expect(d).toHaveLength(50);
    expect(d[0]).toBe(p[0]);
    expect(d.at(-1)).toBe(p.at(-1));
  });

  it('picks a lone spike and a lone trough that striding would skip', () => {
    const ys = Array.from({ length: 1000 }, () => 5);
    ys[333] = 100;
    ys[667] = -80;
    const d = lttb(pts(ys), 20, X, Y);
    expect(d.map((p) => p.y)).toContain(100);
    expect(d.map((p) => p.y)).toContain(-80);
    const strided = pts(ys).filter((_, i) => i % 50 === 0);
    expect(strided.map((p) => p.y)).not.toContain(100);
  });

  it('brings 50,000 samples down to 1,000 in ascending x order', () => {
    let seed = 1;
    const rnd = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const p = Array.from({ length: 50_000 }, (_, i) => ({ x: i * 0.2, y: 30 + rnd() * 5 + (i === 31_234 ? 400 : 0) }));
    const d = lttb(p, 1000, X, Y);
    expect(d).toHaveLength(1000);
    for (let i = 1; i < d.length; i++) expect(d[i]!.x).toBeGreaterThan(d[i - 1]!.x);
    expect(d.some((q) => q.y > 400)).toBe(true);
  });

  it('answers indices for accessors over any storage, and the degenerate thresholds', () => {
    const ys = [0, 1, 0, 9, 0, 1, 0];
    expect(lttbIndices(7, (i) => i, (i) => ys[i]!, 3)).toEqual([0, 3, 6]);
    expect(lttbIndices(7, (i) => i, (i) => ys[i]!, 2)).toEqual([0, 6]);
    expect(lttbIndices(7, (i) => i, (i) => ys[i]!, 0)).toHaveLength(7);
  });

  it('downsamples each series on its own so both keep their extremes, leaving out missing values', () => {
    const rows = Array.from({ length: 2000 }, (_, i) => ({ t: i, a: i === 500 ? 99 : 1, b: i === 1500 ? -99 : i % 10 === 0 ? undefined : 2 }));
    const s = downsampleSeries(rows, (r) => r.t, { a: (r) => r.a, b: (r) => r.b }, 10);
    expect(s.a).toHaveLength(10);
    expect(s.b).toHaveLength(10);
    expect(s.a.some((p) => p.y === 99 && p.x === 500)).toBe(true);
    expect(s.b.some((p) => p.y === -99 && p.x === 1500)).toBe(true);
    const few = downsampleSeries(rows.slice(0, 20), (r) => r.t, { b: (r) => r.b }, 10);
    expect(few.b.every((p) => p.y === 2)).toBe(true);
    expect(few.b).toHaveLength(10); // 20 rows, 2 without a value
  });
});
