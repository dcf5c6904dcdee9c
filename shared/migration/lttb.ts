/**
 * Largest-Triangle-Three-Buckets downsampling (Steinarsson 2013): keeps the first and last points and, from each of
 * `threshold - 2` equal buckets in between, the point forming the largest triangle with the point kept before it and
 * the average of the next bucket. Peaks and troughs survive, which plain striding or averaging lose. Pure, O(n).
 *
 * Multiple series sharing one x (dirty rate and throughput per sample): Ferry runs LTTB PER SERIES rather than
 * choosing indices on one "main" series and reusing them. The series peak at different moments (the throughput
 * collapses when a stall begins, the dirty rate spikes when the guest's working set moves); indices picked on one
 * series would drop the other's extremes, which are exactly what an admin looks at. Each series then has its own x
 * values; recharts draws a line per series from its own data on a shared numeric x axis, so that costs nothing.
 */

/** Indices (ascending) of the points LTTB keeps out of `n`, read through `x(i)` and `y(i)`. */
export function lttbIndices(n: number, x: (i: number) => number, y: (i: number) => number, threshold: number): number[] {
  if (threshold >= n || threshold <= 0 || n <= 2) return Array.from({ length: n }, (_, i) => i);
  if (threshold < 3) return threshold === 1 ? [0] : [0, n - 1];
  const out: number[] = [0];
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  for (let bucket = 0; bucket < threshold - 2; bucket++) {
    // The next bucket's average is the triangle's third corner.
    const nextStart = Math.floor((bucket + 1) * every) + 1;
    const nextEnd = Math.min(Math.floor((bucket + 2) * every) + 1, n);
    let avgX = 0;
    let avgY = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      avgX += x(j);
      avgY += y(j);
    }
    const count = nextEnd - nextStart;
    if (count > 0) {
      avgX /= count;
      avgY /= count;
    } else {
      avgX = x(n - 1);
      avgY = y(n - 1);
    }
    const start = Math.floor(bucket * every) + 1;
    const end = Math.floor((bucket + 1) * every) + 1;
    const ax = x(a);
    const ay = y(a);
    let best = start;
    let bestArea = -1;
    for (let j = start; j < end; j++) {
      const area = Math.abs((ax - avgX) * (y(j) - ay) - (ax - x(j)) * (avgY - ay));
      if (area > bestArea) {
        bestArea = area;
        best = j;
      }
    }
    out.push(best);
    a = best;
  }
  out.push(n - 1);
  return out;
}

/** The points LTTB keeps; `points` itself (same array) when there are no more than `threshold`. */
export function lttb<T>(points: readonly T[], threshold: number, x: (p: T) => number, y: (p: T) => number): readonly T[] {
  if (threshold >= points.length || threshold <= 0) return points;
  return lttbIndices(points.length, (i) => x(points[i] as T), (i) => y(points[i] as T), threshold).map((i) => points[i] as T);
}

export interface XY {
  readonly x: number;
  readonly y: number;
}

/**
 * One {x, y} series per key out of rows that share x, each downsampled on its own (see above). Rows where a series
 * has no value (undefined, NaN) are left out of that series, never drawn as 0.
 */
export function downsampleSeries<R, K extends string>(
  rows: readonly R[],
  x: (r: R) => number,
  series: Readonly<Record<K, (r: R) => number | undefined>>,
  threshold: number,
): Record<K, XY[]> {
  const out = {} as Record<K, XY[]>;
  // Each series is copied once into typed arrays (rows with a value only), then LTTB reads those: accessor calls
  // through the rows' objects were 20x slower at 50,000 rows (polymorphic shapes), and building an {x, y} object per
  // row cost more than LTTB itself. Objects are made only for the points kept.
  const xs = new Float64Array(rows.length);
  const ys = new Float64Array(rows.length);
  for (const key of Object.keys(series) as K[]) {
    const pick = series[key];
    let m = 0;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] as R;
      const v = pick(r);
      if (v === undefined || !Number.isFinite(v)) continue;
      xs[m] = x(r);
      ys[m++] = v;
    }
    const keep = lttbIndices(m, (j) => xs[j] as number, (j) => ys[j] as number, threshold);
    out[key] = keep.map((j) => ({ x: xs[j] as number, y: ys[j] as number }));
  }
  return out;
}
