/**
 * Charts as SVG, built as a small element tree: serialised to text for the HTML/PDF reports (no scripts, no
 * external references) and mapped to React elements by the history browser, so the screen and the exports draw the
 * same picture. Pure. Series are LTTB-downsampled (shared/migration/lttb.ts) to at most `maxPoints` each.
 */
import { downsampleSeries, type XY } from '../migration/lttb';
import type { MigrationSample } from '../migration/record-schema';

export interface SvgNode {
  readonly tag: 'svg' | 'g' | 'path' | 'line' | 'text' | 'rect' | 'title';
  readonly attrs: Readonly<Record<string, string | number>>;
  readonly children: readonly (SvgNode | string)[];
}

const el = (tag: SvgNode['tag'], attrs: Record<string, string | number>, ...children: (SvgNode | string)[]): SvgNode => ({ tag, attrs, children });

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

export function renderSvg(node: SvgNode): string {
  const attrs = Object.entries(node.attrs)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join('');
  const inner = node.children.map((c) => (typeof c === 'string' ? escapeXml(c) : renderSvg(c))).join('');
  const xmlns = node.tag === 'svg' ? ' xmlns="http://www.w3.org/2000/svg"' : '';
  return inner === '' ? `<${node.tag}${xmlns}${attrs}/>` : `<${node.tag}${xmlns}${attrs}>${inner}</${node.tag}>`;
}

// ---- axes -------------------------------------------------------------------------------------------------------

export interface Domain {
  readonly min: number;
  readonly max: number;
}

/** Round tick values covering [0, max] (about `count` of them): 1, 2 or 5 times a power of ten apart. */
export function niceTicks(max: number, count = 5): { step: number; ticks: number[] } {
  if (!(max > 0) || !Number.isFinite(max)) return { step: 1, ticks: [0, 1] };
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 1e-9; v += step) ticks.push(+v.toPrecision(12));
  if ((ticks.at(-1) ?? 0) < max) ticks.push(+(ticks.length * step).toPrecision(12));
  return { step, ticks };
}

const fmtTick = (v: number) => (v >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v >= 1 ? v.toFixed(1) : String(+v.toPrecision(2)));

export interface ChartSeriesSpec {
  readonly name: string;
  readonly color: string;
  readonly points: readonly XY[];
  readonly dashed?: boolean;
}

export interface LineChartSpec {
  readonly title: string;
  readonly yUnit: string;
  readonly series: readonly ChartSeriesSpec[];
  /** Seconds. Default: 0 .. the last x of any series. */
  readonly xMax?: number;
  /** Default: 0 .. the highest y of any series (and of `reference`). */
  readonly yMax?: number;
  /** A horizontal reference line (the bandwidth cap, the max downtime). */
  readonly reference?: { readonly y: number; readonly label: string; readonly color: string };
  readonly width?: number;
  readonly height?: number;
}

const fmtSeconds = (t: number) => (t >= 120 ? `${+(t / 60).toFixed(1)} min` : `${+t.toFixed(1)} s`);

/** A line chart: y from 0, x in seconds since the start, grid, ticks, a legend, one path per series. */
export function lineChart(spec: LineChartSpec): SvgNode {
  const width = spec.width ?? 720;
  const height = spec.height ?? 220;
  const m = { left: 56, right: 16, top: 28, bottom: 34 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const allX = spec.series.flatMap((s) => s.points.map((p) => p.x));
  const allY = spec.series.flatMap((s) => s.points.map((p) => p.y));
  const xMax = spec.xMax ?? Math.max(1, ...allX);
  const yTicks = niceTicks(spec.yMax ?? Math.max(0, ...allY, spec.reference?.y ?? 0));
  const yTop = yTicks.ticks.at(-1) ?? 1;
  const xTicks = niceTicks(xMax, 6);
  const X = (x: number) => m.left + (Math.min(x, xMax) / xMax) * pw;
  const Y = (y: number) => m.top + ph - (Math.min(y, yTop) / yTop) * ph;
  const n1 = (v: number) => v.toFixed(1);
  const children: SvgNode[] = [el('title', {}, spec.title), el('rect', { x: 0, y: 0, width, height, fill: '#ffffff' })];
  children.push(el('text', { x: m.left, y: 16, 'font-size': 13, 'font-weight': 600, fill: '#212529' }, spec.title));
  const grid: SvgNode[] = [];
  for (const t of yTicks.ticks) {
    grid.push(el('line', { x1: m.left, x2: m.left + pw, y1: n1(Y(t)), y2: n1(Y(t)), stroke: '#e9ecef' }));
    grid.push(el('text', { x: m.left - 6, y: n1(Y(t) + 4), 'text-anchor': 'end', 'font-size': 10, fill: '#495057' }, fmtTick(t)));
  }
  for (const t of xTicks.ticks.filter((v) => v <= xMax)) {
    grid.push(el('line', { x1: n1(X(t)), x2: n1(X(t)), y1: m.top, y2: m.top + ph, stroke: '#f1f3f5' }));
    grid.push(el('text', { x: n1(X(t)), y: m.top + ph + 14, 'text-anchor': 'middle', 'font-size': 10, fill: '#495057' }, fmtSeconds(t)));
  }
  grid.push(el('text', { x: 12, y: n1(m.top + ph / 2), 'font-size': 10, fill: '#495057', transform: `rotate(-90 12 ${n1(m.top + ph / 2)})`, 'text-anchor': 'middle' }, spec.yUnit));
  grid.push(el('text', { x: n1(m.left + pw / 2), y: height - 4, 'font-size': 10, fill: '#495057', 'text-anchor': 'middle' }, 'time since start'));
  grid.push(el('line', { x1: m.left, x2: m.left, y1: m.top, y2: m.top + ph, stroke: '#adb5bd' }));
  grid.push(el('line', { x1: m.left, x2: m.left + pw, y1: m.top + ph, y2: m.top + ph, stroke: '#adb5bd' }));
  children.push(el('g', { class: 'grid' }, ...grid));
  if (spec.reference) {
    const r = spec.reference;
    children.push(
      el(
        'g',
        { class: 'reference' },
        el('line', { x1: m.left, x2: m.left + pw, y1: n1(Y(r.y)), y2: n1(Y(r.y)), stroke: r.color, 'stroke-dasharray': '6 4' }),
        el('text', { x: m.left + pw - 4, y: n1(Y(r.y) - 4), 'text-anchor': 'end', 'font-size': 10, fill: r.color }, r.label),
      ),
    );
  }
  const lines: SvgNode[] = [];
  for (const s of spec.series) {
    if (s.points.length === 0) continue;
    const d = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${n1(X(p.x))},${n1(Y(p.y))}`).join(' ');
    // One point is no line: a round cap on a zero-length segment draws it as a dot (a run of a second or two).
    const single = s.points.length === 1 ? { d: `${d} h0.01`, 'stroke-width': 5, 'stroke-linecap': 'round' } : { d, 'stroke-width': 1.5 };
    lines.push(el('path', { ...single, fill: 'none', stroke: s.color, 'data-series': s.name, ...(s.dashed && s.points.length > 1 ? { 'stroke-dasharray': '4 3' } : {}) }));
  }
  children.push(el('g', { class: 'series' }, ...lines));
  let lx = m.left + 8;
  const legend: SvgNode[] = [];
  for (const s of spec.series) {
    const label = s.points.length === 0 ? `${s.name} (no data)` : s.name;
    legend.push(el('line', { x1: lx, x2: lx + 16, y1: m.top + 8, y2: m.top + 8, stroke: s.color, 'stroke-width': 2, ...(s.dashed ? { 'stroke-dasharray': '4 3' } : {}) }));
    legend.push(el('text', { x: lx + 20, y: m.top + 12, 'font-size': 10, fill: '#212529' }, label));
    lx += 28 + label.length * 6;
  }
  children.push(el('g', { class: 'legend' }, ...legend));
  return el('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': spec.title, 'font-family': 'sans-serif' }, ...children);
}

// ---- a migration's charts ------------------------------------------------------------------------------------------

export const REPORT_CHART_POINTS = 400;
const MiB = 1048576;
export const SERIES_COLORS = { throughput: '#1971c2', dirty: '#d9480f', remaining: '#5f3dc4', downtime: '#2b8a3e', cap: '#868e96', limit: '#c92a2a', throttle: '#ae3ec9' };

export interface MigrationSeries {
  readonly throughput: XY[];
  readonly dirty: XY[];
  readonly remaining: XY[];
  readonly downtime: XY[];
  /** Auto-converge's vCPU throttle, % (empty when QEMU never throttled). */
  readonly throttle: XY[];
  /** Seconds from the first sample to the last. */
  readonly lastT: number;
}

/**
 * Samples -> chart units (seconds since `startedAt`, the migration's start, default the first sample; MiB/s, MiB,
 * ms), downsampled.
 */
export function migrationSeries(samples: readonly MigrationSample[], maxPoints = REPORT_CHART_POINTS, startedAt?: number): MigrationSeries {
  const rows = samples.filter((s) => s.figures !== undefined);
  const first = rows[0]?.at ?? 0;
  const t0 = startedAt !== undefined && startedAt <= first ? startedAt : first;
  const s = downsampleSeries(
    rows,
    (r) => (r.at - t0) / 1000,
    {
      throughput: (r) => (r.figures?.throughputBytesPerSecond === undefined ? undefined : r.figures.throughputBytesPerSecond / MiB),
      dirty: (r) => (r.figures?.dirtyRateBytesPerSecond === undefined ? undefined : r.figures.dirtyRateBytesPerSecond / MiB),
      remaining: (r) => (r.figures?.remainingBytes === undefined ? undefined : r.figures.remainingBytes / MiB),
      downtime: (r) => r.figures?.expectedDowntimeMs,
      throttle: (r) => r.info?.autoConvergeThrottlePercent,
    },
    maxPoints,
  );
  return { ...s, lastT: rows.length === 0 ? 0 : ((rows.at(-1)?.at ?? t0) - t0) / 1000 };
}

export interface ChartScales {
  readonly xMax?: number;
  readonly rateMax?: number;
  readonly remainingMax?: number;
  readonly downtimeMax?: number;
}

/** Common axes for several migrations (a comparison draws both on the same scales). */
export function sharedScales(all: readonly MigrationSeries[]): ChartScales {
  const max = (f: (s: MigrationSeries) => number[]) => Math.max(0, ...all.flatMap(f));
  return {
    xMax: Math.max(1, ...all.map((s) => s.lastT)),
    rateMax: max((s) => [...s.throughput, ...s.dirty].map((p) => p.y)),
    remainingMax: max((s) => s.remaining.map((p) => p.y)),
    downtimeMax: max((s) => s.downtime.map((p) => p.y)),
  };
}

/**
 * The charts of a report: rates on one axis (MiB/s), data remaining (MiB), expected downtime (ms), and auto-converge's
 * throttle (%) when QEMU throttled the guest.
 */
export function migrationCharts(
  series: MigrationSeries,
  o: { readonly bandwidthCapMiBps?: number | undefined; readonly maxDowntimeMs?: number | undefined; readonly scales?: ChartScales; readonly width?: number } = {},
): SvgNode[] {
  const sc = o.scales ?? {};
  const base = { ...(sc.xMax !== undefined ? { xMax: sc.xMax } : {}), ...(o.width !== undefined ? { width: o.width } : {}) };
  return [
    lineChart({
      ...base,
      title: 'Throughput and dirty rate',
      yUnit: 'MiB/s',
      ...(sc.rateMax !== undefined ? { yMax: Math.max(sc.rateMax, o.bandwidthCapMiBps ?? 0) } : {}),
      series: [
        { name: 'Throughput', color: SERIES_COLORS.throughput, points: series.throughput },
        { name: 'Dirty rate', color: SERIES_COLORS.dirty, points: series.dirty },
      ],
      ...(o.bandwidthCapMiBps !== undefined ? { reference: { y: o.bandwidthCapMiBps, label: `cap ${o.bandwidthCapMiBps} MiB/s`, color: SERIES_COLORS.cap } } : {}),
    }),
    lineChart({
      ...base,
      title: 'Data remaining',
      yUnit: 'MiB',
      ...(sc.remainingMax !== undefined ? { yMax: sc.remainingMax } : {}),
      series: [{ name: 'Remaining', color: SERIES_COLORS.remaining, points: series.remaining }],
    }),
    lineChart({
      ...base,
      title: 'Expected downtime',
      yUnit: 'ms',
      ...(sc.downtimeMax !== undefined ? { yMax: Math.max(sc.downtimeMax, o.maxDowntimeMs ?? 0) } : {}),
      series: [{ name: 'Expected downtime', color: SERIES_COLORS.downtime, points: series.downtime }],
      ...(o.maxDowntimeMs !== undefined ? { reference: { y: o.maxDowntimeMs, label: `max downtime ${o.maxDowntimeMs} ms`, color: SERIES_COLORS.limit } } : {}),
    }),
    // Only for a run QEMU throttled: the throttle is what made an auto-converge run finish (or not).
    ...(series.throttle.length === 0
      ? []
      : [lineChart({ ...base, title: 'Auto-converge throttle', yUnit: '%', yMax: 100, series: [{ name: 'vCPU throttle', color: SERIES_COLORS.throttle, points: series.throttle }] })]),
  ];
}
