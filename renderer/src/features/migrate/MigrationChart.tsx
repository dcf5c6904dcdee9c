/**
 * The running (or finished) migration, drawn: dirty rate against throughput on ONE axis in MiB/s (the bandwidth cap
 * as a reference line), then data remaining (MiB, left) and expected downtime (ms, right, the max downtime as a
 * reference line) underneath, both on seconds since the start. Every series is LTTB-downsampled to at most
 * `maxPoints` (a 50,000-sample run draws like a 1,000-sample one); no dots, no animation.
 */
import { memo, useMemo } from 'react';
import { CartesianGrid, Line, LineChart, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import { CHART_MAX_POINTS, chartSeries, timeTickFormatter, type ChartPoint } from './chartData';

export interface MigrationChartProps {
  readonly points: readonly ChartPoint[];
  readonly bandwidthCapMiBps?: number | undefined;
  readonly maxDowntimeMs?: number | undefined;
  readonly maxPoints?: number;
  /** Fixed size (the bench); otherwise the charts follow their container's width. */
  readonly width?: number;
  readonly height?: number;
}

const COLORS = { dirty: '#d9480f', throughput: '#1971c2', remaining: '#5f3dc4', downtime: '#2b8a3e', cap: '#868e96', limit: '#c92a2a' };
const fmtN = (v: number) => (v >= 100 ? String(Math.round(v)) : v.toFixed(1));
const margin = { top: 8, right: 16, bottom: 0, left: 0 };

export const MigrationChart = memo(function MigrationChart({ points, bandwidthCapMiBps, maxDowntimeMs, maxPoints = CHART_MAX_POINTS, width, height = 360 }: MigrationChartProps) {
  const s = useMemo(() => chartSeries(points, maxPoints), [points, maxPoints]);
  const xDomain: [number, number] = [0, Math.max(1, s.lastT)];
  const fmtT = timeTickFormatter(xDomain[1]);
  const size = width === undefined ? { responsive: true, style: { width: '100%', height: height / 2 } } : { width, height: height / 2 };
  const common = { isAnimationActive: false, dot: false, activeDot: false, strokeWidth: 1.5, type: 'linear' as const, connectNulls: false };
  const xAxis = <XAxis dataKey="x" type="number" domain={xDomain} tickFormatter={fmtT} allowDuplicatedCategory={false} tick={{ fontSize: 11 }} />;
  return (
    <section className="migration-chart" role="region" aria-label="Migration chart" data-samples={s.sampleCount} data-points={s.dirty.length + s.throughput.length}>
      <Key items={[['Throughput', COLORS.throughput], ['Dirty rate', COLORS.dirty], ...(bandwidthCapMiBps === undefined ? [] : [['Bandwidth cap', COLORS.cap, true] as const])]} />
      <LineChart {...size} margin={margin} accessibilityLayer={false}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e9ecef" />
        {xAxis}
        <YAxis yAxisId="rate" tick={{ fontSize: 11 }} width={52} tickFormatter={fmtN} label={{ value: 'MiB/s', angle: -90, position: 'insideLeft', fontSize: 11 }} />
        <Tooltip formatter={(v) => (typeof v === 'number' ? `${fmtN(v)} MiB/s` : String(v))} labelFormatter={(t) => `${Number(t).toFixed(1)} s`} isAnimationActive={false} />
        <Line {...common} yAxisId="rate" data={s.throughput} dataKey="y" name="Throughput" stroke={COLORS.throughput} />
        <Line {...common} yAxisId="rate" data={s.dirty} dataKey="y" name="Dirty rate" stroke={COLORS.dirty} />
        {bandwidthCapMiBps !== undefined && (
          <ReferenceLine yAxisId="rate" y={bandwidthCapMiBps} stroke={COLORS.cap} strokeDasharray="6 4" label={{ value: `cap ${bandwidthCapMiBps} MiB/s`, position: 'insideTopRight', fontSize: 11, fill: COLORS.cap }} ifOverflow="extendDomain" />
        )}
      </LineChart>
      <Key items={[['Remaining (MiB)', COLORS.remaining], ['Expected downtime (ms)', COLORS.downtime], ...(maxDowntimeMs === undefined ? [] : [['Max downtime', COLORS.limit, true] as const])]} />
      <LineChart {...size} margin={margin} accessibilityLayer={false}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e9ecef" />
        {xAxis}
        <YAxis yAxisId="mib" tick={{ fontSize: 11 }} width={52} tickFormatter={fmtN} label={{ value: 'MiB', angle: -90, position: 'insideLeft', fontSize: 11 }} />
        <YAxis yAxisId="ms" orientation="right" tick={{ fontSize: 11 }} width={52} tickFormatter={fmtN} label={{ value: 'ms', angle: 90, position: 'insideRight', fontSize: 11 }} />
        <Tooltip labelFormatter={(t) => `${Number(t).toFixed(1)} s`} isAnimationActive={false} />
        <Line {...common} yAxisId="mib" data={s.remaining} dataKey="y" name="Remaining (MiB)" stroke={COLORS.remaining} />
        <Line {...common} yAxisId="ms" data={s.downtime} dataKey="y" name="Expected downtime (ms)" stroke={COLORS.downtime} />
        {maxDowntimeMs !== undefined && (
          <ReferenceLine yAxisId="ms" y={maxDowntimeMs} stroke={COLORS.limit} strokeDasharray="6 4" label={{ value: `max downtime ${maxDowntimeMs} ms`, position: 'insideTopRight', fontSize: 11, fill: COLORS.limit }} ifOverflow="extendDomain" />
        )}
      </LineChart>
    </section>
  );
});

/** The legend in plain HTML: cheaper than recharts' own (which measures itself) and readable by a screen reader. */
function Key({ items }: { items: readonly (readonly [string, string, boolean?])[] }) {
  return (
    <ul className="chart-key">
      {items.map(([label, color, dashed]) => (
        <li key={label}>
          <span className="chart-key__line" style={{ borderTopColor: color, borderTopStyle: dashed === true ? 'dashed' : 'solid' }} aria-hidden="true" />
          {label}
        </li>
      ))}
    </ul>
  );
}
