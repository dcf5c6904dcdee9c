/**
 * An evacuation's report: a row per VM (destination, action and options, predicted against actual total time,
 * downtime, result and why) as self-contained HTML (shared/reports/html.ts: its page, CSS and CSP; printed to PDF by
 * the reports' PDF path), CSV (RFC 4180 through csv-stringify, units in the headers, raw numbers) and JSON. Pure.
 */
import { stringify } from 'csv-stringify/sync';
import { countOf } from '../count';
import { describeOptions } from '../migration/options';
import { csvText } from '../reports/csv';
import { esc, reportPage, utc } from '../reports/html';
import { formatMilliseconds } from '../units';
import type { EvacuationRow, EvacuationView } from './schema';

export const EVACUATION_REPORT_SCHEMA_ID = 'ferry.evacuation-report/1';

const RESULT_WORDS: Readonly<Record<EvacuationRow['runState'], string>> = {
  queued: 'Queued',
  running: 'Running',
  done: 'Done',
  failed: 'Failed',
  skipped: 'Skipped',
  cancelled: 'Cancelled',
};
const TONE: Readonly<Record<EvacuationRow['runState'], string>> = {
  queued: 'muted',
  running: 'muted',
  done: 'tone-ok',
  failed: 'tone-error',
  skipped: 'tone-warn',
  cancelled: 'tone-warn',
};

/** The destination's name as the plan listed it (its id when the plan did not name it). */
export function destinationName(r: EvacuationRow): string {
  if (r.destinationId === undefined) return '';
  return r.candidates.find((c) => c.hostId === r.destinationId)?.hostName ?? r.destinationId;
}

/** What was done with the VM, in words: `live (--live --p2p)`, `shutdown`. */
export function actionText(r: EvacuationRow): string {
  if (r.action === 'skip' || r.action === 'shutdown') return r.action;
  const o = describeOptions(r.options);
  return o === '' ? r.action : `${r.action} (${o})`;
}

function counts(v: EvacuationView): string {
  const n = (s: EvacuationRow['runState']) => v.rows.filter((r) => r.runState === s).length;
  return (['done', 'failed', 'skipped', 'cancelled', 'running', 'queued'] as const)
    .filter((s) => n(s) > 0)
    .map((s) => `${n(s)} ${RESULT_WORDS[s].toLowerCase()}`)
    .join(', ');
}

const ms = (v: number | undefined) => (v === undefined ? '-' : formatMilliseconds(v));

export function buildEvacuationHtml(v: EvacuationView, meta: { readonly generatedAt: number; readonly generator: string }): string {
  const title = `Evacuation report: ${v.hostName}`;
  const rows = v.rows
    .map(
      (r) =>
        `<tr><td>${esc(r.vm)}</td><td>${esc(destinationName(r) || '-')}</td><td>${esc(actionText(r))}</td><td class="num">${esc(ms(r.prediction?.totalMs))}</td><td class="num">${esc(ms(r.totalTimeMs))}</td><td class="num">${esc(ms(r.prediction?.downtimeMs))}</td><td class="num">${esc(ms(r.downtimeMs))}</td><td><span class="${TONE[r.runState]}">${esc(RESULT_WORDS[r.runState])}</span>${r.reason ? `<br><span class="muted">${esc(r.reason)}</span>` : ''}</td></tr>`,
    )
    .join('');
  const body = `<h2>Summary</h2><dl>
<dt>Host</dt><dd>${esc(v.hostName)}</dd>
<dt>Started</dt><dd>${esc(utc(v.startedAt))}</dd>
<dt>Ended</dt><dd>${v.endedAt === undefined ? 'not yet' : esc(utc(v.endedAt))}</dd>
<dt>Duration</dt><dd>${v.endedAt === undefined ? '-' : esc(formatMilliseconds(v.endedAt - v.startedAt))}</dd>
<dt>Outcome</dt><dd>${esc(v.outcome ?? v.state)}</dd>
<dt>Limits</dt><dd>${esc(`${v.limits.perSource} per source, ${v.limits.perDestination} per destination`)}</dd>
<dt>VMs</dt><dd>${esc(`${countOf(v.rows.length, 'VM')}: ${counts(v)}`)}</dd>
</dl>
<h2>VMs</h2><table><thead><tr><th>VM</th><th>Destination</th><th>Action and options</th><th>Predicted total</th><th>Actual total</th><th>Predicted downtime</th><th>Actual downtime</th><th>Result</th></tr></thead><tbody>${rows}</tbody></table>`;
  return reportPage(title, meta, body);
}

/** One row per VM; times in ms as raw numbers, an unknown value an empty cell. */
export function buildEvacuationCsv(v: EvacuationView): string {
  const columns = [
    'vm',
    'destination',
    'action',
    'options',
    'predicted_total_ms',
    'actual_total_ms',
    'predicted_downtime_ms',
    'actual_downtime_ms',
    'result',
    'reason',
    'migration_id',
    'started_at_utc',
    'ended_at_utc',
  ];
  const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
  const rows = v.rows.map((r) => [
    r.vm,
    destinationName(r),
    r.action,
    describeOptions(r.options),
    r.prediction?.totalMs,
    r.totalTimeMs,
    r.prediction?.downtimeMs,
    r.downtimeMs,
    r.runState,
    r.reason,
    r.migrationId,
    iso(r.startedAt),
    iso(r.endedAt),
  ]);
  return stringify(rows, { header: true, columns, cast: { number: (n: number) => String(n), string: csvText }, record_delimiter: 'windows' });
}

export function buildEvacuationJson(v: EvacuationView, meta: { readonly exportedAt: number; readonly generator: string }): string {
  return `${JSON.stringify({ schema: EVACUATION_REPORT_SCHEMA_ID, exportedAt: meta.exportedAt, generator: meta.generator, evacuation: v }, null, 1)}\n`;
}
