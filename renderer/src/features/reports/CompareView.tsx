/** Two migrations of the same VM side by side (before/after tuning): figures with B - A and %, charts on the same axes. */
import { useMemo } from 'react';
import { formatBytes, formatBytesPerSecond, formatMilliseconds } from '../../../../shared/units';
import { utc } from '../../../../shared/reports/html';
import { compareMigrations, formatChange as fmtPct, type ComparedMetric } from '../../../../shared/reports/metrics';
import { migrationCharts, migrationSeries, sharedScales } from '../../../../shared/reports/svg';
import { SvgView } from './SvgView';
import { useReports, type LoadedEntry } from './reportsStore';

function fmt(metric: ComparedMetric, v: number | undefined, signed = false): string {
  if (v === undefined) return '—';
  const sign = signed && v > 0 ? '+' : signed && v < 0 ? '−' : '';
  const a = Math.abs(v);
  const text = metric.unit === 'ms' ? formatMilliseconds(a) : metric.unit === 'bytes' ? formatBytes(a) : metric.unit === 'bytes/s' ? formatBytesPerSecond(a) : String(+a.toFixed(2));
  return sign + text;
}

/** Less time, downtime and data is better; a rate or a pass count is not better or worse by itself. */
function changeTone(metric: ComparedMetric, pct: number | undefined): string {
  if (pct === undefined || Math.abs(pct) < 0.05 || (metric.unit !== 'ms' && metric.unit !== 'bytes')) return '';
  return pct < 0 ? 'tone-ok' : 'tone-warn';
}

export function CompareView({ a, b }: { readonly a: string; readonly b: string }) {
  const ea = useReports((s) => s.entries[a]);
  const eb = useReports((s) => s.entries[b]);
  const back = useReports((s) => s.back);
  return (
    <section className="reports__page" aria-label="Comparison">
      <div className="reports__toolbar">
        <button type="button" className="button button--quiet" onClick={back}>
          Back to the list
        </button>
      </div>
      {ea && eb ? <Compared a={ea.record.startedAt <= eb.record.startedAt ? ea : eb} b={ea.record.startedAt <= eb.record.startedAt ? eb : ea} /> : <p className="muted">Loading…</p>}
    </section>
  );
}

function Compared({ a, b }: { readonly a: LoadedEntry; readonly b: LoadedEntry }) {
  const rows = useMemo(() => compareMigrations(a, b), [a, b]);
  const charts = useMemo(() => {
    const sa = migrationSeries(a.samples, undefined, a.record.startedAt);
    const sb = migrationSeries(b.samples, undefined, b.record.startedAt);
    const scales = sharedScales([sa, sb]);
    const cap = (e: LoadedEntry) => e.record.options.bandwidthMiBps;
    const opts = (e: LoadedEntry) => ({ bandwidthCapMiBps: cap(e), maxDowntimeMs: e.record.options.maxDowntimeMs, scales, width: 560 });
    return [migrationCharts(sa, opts(a)), migrationCharts(sb, opts(b))];
  }, [a, b]);
  const label = (e: LoadedEntry, n: string) => `${n}: ${e.record.source.name} → ${e.record.destination.name}, ${utc(e.record.startedAt)}`;
  return (
    <>
      <h3 className="reports__title">{a.record.vm}: earlier (A) against later (B)</h3>
      <table className="history" aria-label="Comparison figures">
        <thead>
          <tr>
            <th>Figure</th>
            <th className="num">A</th>
            <th className="num">B</th>
            <th className="num">B − A</th>
            <th className="num">Change</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.metric.key}>
              <td>{r.metric.label}</td>
              <td className="num">{fmt(r.metric, r.a)}</td>
              <td className="num">{fmt(r.metric, r.b)}</td>
              <td className="num">{fmt(r.metric, r.diff, true)}</td>
              <td className={`num ${changeTone(r.metric, r.pct)}`}>{fmtPct(r.pct)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="reports__side-by-side" role="region" aria-label="Comparison charts">
        {[a, b].map((e, i) => (
          <div key={i} className="reports__column">
            <h4>{label(e, i === 0 ? 'A' : 'B')}</h4>
            {(charts[i] ?? []).map((c, j) => (
              <SvgView key={j} node={c} />
            ))}
          </div>
        ))}
      </div>
    </>
  );
}
