/**
 * The running (or finished) migration, drawn: dirty rate against throughput on ONE axis in MiB/s (the bandwidth cap
 * as a reference line) with auto-converge's throttle on its own axis in %, then data remaining (MiB, left) and
 * expected downtime (ms, right, the max downtime as a reference line) underneath, both on seconds since the start.
 * Every series is LTTB-downsampled to at most `maxPoints` (a 50,000-sample run draws like a 1,000-sample one); no
 * dots (except for a series of one or two points, which a line cannot show), no animation. A gap in the samples
 * (Ferry was not running) breaks the lines; the switch to post-copy is a vertical marker, and so are a break of
 * post-copy and each resume.
 */
import { memo, useMemo } from 'react';
import { CartesianGrid, Line, LineChart, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import { CHART_MAX_POINTS, chartSeries, timeTickFormatter, type ChartPoint, type ChartXY } from './chartData';

export interface MigrationChartProps {
  readonly points: readonly ChartPoint[];
  readonly bandwidthCapMiBps?: number | undefined;
  readonly maxDowntimeMs?: number | undefined;
  /** Draw auto-converge's throttle (the run has it on). */
  readonly throttle?: boolean | undefined;
  /** Seconds (chart time) where post-copy began. */
  readonly postcopyAt?: number | undefined;
  /** Seconds (chart time) where post-copy broke and where it was resumed. */
  readonly marks?: readonly ChartMark[] | undefined;
  readonly maxPoints?: number;
  /** Fixed size (the bench); otherwise the charts follow their container's width. */
  readonly width?: number;
  readonly height?: number;
}

const COLORS = { dirty: '#d9480f', throughput: '#1971c2', throttle: '#ae3ec9', remaining: '#5f3dc4', downtime: '#2b8a3e', cap: '#868e96', limit: '#c92a2a', postcopy: '#862e9c' };
const fmtN = (v: number) => (v >= 100 ? String(Math.round(v)) : v.toFixed(1));
const margin = { top: 8, right: 16, bottom: 0, left: 0 };
const AXIS_W = 52;
/** Without the throttle's right axis, the rates chart keeps its room, so both charts' time axes line up. */
const marginNoRightAxis = { ...margin, right: margin.right + AXIS_W };
/** Reference lines above the series (recharts draws lines and reference lines on one layer, in no fixed order). */
const ABOVE_LINES = 450;

/** A line cannot show one or two points: give those dots. */
const dotsFor = (points: readonly ChartXY[]) => (points.filter((p) => p.y !== null).length <= 2 ? { r: 3 } : false);

export interface ChartMark {
  readonly t: number;
  readonly kind: 'interrupted' | 'resumed';
}
const MARKS = { interrupted: { label: 'Post-copy interrupted', color: '#c92a2a', dash: '4 3' }, resumed: { label: 'Post-copy resumed', color: '#862e9c', dash: '1 3' } } as const;

export const MigrationChart = memo(function MigrationChart({ points, bandwidthCapMiBps, maxDowntimeMs, throttle, postcopyAt, marks = [], maxPoints = CHART_MAX_POINTS, width, height = 360 }: MigrationChartProps) {
  const s = useMemo(() => chartSeries(points, maxPoints), [points, maxPoints]);
  const xDomain: [number, number] = [0, Math.max(1, s.lastT)];
  const fmtT = timeTickFormatter(xDomain[1]);
  const size = width === undefined ? { responsive: true, style: { width: '100%', height: height / 2 } } : { width, height: height / 2 };
  const common = { isAnimationActive: false, activeDot: false, strokeWidth: 1.5, type: 'linear' as const, connectNulls: false };
  const xAxis = <XAxis dataKey="x" type="number" domain={xDomain} tickFormatter={fmtT} allowDuplicatedCategory={false} tick={{ fontSize: 11 }} />;
  const showThrottle = throttle === true || s.throttle.length > 0;
  const postcopy = (yAxisId: string) =>
    postcopyAt === undefined ? null : (
      <ReferenceLine yAxisId={yAxisId} x={postcopyAt} stroke={COLORS.postcopy} strokeWidth={1.5} zIndex={ABOVE_LINES} label={{ value: 'post-copy', position: 'insideTopLeft', fontSize: 11, fill: COLORS.postcopy }} />
    );
  // Beyond the last sample while the VM is split: the axis grows to show where it broke.
  const markLines = (yAxisId: string) =>
    marks.map((m, i) => <ReferenceLine key={`${m.kind}${i}`} yAxisId={yAxisId} x={m.t} stroke={MARKS[m.kind].color} strokeWidth={1.5} strokeDasharray={MARKS[m.kind].dash} zIndex={ABOVE_LINES} ifOverflow="extendDomain" />);
  const markKeys = [...new Set(marks.map((m) => m.kind))].map((k) => [MARKS[k].label, MARKS[k].color, k === 'interrupted' ? 'dashed' : 'dotted'] as const);
  if (s.drawnSamples === 0) {
    return (
      <section className="migration-chart" role="region" aria-label="Migration chart" data-samples={s.sampleCount} data-points={0}>
        <p className="muted migration-chart__empty">
          No sample with figures to draw{s.sampleCount > 0 ? ': the job ended before Ferry sampled moving memory (once a second); the final statistics are libvirt’s own.' : ' yet.'}
        </p>
      </section>
    );
  }
  return (
    <section
      className="migration-chart"
      role="region"
      aria-label="Migration chart"
      data-samples={s.sampleCount}
      data-points={s.dirty.length + s.throughput.length}
      data-throttle-points={s.throttle.length}
      data-gaps={s.gaps.length}
      data-postcopy-at={postcopyAt === undefined ? undefined : postcopyAt.toFixed(1)}
      data-marks={marks.length === 0 ? undefined : marks.map((m) => `${m.kind}@${m.t.toFixed(1)}`).join(' ')}
    >
      <Key
        items={[
          ['Throughput', COLORS.throughput],
          ['Dirty rate', COLORS.dirty],
          ...(showThrottle ? [['Auto-converge throttle (%)', COLORS.throttle, 'dotted'] as const] : []),
          ...(bandwidthCapMiBps === undefined ? [] : [[`Bandwidth cap (${bandwidthCapMiBps} MiB/s)`, COLORS.cap, 'dashed'] as const]),
          ...(postcopyAt === undefined ? [] : [['Post-copy began', COLORS.postcopy, 'solid'] as const]),
          ...markKeys,
        ]}
      />
      <LineChart {...size} margin={showThrottle ? margin : marginNoRightAxis} accessibilityLayer={false}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e9ecef" />
        {xAxis}
        <YAxis yAxisId="rate" tick={{ fontSize: 11 }} width={52} tickFormatter={fmtN} label={{ value: 'MiB/s', angle: -90, position: 'insideLeft', fontSize: 11 }} />
        {showThrottle && <YAxis yAxisId="pct" orientation="right" domain={[0, 100]} ticks={[0, 25, 50, 75, 100]} tick={{ fontSize: 11 }} width={AXIS_W} label={{ value: '%', angle: 90, position: 'insideRight', fontSize: 11 }} />}
        <Tooltip
          formatter={(v, name) => (typeof v !== 'number' ? String(v) : String(name).startsWith('Auto-converge') ? `${Math.round(v)} %` : `${fmtN(v)} MiB/s`)}
          labelFormatter={(t) => `${Number(t).toFixed(1)} s`}
          isAnimationActive={false}
        />
        <Line {...common} yAxisId="rate" data={s.throughput} dataKey="y" name="Throughput" stroke={COLORS.throughput} dot={dotsFor(s.throughput)} />
        <Line {...common} yAxisId="rate" data={s.dirty} dataKey="y" name="Dirty rate" stroke={COLORS.dirty} dot={dotsFor(s.dirty)} />
        {showThrottle && <Line {...common} yAxisId="pct" data={s.throttle} dataKey="y" name="Auto-converge throttle" stroke={COLORS.throttle} strokeDasharray="2 3" type="stepAfter" dot={dotsFor(s.throttle)} />}
        {bandwidthCapMiBps !== undefined && <ReferenceLine yAxisId="rate" y={bandwidthCapMiBps} stroke={COLORS.cap} strokeWidth={2} strokeDasharray="6 4" zIndex={ABOVE_LINES} ifOverflow="extendDomain" />}
        {postcopy('rate')}
        {markLines('rate')}
      </LineChart>
      <Key
        items={[
          ['Remaining (MiB)', COLORS.remaining],
          ['Expected downtime (ms)', COLORS.downtime],
          ...(maxDowntimeMs === undefined ? [] : [[`Max downtime (${maxDowntimeMs} ms)`, COLORS.limit, 'dashed'] as const]),
        ]}
      />
      <LineChart {...size} margin={margin} accessibilityLayer={false}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e9ecef" />
        {xAxis}
        <YAxis yAxisId="mib" tick={{ fontSize: 11 }} width={52} tickFormatter={fmtN} label={{ value: 'MiB', angle: -90, position: 'insideLeft', fontSize: 11 }} />
        <YAxis yAxisId="ms" orientation="right" tick={{ fontSize: 11 }} width={52} tickFormatter={fmtN} label={{ value: 'ms', angle: 90, position: 'insideRight', fontSize: 11 }} />
        <Tooltip labelFormatter={(t) => `${Number(t).toFixed(1)} s`} isAnimationActive={false} />
        <Line {...common} yAxisId="mib" data={s.remaining} dataKey="y" name="Remaining (MiB)" stroke={COLORS.remaining} dot={dotsFor(s.remaining)} />
        <Line {...common} yAxisId="ms" data={s.downtime} dataKey="y" name="Expected downtime (ms)" stroke={COLORS.downtime} dot={dotsFor(s.downtime)} />
        {/* Named in the key, not on the plot (a label there sat on the remaining line); drawn above the expected
            downtime, which otherwise hid it when the two were equal. */}
        {maxDowntimeMs !== undefined && <ReferenceLine yAxisId="ms" y={maxDowntimeMs} stroke={COLORS.limit} strokeWidth={2} strokeDasharray="6 4" zIndex={ABOVE_LINES} ifOverflow="extendDomain" />}
        {postcopy('mib')}
        {markLines('mib')}
      </LineChart>
    </section>
  );
});

/** The legend in plain HTML: cheaper than recharts' own (which measures itself) and readable by a screen reader. */
function Key({ items }: { items: readonly (readonly [string, string, ('solid' | 'dashed' | 'dotted')?])[] }) {
  return (
    <ul className="chart-key">
      {items.map(([label, color, style]) => (
        <li key={label}>
          <span className="chart-key__line" style={{ borderTopColor: color, borderTopStyle: style ?? 'solid' }} aria-hidden="true" />
          {label}
        </li>
      ))}
    </ul>
  );
}
