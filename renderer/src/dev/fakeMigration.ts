/**
 * Synthetic migration samples shaped like the lab's runs: a 256 MiB guest rewriting a 20 MiB hot set.
 * - 'not-converging' (--bandwidth 16): throughput pinned at the cap, QEMU's dirty rate pinned at the same figure,
 *   remaining data swinging between the hot set and a few MiB every iteration, expected downtime ~1.4 s against a
 *   300 ms limit, forever.
 * - 'converging' (--bandwidth 32 or uncapped): a first pass over all memory, then shrinking passes, done in seconds.
 * - 'stalled': throughput drops to nothing (virsh omits Memory bandwidth) while the guest keeps dirtying.
 * Used by the dev fake's scripted migrations and by bench/chart-render.ts. Deterministic for a seed.
 */
import type { ChartPoint } from '../features/migrate/chartData';

export type FakeRunKind = 'converging' | 'not-converging' | 'stalled';

export interface FakeRunSample extends ChartPoint {
  readonly iteration: number;
  readonly processedMiB: number;
  readonly totalMiB: number;
}

function prng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

export interface FakeRunOptions {
  readonly kind: FakeRunKind;
  /** Samples per second (domjobinfo polling: 1 Hz by default, up to 10). */
  readonly hz?: number;
  readonly capMiBps?: number;
  readonly memoryMiB?: number;
  readonly hotSetMiB?: number;
  readonly seed?: number;
}

/** The i-th sample of a run (pure in i and the options, so a fake can produce them one by one as time passes). */
export function fakeRunSample(i: number, o: FakeRunOptions, rand: () => number): FakeRunSample {
  const hz = o.hz ?? 1;
  const cap = o.capMiBps ?? 16;
  const total = o.memoryMiB ?? 256;
  const hot = o.hotSetMiB ?? 20;
  const t = i / hz;
  const noise = (k: number) => 1 + (rand() - 0.5) * k;
  const firstPass = total / cap; // seconds to send all memory once
  if (o.kind === 'converging') {
    const remaining = t < firstPass ? total - t * cap : Math.max(0, hot * Math.exp(-(t - firstPass) * 1.5));
    return {
      t,
      iteration: t < firstPass ? 1 : 2 + Math.floor((t - firstPass) * 2),
      throughputMiBps: cap * noise(0.06),
      dirtyMiBps: (t < firstPass ? 4 : 4 * Math.exp(-(t - firstPass))) * noise(0.3),
      remainingMiB: remaining * noise(0.02),
      downtimeMs: t < firstPass ? undefined : Math.max(5, (remaining / cap) * 1000) * noise(0.1),
      processedMiB: t * cap,
      totalMiB: total,
    };
  }
  if (t < firstPass) {
    return { t, iteration: 1, throughputMiBps: cap * noise(0.05), dirtyMiBps: 12 * noise(0.3), remainingMiB: total - t * cap, processedMiB: t * cap, totalMiB: total };
  }
  const iterLen = hot / cap; // one pass over the hot set
  const inPass = ((t - firstPass) % iterLen) / iterLen;
  const iteration = 2 + Math.floor((t - firstPass) / iterLen);
  if (o.kind === 'stalled' && t > firstPass + 20) {
    return { t, iteration, throughputMiBps: undefined, dirtyMiBps: cap * 1.3 * noise(0.2), remainingMiB: hot * noise(0.05), downtimeMs: undefined, processedMiB: firstPass * cap + 20 * cap, totalMiB: total };
  }
  return {
    t,
    iteration,
    throughputMiBps: cap * noise(0.04),
    // QEMU's dirty rate sits at exactly the cap: the guest rewrites the hot set as fast as it is sent.
    dirtyMiBps: cap * noise(0.08),
    remainingMiB: Math.max(1, hot * (1 - inPass) + 2 * rand()),
    downtimeMs: (hot / cap) * 1000 * noise(0.15),
    processedMiB: t * cap,
    totalMiB: total,
  };
}

export function fakeRun(n: number, o: FakeRunOptions): FakeRunSample[] {
  const rand = prng(o.seed ?? 11);
  return Array.from({ length: n }, (_, i) => fakeRunSample(i, o, rand));
}
