/**
 * One migration's page: figures, a post-copy interruption and its resumes, the charts (the same SVG the exports
 * carry), the timeline, pre-flight, the command.
 */
import { migrationStateLabel } from '../../../../shared/migration/state';
import { useMemo } from 'react';
import { describeOptions } from '../../../../shared/migration/options';
import { figureTexts, interruptionRows, preflightRow, utc } from '../../../../shared/reports/html';
import { migrationFigures, migrationTimeline } from '../../../../shared/reports/metrics';
import { migrationCharts, migrationSeries } from '../../../../shared/reports/svg';
import { ExportButtons } from './ExportButtons';
import { SvgView } from './SvgView';
import { useReports, type LoadedEntry } from './reportsStore';
import { formatCount } from '../../../../shared/count';

export function ReportDetail({ entryKey }: { readonly entryKey: string }) {
  const entry = useReports((s) => s.entries[entryKey]);
  const back = useReports((s) => s.back);
  return (
    <section className="reports__page" aria-label="Migration report">
      <div className="reports__toolbar">
        <button type="button" className="button button--quiet" onClick={back}>
          Back to the list
        </button>
        <ExportButtons keys={[entryKey]} what="this migration" />
      </div>
      {entry === undefined ? <p className="muted">Loading…</p> : <DetailBody entry={entry} />}
    </section>
  );
}

function DetailBody({ entry }: { readonly entry: LoadedEntry }) {
  const r = entry.record;
  const figures = useMemo(() => figureTexts(migrationFigures(entry)), [entry]);
  const charts = useMemo(() => migrationCharts(migrationSeries(entry.samples, undefined, r.startedAt), { bandwidthCapMiBps: r.options.bandwidthMiBps, maxDowntimeMs: r.options.maxDowntimeMs }), [entry, r.options]);
  const timeline = useMemo(() => migrationTimeline(entry), [entry]);
  const interruption = useMemo(() => interruptionRows(r), [r]);
  const rows: [string, string][] = [
    ['Result', migrationStateLabel(r.state).text],
    ['Started', utc(r.startedAt)],
    ['Total time', figures.total],
    ['Downtime', figures.downtime],
    ['Data sent', figures.data],
    ['Max dirty rate', figures.maxDirty],
    ['Mean throughput', figures.meanThroughput],
    ['Passes', figures.passes],
    ['Samples', formatCount(entry.samples.length)],
    ['Options', describeOptions(r.options)],
  ];
  return (
    <>
      <h3 className="reports__title">
        {r.vm}: {r.source.name} → {r.destination.name}
        {entry.origin === 'imported' && <span className="reports__tag">imported{entry.importedFrom ? ` from ${entry.importedFrom}` : ''}</span>}
      </h3>
      <dl className="reports__facts" aria-label="Figures">
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      {r.result.error && (
        <div className="banner banner--error" role="region" aria-label="Error">
          <p className="banner__message">{r.result.error.message}</p>
          {r.result.error.detail && <pre className="reports__detail">{r.result.error.detail}</pre>}
        </div>
      )}
      {interruption.length > 0 && (
        <>
          <h4>Post-copy interruption</h4>
          <table className="history" aria-label="Post-copy interruption">
            <thead>
              <tr>
                <th>What</th>
                <th>When (UTC)</th>
                <th>Details</th>
              </tr>
            </thead>
            <tbody>
              {interruption.map((x, i) => (
                <tr key={i}>
                  <td>{x.what}</td>
                  <td>{x.when}</td>
                  <td>{x.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <h4>Command</h4>
      <pre className="reports__command" aria-label="Command">
        {r.commandLine || '—'}
      </pre>
      <h4>Charts</h4>
      <div className="reports__charts" role="region" aria-label="Report charts">
        {entry.samples.length === 0 ? <p className="muted">No samples were recorded.</p> : charts.map((c, i) => <SvgView key={i} node={c} />)}
      </div>
      <h4>Timeline</h4>
      <table className="history" aria-label="Timeline">
        <thead>
          <tr>
            <th>Time (UTC)</th>
            <th className="num">+s</th>
            <th>What</th>
            <th>Details</th>
          </tr>
        </thead>
        <tbody>
          {timeline.map((t, i) => (
            <tr key={i}>
              <td>{utc(t.at).slice(11, 19)}</td>
              <td className="num">{((t.at - r.startedAt) / 1000).toFixed(1)}</td>
              <td>{t.kind}</td>
              <td>{t.text}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h4>Pre-flight</h4>
      {r.preflight.length === 0 ? (
        <p className="muted">No pre-flight results were recorded.</p>
      ) : (
        <table className="history" aria-label="Pre-flight results">
          <thead>
            <tr>
              <th>Check</th>
              <th>Result</th>
              <th>Why</th>
              <th>Fix</th>
            </tr>
          </thead>
          <tbody>
            {r.preflight.map((p) => {
              const row = preflightRow(p);
              return (
                <tr key={p.check}>
                  <td>{p.title ?? p.check}</td>
                  <td className={`tone-${p.status === 'pass' ? 'ok' : p.status === 'fail' ? 'error' : 'warn'}`}>{row.result}</td>
                  <td>{row.why}</td>
                  <td>{p.fix ?? ''}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}
