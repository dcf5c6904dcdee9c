/**
 * `virsh domjobinfo DOMAIN [--completed [--keep-completed]] [--rawstats]`.
 *
 * Lines come and go, and the parser keeps that visible: a field virsh did not print is absent
 * (undefined), never 0. In particular `Memory bandwidth:` is omitted by virsh when the rate is 0 (a stalled
 * migration), `Expected downtime:` appears only while running, `Total downtime:`/`Downtime w/o network:`/
 * `Time elapsed w/o network:` only when completed, `Auto converge throttle:` only with --auto-converge.
 * The human form rounds sizes to 3 decimals of their unit (`format: 'human'`); `--rawstats` gives exact integers
 * (`format: 'raw'`). libvirt leaves `memory_bps` out of the raw form too while stalled (captured), so the field is
 * absent in both forms, never 0.
 * Errors on stderr (`error: ...`) come back as typed errors: libvirt.not-running, libvirt.stats-on-destination,
 * libvirt.no-domain, libvirt.unsupported, libvirt.error.
 */
import { ok, err, type Result } from '../result';
import { ferryError, type FerryError } from '../errors';
import { parseByteRate, parseCount, parseMilliseconds, parseSize } from '../units';
import { contentLines, emptyOutput, fail, splitLabel, type Draft } from './text';
import { virshError } from './virsh-error';

export type DomainJobType = 'none' | 'bounded' | 'unbounded' | 'completed' | 'failed' | 'cancelled';
export type DomainJobOperation =
  | 'unknown'
  | 'start'
  | 'save'
  | 'restore'
  | 'incoming-migration'
  | 'outgoing-migration'
  | 'snapshot'
  | 'snapshot-revert'
  | 'dump'
  | 'backup'
  | 'snapshot-delete';

/** Numeric fields, each with its unit in its name. */
export interface DomainJobNumbers {
  readonly timeElapsedMs?: number;
  readonly timeElapsedWithoutNetworkMs?: number;
  readonly timeRemainingMs?: number;
  readonly dataProcessedBytes?: number;
  readonly dataRemainingBytes?: number;
  readonly dataTotalBytes?: number;
  readonly memoryProcessedBytes?: number;
  readonly memoryRemainingBytes?: number;
  readonly memoryTotalBytes?: number;
  /** Absent in the human form while the transfer is stalled: virsh hides a 0 rate. */
  readonly memoryBandwidthBytesPerSecond?: number;
  /** Pages per second; times `pageSizeBytes` for bytes per second. */
  readonly dirtyRatePagesPerSecond?: number;
  readonly pageSizeBytes?: number;
  readonly iteration?: number;
  readonly postcopyRequests?: number;
  readonly constantPages?: number;
  readonly normalPages?: number;
  readonly normalDataBytes?: number;
  /** While running: QEMU's estimate. */
  readonly expectedDowntimeMs?: number;
  /** When completed: as measured (on the destination this is not the real pause). */
  readonly totalDowntimeMs?: number;
  readonly downtimeWithoutNetworkMs?: number;
  readonly setupTimeMs?: number;
  /** virsh's `File ...` lines, libvirt's `disk_*` stats (non-shared storage copy, save/dump files). */
  readonly fileProcessedBytes?: number;
  readonly fileRemainingBytes?: number;
  readonly fileTotalBytes?: number;
  readonly fileBandwidthBytesPerSecond?: number;
  readonly compressionCacheBytes?: number;
  readonly compressedDataBytes?: number;
  readonly compressedPages?: number;
  readonly compressionCacheMisses?: number;
  readonly compressionOverflows?: number;
  /** Percent of vCPU time taken away by auto-converge; only present with --auto-converge. */
  readonly autoConvergeThrottlePercent?: number;
  readonly tempDiskUsedBytes?: number;
  readonly tempDiskTotalBytes?: number;
  readonly vfioDataTransferredBytes?: number;
}

export interface DomainJobInfo extends DomainJobNumbers {
  /** `human`: sizes rounded by virsh to 3 decimals of their unit; `raw`: exact integers from --rawstats. */
  readonly format: 'human' | 'raw';
  readonly type: DomainJobType;
  readonly operation?: DomainJobOperation;
  /** `Error message:` / `errmsg` of a failed job. */
  readonly errorMessage?: string;
  /** `success` of --rawstats for a finished job. */
  readonly success?: boolean;
  /**
   * Well-formed `Label: value` lines this parser does not know (a newer libvirt's extra statistic), verbatim, so
   * that they neither break sampling nor vanish. Absent when there are none.
   */
  readonly other?: Readonly<Record<string, string>>;
}

type NumberKey = keyof DomainJobNumbers;
type Kind = 'ms' | 'size' | 'rate' | 'count' | 'pages/s' | 'bytes';

/** Human label -> field and how virsh prints its value. */
const HUMAN_FIELDS: Readonly<Record<string, { key: NumberKey; kind: Kind }>> = {
  'Time elapsed': { key: 'timeElapsedMs', kind: 'ms' },
  'Time elapsed w/o network': { key: 'timeElapsedWithoutNetworkMs', kind: 'ms' },
  'Time remaining': { key: 'timeRemainingMs', kind: 'ms' },
  'Data processed': { key: 'dataProcessedBytes', kind: 'size' },
  'Data remaining': { key: 'dataRemainingBytes', kind: 'size' },
  'Data total': { key: 'dataTotalBytes', kind: 'size' },
  'Memory processed': { key: 'memoryProcessedBytes', kind: 'size' },
  'Memory remaining': { key: 'memoryRemainingBytes', kind: 'size' },
  'Memory total': { key: 'memoryTotalBytes', kind: 'size' },
  'Memory bandwidth': { key: 'memoryBandwidthBytesPerSecond', kind: 'rate' },
  'Dirty rate': { key: 'dirtyRatePagesPerSecond', kind: 'pages/s' },
  'Page size': { key: 'pageSizeBytes', kind: 'bytes' },
  Iteration: { key: 'iteration', kind: 'count' },
  'Postcopy requests': { key: 'postcopyRequests', kind: 'count' },
  'File processed': { key: 'fileProcessedBytes', kind: 'size' },
  'File remaining': { key: 'fileRemainingBytes', kind: 'size' },
  'File total': { key: 'fileTotalBytes', kind: 'size' },
  'File bandwidth': { key: 'fileBandwidthBytesPerSecond', kind: 'rate' },
  'Constant pages': { key: 'constantPages', kind: 'count' },
  'Normal pages': { key: 'normalPages', kind: 'count' },
  'Normal data': { key: 'normalDataBytes', kind: 'size' },
  'Expected downtime': { key: 'expectedDowntimeMs', kind: 'ms' },
  'Total downtime': { key: 'totalDowntimeMs', kind: 'ms' },
  'Downtime w/o network': { key: 'downtimeWithoutNetworkMs', kind: 'ms' },
  'Setup time': { key: 'setupTimeMs', kind: 'ms' },
  'Compression cache': { key: 'compressionCacheBytes', kind: 'size' },
  'Compressed data': { key: 'compressedDataBytes', kind: 'size' },
  'Compressed pages': { key: 'compressedPages', kind: 'count' },
  'Compression cache misses': { key: 'compressionCacheMisses', kind: 'count' },
  'Compression overflows': { key: 'compressionOverflows', kind: 'count' },
  'Auto converge throttle': { key: 'autoConvergeThrottlePercent', kind: 'count' },
  'Temporary disk space use': { key: 'tempDiskUsedBytes', kind: 'size' },
  'Temporary disk space total': { key: 'tempDiskTotalBytes', kind: 'size' },
  'VFIO data transferred': { key: 'vfioDataTransferredBytes', kind: 'size' },
};

/** --rawstats typed-parameter name -> field (all plain integers). `downtime` depends on the job type. */
const RAW_FIELDS: Readonly<Record<string, NumberKey>> = {
  time_elapsed: 'timeElapsedMs',
  time_elapsed_net: 'timeElapsedWithoutNetworkMs',
  time_remaining: 'timeRemainingMs',
  data_total: 'dataTotalBytes',
  data_processed: 'dataProcessedBytes',
  data_remaining: 'dataRemainingBytes',
  memory_total: 'memoryTotalBytes',
  memory_processed: 'memoryProcessedBytes',
  memory_remaining: 'memoryRemainingBytes',
  memory_bps: 'memoryBandwidthBytesPerSecond',
  memory_dirty_rate: 'dirtyRatePagesPerSecond',
  memory_page_size: 'pageSizeBytes',
  memory_iteration: 'iteration',
  memory_postcopy_requests: 'postcopyRequests',
  memory_constant: 'constantPages',
  memory_normal: 'normalPages',
  memory_normal_bytes: 'normalDataBytes',
  downtime_net: 'downtimeWithoutNetworkMs',
  setup_time: 'setupTimeMs',
  disk_total: 'fileTotalBytes',
  disk_processed: 'fileProcessedBytes',
  disk_remaining: 'fileRemainingBytes',
  disk_bps: 'fileBandwidthBytesPerSecond',
  compression_cache: 'compressionCacheBytes',
  compression_bytes: 'compressedDataBytes',
  compression_pages: 'compressedPages',
  compression_cache_misses: 'compressionCacheMisses',
  compression_overflow: 'compressionOverflows',
  auto_converge_throttle: 'autoConvergeThrottlePercent',
  disk_temp_used: 'tempDiskUsedBytes',
  disk_temp_total: 'tempDiskTotalBytes',
  vfio_data_transferred: 'vfioDataTransferredBytes',
};

const HUMAN_TYPES: Readonly<Record<string, DomainJobType>> = {
  None: 'none',
  Bounded: 'bounded',
  Unbounded: 'unbounded',
  Completed: 'completed',
  Failed: 'failed',
  Cancelled: 'cancelled',
};
/** virDomainJobType, in order. */
const RAW_TYPES: readonly DomainJobType[] = ['none', 'bounded', 'unbounded', 'completed', 'failed', 'cancelled'];

const HUMAN_OPERATIONS: Readonly<Record<string, DomainJobOperation>> = {
  Unknown: 'unknown',
  Start: 'start',
  Save: 'save',
  Restore: 'restore',
  'Incoming migration': 'incoming-migration',
  'Outgoing migration': 'outgoing-migration',
  Snapshot: 'snapshot',
  'Snapshot revert': 'snapshot-revert',
  Dump: 'dump',
  Backup: 'backup',
  'Snapshot delete': 'snapshot-delete',
};
/** virDomainJobOperation, in order. */
const RAW_OPERATIONS: readonly DomainJobOperation[] = [
  'unknown',
  'start',
  'save',
  'restore',
  'incoming-migration',
  'outgoing-migration',
  'snapshot',
  'snapshot-revert',
  'dump',
  'backup',
  'snapshot-delete',
];

function readHumanValue(kind: Kind, value: string, line: string): Result<number, FerryError> {
  const withLine = (r: Result<number, FerryError>): Result<number, FerryError> =>
    r.ok ? r : err({ ...r.error, detail: line });
  switch (kind) {
    case 'ms': {
      const r = parseMilliseconds(value);
      return withLine(r.ok ? ok(r.value.ms) : r);
    }
    case 'size': {
      const r = parseSize(value);
      return withLine(r.ok ? ok(r.value.bytes) : r);
    }
    case 'rate': {
      const r = parseByteRate(value);
      return withLine(r.ok ? ok(r.value.bytesPerSecond) : r);
    }
    case 'pages/s':
    case 'bytes':
    case 'count': {
      const suffix = kind === 'count' ? '' : kind;
      const m = /^(\S+)\s*(\S*)$/.exec(value);
      const n = m && m[2] === suffix ? parseCount(m[1] ?? '') : undefined;
      if (n === undefined) {
        return fail('parse.bad-value', `Expected a whole number${suffix ? ` in ${suffix}` : ''}: "${value}".`, line);
      }
      return ok(n);
    }
  }
}

function parseHuman(lines: readonly string[], type: DomainJobType): Result<DomainJobInfo, FerryError> {
  const out: Draft<Omit<DomainJobInfo, 'format' | 'type'>> = {};
  const other: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const kv = splitLabel(line);
    if (!kv || kv.label === '') {
      return fail('parse.unrecognised', 'A domjobinfo line is not of the form "Label: value".', line);
    }
    const { label, value } = kv;
    if (label === 'Operation') {
      const op = HUMAN_OPERATIONS[value];
      if (!op) return fail('parse.bad-value', `Unknown job operation "${value}".`, line);
      out.operation = op;
      continue;
    }
    if (label === 'Error message') {
      out.errorMessage = value;
      continue;
    }
    const spec = HUMAN_FIELDS[label];
    if (!spec) {
      if (value === '') return fail('parse.unrecognised', `Unknown domjobinfo line "${label}:" without a value.`, line);
      other[label] = value;
      continue;
    }
    if (spec.key in out) return fail('parse.unrecognised', `domjobinfo printed "${label}" twice.`, line);
    const n = readHumanValue(spec.kind, value, line);
    if (!n.ok) return n;
    out[spec.key] = n.value;
  }
  if (Object.keys(other).length > 0) out.other = other;
  return ok({ format: 'human', type, ...out });
}

function parseRaw(lines: readonly string[], type: DomainJobType): Result<DomainJobInfo, FerryError> {
  return parseJobParams(lines.slice(1), type);
}

/**
 * libvirt's job statistics as typed parameters, one `name: value` a line (what --rawstats prints after its
 * `Job type:` line, and what the job-completed event carries): the same names, read the same way.
 */
export function parseJobParams(lines: readonly string[], type: DomainJobType): Result<DomainJobInfo, FerryError> {
  const out: Draft<Omit<DomainJobInfo, 'format' | 'type'>> = {};
  const other: Record<string, string> = {};
  for (const line of lines) {
    const m = /^([a-z][a-z0-9_]*): ?(.*)$/.exec(line.trim());
    if (!m) return fail('parse.unrecognised', 'A domjobinfo --rawstats line is not of the form "name: value".', line);
    const name = m[1] ?? '';
    const value = (m[2] ?? '').trim();
    if (name === 'errmsg') {
      out.errorMessage = value;
      continue;
    }
    if (name === 'success') {
      if (value !== 'yes' && value !== 'no') return fail('parse.bad-value', `success is "${value}", not yes/no.`, line);
      out.success = value === 'yes';
      continue;
    }
    const key: NumberKey | 'operation' | undefined =
      name === 'operation'
        ? 'operation'
        : name === 'downtime'
          ? type === 'completed'
            ? 'totalDowntimeMs'
            : 'expectedDowntimeMs'
          : RAW_FIELDS[name];
    if (key === undefined) {
      other[name] = value;
      continue;
    }
    const n = parseCount(value);
    if (n === undefined) return fail('parse.bad-value', `${name} is not a whole number: "${value}".`, line);
    if (key === 'operation') {
      const op = RAW_OPERATIONS[n];
      if (!op) return fail('parse.bad-value', `Unknown job operation number ${n}.`, line);
      out.operation = op;
    } else {
      if (key in out) return fail('parse.unrecognised', `domjobinfo printed "${name}" twice.`, line);
      out[key] = n;
    }
  }
  if (Object.keys(other).length > 0) out.other = other;
  return ok({ format: 'raw', type, ...out });
}

export function parseDomjobinfo(text: string): Result<DomainJobInfo, FerryError> {
  const error = virshError(text);
  if (error) return err(error);
  const lines = contentLines(text);
  const first = lines[0];
  if (first === undefined) return emptyOutput('virsh domjobinfo');
  const head = /^Job type:\s*(\S+)\s*$/.exec(first.trim());
  if (!head) {
    return err(ferryError('parse.unrecognised', 'This is not domjobinfo output: it does not start with "Job type:".', first));
  }
  const word = head[1] ?? '';
  const humanType = HUMAN_TYPES[word];
  if (humanType) return parseHuman(lines, humanType);
  const n = parseCount(word);
  const rawType = n === undefined ? undefined : RAW_TYPES[n];
  if (rawType) return parseRaw(lines, rawType);
  return fail('parse.bad-value', `Unknown job type "${word}".`, first);
}
