/**
 * The self-contained HTML report of one migration or a selection: inline CSS, charts as inline SVG (svg.ts), no
 * script, no external reference of any kind, so it reads the same offline, mailed, or printed to PDF. Pure: text in,
 * text out; every value from a record is escaped.
 */
import { migrationStateLabel, type MigrationRecordState } from '../migration/state';
import { describeOptions } from '../migration/options';
import { formatBytes, formatBytesPerSecond, formatMilliseconds } from '../units';
import { interruptionReport } from './interruption';
import { migrationFigures, migrationTimeline, type MigrationFigures } from './metrics';
import type { ReportEntry } from './schema';
import { escapeXml, migrationCharts, migrationSeries, renderSvg } from './svg';
import { countOf } from '../count';
import { errorText, predictedAgainstActual } from '../migration/predict-compare';

export const esc = escapeXml;

/** `2026-11-25 12:03:04 UTC`: reports are read in other time zones, so they say which one. */
/**
 * One pre-flight check as the report page and the HTML export show it. An overridden failure says so in its result
 * and carries the admin's confirmation and its time: a run that started despite a failed check must read that way.
 */
export function preflightRow(p: ReportEntry['record']['preflight'][number]): { readonly result: string; readonly why: string } {
  if (p.override === undefined) return { result: p.status, why: p.message };
  return {
    result: `${p.status}, overridden`,
    why: `${p.message} Started anyway at ${utc(p.override.at).slice(11, 19)} UTC; the admin confirmed: "${p.override.confirmation}"`,
  };
}

/**
 * A post-copy interruption as the report page and the HTML export show it: what each host said (its half of the VM),
 * then each break and each resume in time order, with how the resume went (libvirt's words for a failure).
 */
export function interruptionRows(r: Pick<ReportEntry['record'], 'events' | 'interruption' | 'state' | 'result' | 'source' | 'destination'>): readonly { readonly what: string; readonly when: string; readonly detail: string }[] {
  const rep = interruptionReport(r);
  if (rep === undefined) return [];
  const timed = [
    ...rep.breaks.map((b) => ({ at: b.at, what: 'Post-copy interrupted', detail: b.text })),
    ...rep.resumes.map((x, n) => ({ at: x.at, what: `Resume ${n + 1}`, detail: x.text })),
  ].sort((a, b) => a.at - b.at);
  return [
    { what: `${r.source.name} (source) said`, when: '', detail: rep.source },
    { what: `${r.destination.name} (destination) said`, when: '', detail: rep.destination },
    ...timed.map((t) => ({ what: t.what, when: utc(t.at), detail: t.detail })),
  ];
}

export function utc(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** The state in the words and tone every view uses. */
const stateHtml = (state: MigrationRecordState) => {
  const l = migrationStateLabel(state);
  return `<span class="tone-${l.tone}">${esc(l.text)}</span>`;
};
const ms = (v: number | undefined) => (v === undefined ? '-' : formatMilliseconds(v));
const bytes = (v: number | undefined) => (v === undefined ? '-' : formatBytes(v));
const rate = (v: number | undefined) => (v === undefined ? '-' : formatBytesPerSecond(v));

export function figureTexts(f: MigrationFigures): Record<'total' | 'downtime' | 'data' | 'maxDirty' | 'meanThroughput' | 'passes', string> {
  return {
    total: ms(f.totalTimeMs),
    downtime: ms(f.downtimeMs),
    data: bytes(f.dataBytes),
    maxDirty: rate(f.maxDirtyRateBytesPerSecond),
    meanThroughput: rate(f.meanThroughputBytesPerSecond),
    passes: f.iterations === undefined ? '-' : String(f.iterations),
  };
}

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#212529;margin:24px auto;max-width:760px;font-size:13px;line-height:1.45}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:2px solid #dee2e6;padding-bottom:4px}h3{font-size:13px;margin:16px 0 6px}
table{border-collapse:collapse;width:100%;margin:4px 0}th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #e9ecef;vertical-align:top}
th{font-weight:600;color:#495057}td.num{text-align:right;font-variant-numeric:tabular-nums}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}dt{color:#495057}dd{margin:0;font-variant-numeric:tabular-nums}
pre{white-space:pre-wrap;word-break:break-all;background:#f8f9fa;border:1px solid #e9ecef;padding:8px;font-size:11px}
.muted{color:#6c757d}.pass,.tone-ok{color:#2b8a3e}.warn,.tone-warn{color:#e67700}.fail,.tone-error{color:#c92a2a}
.chart{margin:8px 0;break-inside:avoid}section.migration{break-before:page}section.migration:first-of-type{break-before:auto}
@page{size:A4;margin:12mm}
`;

function migrationSection(e: ReportEntry, n: number): string {
  const r = e.record;
  const f = migrationFigures(e);
  const t = figureTexts(f);
  const charts = migrationCharts(migrationSeries(e.samples, undefined, r.startedAt), {
    bandwidthCapMiBps: r.options.bandwidthMiBps,
    maxDowntimeMs: r.options.maxDowntimeMs,
    width: 700,
  });
  const t0 = r.startedAt;
  const timeline = migrationTimeline(e);
  const err = r.result.error;
  const interruption = interruptionRows(r);
  const rows: [string, string][] = [
    ['Result', stateHtml(r.state)],
    ['Source → destination', `${esc(r.source.name)} → ${esc(r.destination.name)}`],
    ['Started', esc(utc(r.startedAt))],
    ['Ended', r.endedAt === undefined ? '-' : esc(utc(r.endedAt))],
    ['Total time', esc(t.total)],
    ['Downtime', esc(t.downtime)],
    ['Data sent', esc(t.data)],
    ['Max dirty rate', esc(t.maxDirty)],
    ['Mean throughput', esc(t.meanThroughput)],
    ['Passes', esc(t.passes)],
    ...(f.maxThrottlePercent !== undefined ? ([['Max auto-converge throttle', `${f.maxThrottlePercent} %`]] as [string, string][]) : []),
    ['Samples', String(f.sampleCount)],
    ['Options', esc(describeOptions(r.options))],
    ['Migration id', `<code>${esc(r.id)}</code>`],
  ];
  return `<section class="migration" id="m${n}">
<h2>${esc(r.vm)}: ${esc(r.source.name)} → ${esc(r.destination.name)}</h2>
<dl>${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>
${interruption.length === 0 ? '' : `<h3>Post-copy interruption</h3><table><thead><tr><th>What</th><th>When (UTC)</th><th>Details</th></tr></thead><tbody>${interruption.map((x) => `<tr><td>${esc(x.what)}</td><td>${esc(x.when)}</td><td>${esc(x.detail)}</td></tr>`).join('')}</tbody></table>`}
${err ? `<h3>Error</h3><p class="fail">${esc(err.message)}</p>${err.detail ? `<pre>${esc(err.detail)}</pre>` : ''}` : ''}
${predictionHtml(r)}
<h3>Command</h3><pre>${esc(r.commandLine || '-')}</pre>
<h3>Charts</h3>
${
  e.samples.length === 0
    ? '<p class="muted">No samples were recorded for this migration.</p>'
    : !e.samples.some((x) => x.figures?.remainingBytes !== undefined || x.figures?.throughputBytesPerSecond !== undefined)
      ? '<p class="muted">No sample of moving memory was taken: the job ended before Ferry sampled it (once a second). The figures above are libvirt&#39;s final statistics.</p>'
      : charts.map((c) => `<div class="chart">${renderSvg(c)}</div>`).join('\n')
}
<h3>Timeline</h3>
${
  timeline.length === 0
    ? '<p class="muted">No events.</p>'
    : `<table><thead><tr><th>Time (UTC)</th><th>+s</th><th>What</th><th></th></tr></thead><tbody>${timeline
        .map((i) => `<tr><td>${esc(utc(i.at).slice(11, 19))}</td><td class="num">${((i.at - t0) / 1000).toFixed(1)}</td><td>${esc(i.kind)}</td><td>${esc(i.text)}</td></tr>`)
        .join('')}</tbody></table>`
}
<h3>Pre-flight</h3>
${
  r.preflight.length === 0
    ? '<p class="muted">No pre-flight results were recorded.</p>'
    : `<table><thead><tr><th>Check</th><th>Result</th><th>Why</th><th>Fix</th></tr></thead><tbody>${r.preflight
        .map((p) => {
          const row = preflightRow(p);
          return `<tr><td>${esc(p.title ?? p.check)}</td><td class="${esc(p.status)}">${esc(row.result)}</td><td>${esc(row.why)}</td><td>${esc(p.fix ?? '')}</td></tr>`;
        })
        .join('')}</tbody></table>`
}
</section>`;
}

/** What Ferry predicted at the start against what happened (nothing for a run without a prediction). */
function predictionHtml(r: ReportEntry['record']): string {
  const c = predictedAgainstActual(r);
  if (c === undefined) return '';
  return `<h3>Predicted at the start</h3><p>${esc(c.sentence)}</p><table><thead><tr><th></th><th>Predicted</th><th>Actual</th><th>Off by</th></tr></thead><tbody>${c.rows
    .map((x) => `<tr><td>${esc(x.label)}</td><td>${esc(x.predicted)}</td><td>${esc(x.actual)}</td><td class="num">${esc(errorText(x.errorPercent))}</td></tr>`)
    .join('')}</tbody></table>`;
}

export function buildHtmlReport(entries: readonly ReportEntry[], meta: { readonly generatedAt: number; readonly generator: string }): string {
  const title =
    entries.length === 1 && entries[0]
      ? `Migration report: ${entries[0].record.vm} ${entries[0].record.source.name} → ${entries[0].record.destination.name}`
      : `Migration report: ${countOf(entries.length, 'migration')}`;
  const summary =
    entries.length < 2
      ? ''
      : `<h2>Summary</h2><table><thead><tr><th>VM</th><th>Route</th><th>Started</th><th>Total</th><th>Downtime</th><th>Data sent</th><th>Result</th></tr></thead><tbody>${entries
          .map((e, i) => {
            const t = figureTexts(migrationFigures(e));
            const r = e.record;
            return `<tr><td>${esc(r.vm)}</td><td>${esc(r.source.name)} → ${esc(r.destination.name)}</td><td>${esc(utc(r.startedAt))}</td><td class="num">${esc(t.total)}</td><td class="num">${esc(t.downtime)}</td><td class="num">${esc(t.data)}</td><td>${stateHtml(r.state)} <span class="muted">(#${i + 1})</span></td></tr>`;
          })
          .join('')}</tbody></table>`;
  return reportPage(title, meta, `${summary}
${entries.map((e, i) => migrationSection(e, i + 1)).join('\n')}`);
}

/** A whole report page around `body`: the one CSS, no script, a CSP that lets nothing be fetched. */
export function reportPage(title: string, meta: { readonly generatedAt: number; readonly generator: string }, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body>
<header><h1>${esc(title)}</h1><p class="muted">Generated ${esc(utc(meta.generatedAt))} by ${esc(meta.generator)}. Times are UTC; sizes in binary units (1 MiB = 1,048,576 bytes).</p></header>
${body}
</body></html>
`;
}
