// One cell of the prediction sweep (bench/predict.ts, test/integration/predict-cell.test.ts): vmd re-created with a
// hot set and write speed (`lab.sh guest`), then migrated hvA -> hvB at a bandwidth cap through Ferry's own
// MigrationEngine, which journals every sample and the end. A run not finished after a fixed job time is aborted by
// Ferry and counts as not converged. The VM is left where the run left it: the next cell's `setGuest` (or
// `vmReset`) brings it home.
import type { MigrationOptions } from '../../shared/migration/options';
import type { MigrationRecord, MigrationState } from '../../electron/main/migration/record';
import type { LabEngine } from '../integration/lab-engine';
import { cancelWatchdog, setGuest, startWatchdog, type GuestSettings } from './lab';

export interface PredictionCell {
  /** `d20@16` (canonical loop, 20 MiB, cap 16) or `d40r12@16` (40 MiB rewritten at 12 MiB/s). */
  readonly id: string;
  readonly guest: GuestSettings;
  readonly capMiBps: number;
  /** Options beyond live/p2p/persistent/undefinesource and the cap (the model's remedy, for instance). */
  readonly extra?: Partial<MigrationOptions>;
}

export function cellId(guest: GuestSettings, capMiBps: number): string {
  return `d${guest.dirtyMiB}${guest.rateMiBps === undefined ? '' : `r${guest.rateMiBps}`}@${capMiBps}`;
}

export function makeCell(guest: GuestSettings, capMiBps: number, extra?: Partial<MigrationOptions>): PredictionCell {
  return { id: cellId(guest, capMiBps), guest, capMiBps, ...(extra ? { extra } : {}) };
}

export const BASE_OPTIONS: MigrationOptions = { live: true, p2p: true, persistent: true, undefineSource: true };

export function cellOptions(cell: PredictionCell): MigrationOptions {
  return { ...BASE_OPTIONS, bandwidthMiBps: cell.capMiBps, ...cell.extra };
}

/** What one run measured, from the record as the journal on disk rebuilds it. */
export interface CellMeasurement {
  readonly id: string;
  readonly guest: GuestSettings;
  readonly capMiBps: number;
  readonly options: MigrationOptions;
  readonly recordId: string;
  readonly state: MigrationState;
  readonly converged: boolean;
  /** Aborted by the bench at the job-time bound. */
  readonly abortedAtMs?: number;
  /** Job time: libvirt's completed statistics; for an aborted run the last sample's elapsed time. */
  readonly totalTimeMs?: number;
  readonly downtimeMs?: number;
  /** Data sent (libvirt's "Data processed"), completed statistics or the last sample. */
  readonly dataBytes?: number;
  /** Pre-copy passes (libvirt's iteration counter). */
  readonly passes?: number;
  /** Median of QEMU's dirty rate over the samples from pass 2 on (pass 1 reports 0), else the completed statistics', MiB/s. */
  readonly dirtyRateMiBps?: number;
  /** Median memory bandwidth over the samples that report one, MiB/s. */
  readonly bandwidthMiBps?: number;
  readonly samples: number;
  /** Wall time of the run as the engine saw it, ms. */
  readonly wallMs?: number;
}

const MiB = 1024 * 1024;

function median(xs: readonly number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

export function measure(cell: PredictionCell, rec: MigrationRecord, abortedAtMs?: number): CellMeasurement {
  const final = rec.end?.final;
  // The last sample of the running job: after an abort the final samples show no job (no figures at all).
  const infos = rec.samples.flatMap((s) => (s.info ? [s.info] : []));
  const last = infos.findLast((i) => i.dataProcessedBytes !== undefined);
  const converged = rec.state === 'completed';
  const dirty = infos.filter((i) => (i.iteration ?? 0) >= 2 && (i.dirtyRatePagesPerSecond ?? 0) > 0).map((i) => ((i.dirtyRatePagesPerSecond ?? 0) * (i.pageSizeBytes ?? 4096)) / MiB);
  const bw = infos.flatMap((i) => (i.memoryBandwidthBytesPerSecond ? [i.memoryBandwidthBytesPerSecond / MiB] : []));
  const totalTimeMs = converged ? (final?.totalTimeMs ?? last?.timeElapsedMs) : last?.timeElapsedMs;
  const dataBytes = converged ? (final?.dataSentBytes ?? last?.dataProcessedBytes) : last?.dataProcessedBytes;
  const passes = (converged ? final?.info?.iteration : undefined) ?? last?.iteration;
  const downtimeMs = converged ? final?.downtimeMs : undefined;
  // A short run may end before a sample of pass 2: then the completed statistics' figure.
  const finalDirty = final?.info?.dirtyRatePagesPerSecond ? (final.info.dirtyRatePagesPerSecond * (final.info.pageSizeBytes ?? 4096)) / MiB : undefined;
  const dirtyRateMiBps = median(dirty) ?? finalDirty;
  const bandwidthMiBps = median(bw);
  return {
    id: cell.id,
    guest: cell.guest,
    capMiBps: cell.capMiBps,
    options: cellOptions(cell),
    recordId: rec.id,
    state: rec.state,
    converged,
    samples: rec.samples.length,
    ...(abortedAtMs !== undefined ? { abortedAtMs } : {}),
    ...(totalTimeMs !== undefined ? { totalTimeMs } : {}),
    ...(downtimeMs !== undefined ? { downtimeMs } : {}),
    ...(dataBytes !== undefined ? { dataBytes } : {}),
    ...(passes !== undefined ? { passes } : {}),
    ...(dirtyRateMiBps !== undefined ? { dirtyRateMiBps } : {}),
    ...(bandwidthMiBps !== undefined ? { bandwidthMiBps } : {}),
    ...(rec.end?.wallMs !== undefined ? { wallMs: rec.end.wallMs } : {}),
  };
}

export interface CellRunOptions {
  /** Job time (libvirt's elapsed time) after which Ferry aborts the run, ms. */
  readonly jobLimitMs: number;
  readonly vm?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs one cell; resolves with the record as the journal on disk has it, and what it measured. */
export async function runPredictionCell(le: LabEngine, cell: PredictionCell, o: CellRunOptions): Promise<{ record: MigrationRecord; measurement: CellMeasurement }> {
  const vm = o.vm ?? 'vmd';
  await setGuest(vm, cell.guest);
  // The lab's own watchdog, in case this process dies with the job running: well after Ferry's abort.
  const watchdog = await startWatchdog('hvA', vm, Math.ceil(o.jobLimitMs / 1000) + 90);
  try {
    const s = await le.engine.start({ vm, source: le.hvA, destination: le.hvB, options: cellOptions(cell), destinationUser: 'root' });
    if (!s.ok) throw new Error(`${cell.id}: the engine refused the start: ${s.error.message}`);
    const id = s.value.id;
    const t0 = Date.now();
    let abortedAtMs: number | undefined;
    while (le.engine.isRunning(id)) {
      const job = le.engine.record(id)?.samples.at(-1)?.info?.timeElapsedMs ?? 0;
      // Job time is the bound; the wall clock only guards a run whose samples stopped coming.
      if (job >= o.jobLimitMs || Date.now() - t0 >= o.jobLimitMs + 30_000) {
        abortedAtMs = job;
        const r = await le.engine.control(id, { kind: 'abort' });
        if (!r.ok) throw new Error(`${cell.id}: abort failed: ${r.error.message}`);
        break;
      }
      await sleep(250);
    }
    await le.engine.settled(id);
    // The engine stops counting a run as running before its end line is on disk, and `settled` then answers at
    // once: wait for the end in the journal itself.
    let record = le.fromDisk(id);
    for (const deadline = Date.now() + 60_000; record?.end === undefined && Date.now() < deadline; record = le.fromDisk(id)) await sleep(100);
    if (!record?.end) throw new Error(`${cell.id}: the journal has no end for ${id}`);
    return { record, measurement: measure(cell, record, abortedAtMs) };
  } finally {
    await cancelWatchdog(watchdog).catch(() => undefined);
  }
}
