/**
 * The samples as CSV (RFC 4180 through csv-stringify, never string joins): one row per sample of each migration,
 * units in the column names, raw numbers (bytes, ms, bytes/s; no rounding, no unit suffixes) so a spreadsheet or a
 * script gets exactly what Ferry measured. An unknown value is an empty cell, never 0. Pure.
 */
import { stringify } from 'csv-stringify/sync';
import type { MigrationSample } from '../migration/record-schema';
import type { ReportEntry } from './schema';

type Cell = string | number | undefined;

/**
 * A text cell a spreadsheet cannot take for a formula (CSV injection): a VM name or a libvirt error text starting
 * with =, +, -, @, tab or CR is prefixed with ' so Excel, LibreOffice and Sheets show it as text. Only strings pass
 * here: numbers are written as numbers, and a negative number ("-5") is a number to a spreadsheet, not a formula.
 */
export function csvText(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

export const CSV_COLUMNS: readonly { readonly name: string; readonly value: (s: MigrationSample, e: ReportEntry) => Cell }[] = [
  { name: 'migration_id', value: (_s, e) => e.record.id },
  { name: 'vm', value: (_s, e) => e.record.vm },
  { name: 'source', value: (_s, e) => e.record.source.name },
  { name: 'destination', value: (_s, e) => e.record.destination.name },
  { name: 'seq', value: (s) => s.seq },
  { name: 'at_ms_since_epoch', value: (s) => s.at },
  { name: 'at_utc', value: (s) => new Date(s.at).toISOString() },
  { name: 'sample_latency_ms', value: (s) => s.latencyMs },
  { name: 'job_type', value: (s) => s.info?.type },
  { name: 'elapsed_ms', value: (s) => s.figures?.elapsedMs },
  { name: 'iteration', value: (s) => s.figures?.iteration },
  { name: 'throughput_bytes_per_s', value: (s) => s.figures?.throughputBytesPerSecond },
  { name: 'throughput_source', value: (s) => s.figures?.throughputSource },
  { name: 'dirty_rate_bytes_per_s', value: (s) => s.figures?.dirtyRateBytesPerSecond },
  { name: 'dirty_rate_pages_per_s', value: (s) => s.info?.dirtyRatePagesPerSecond },
  { name: 'page_size_bytes', value: (s) => s.info?.pageSizeBytes },
  { name: 'memory_processed_bytes', value: (s) => s.figures?.processedBytes },
  { name: 'memory_remaining_bytes', value: (s) => s.figures?.remainingBytes },
  { name: 'memory_total_bytes', value: (s) => s.figures?.totalBytes },
  { name: 'data_processed_bytes', value: (s) => s.info?.dataProcessedBytes },
  { name: 'data_remaining_bytes', value: (s) => s.info?.dataRemainingBytes },
  { name: 'expected_downtime_ms', value: (s) => s.figures?.expectedDowntimeMs },
  { name: 'pass_progress_ratio', value: (s) => s.figures?.passProgress },
  { name: 'auto_converge_throttle_percent', value: (s) => s.info?.autoConvergeThrottlePercent },
  { name: 'postcopy_requests', value: (s) => s.info?.postcopyRequests },
  { name: 'verdict', value: (s) => s.verdict?.state },
  { name: 'error_code', value: (s) => s.error?.code },
  { name: 'error_message', value: (s) => s.error?.message },
];

export function buildSamplesCsv(entries: readonly ReportEntry[]): string {
  const rows: Cell[][] = [];
  for (const e of entries) for (const s of e.samples) rows.push(CSV_COLUMNS.map((c) => c.value(s, e)));
  return stringify(rows, {
    header: true,
    columns: CSV_COLUMNS.map((c) => c.name),
    // Numbers as JavaScript prints them: the shortest text that reads back to the same double.
    cast: { number: (v: number) => String(v), string: csvText },
    record_delimiter: 'windows',
  });
}
