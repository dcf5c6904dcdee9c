/**
 * The store's seam to migrations in main, in the renderer's own terms (chart units, one run per migration). Until
 * the back end runs migrations, the dev fake provides it (`api.migrations`, scripted runs); the real client gets the
 * adapter over the contract's ferry.migrations.* channels (store/migrationContract.ts).
 */
import type { FerryError } from '../../../shared/errors';
import type { MigrationRecordState } from '../../../shared/migration/state';
import type { MigrationOptions } from '../../../shared/migration/options';
import type { Result } from '../../../shared/result';
import type { ChartPoint } from '../features/migrate/chartData';

export interface RunSample extends ChartPoint {
  readonly iteration?: number | undefined;
  /** Wall-clock time of the sample, ms since the epoch (places the post-copy switch on the chart). */
  readonly at?: number | undefined;
  /** The sample was taken in post-copy (QEMU counted page requests, or its verdict said so). */
  readonly postcopy?: boolean | undefined;
}
export type VerdictState = 'starting' | 'converging' | 'slow' | 'not-converging' | 'stalled' | 'post-copy' | 'completing';
export type RemedyAction = 'setSpeed' | 'setMaxDowntime' | 'postcopy' | 'abort';
export interface RunRemedy {
  readonly action: RemedyAction;
  readonly value?: number | undefined;
  readonly label: string;
  readonly available: boolean;
}
export interface RunVerdict {
  readonly state: VerdictState;
  readonly reason: string;
  readonly remedies: readonly RunRemedy[];
  readonly etaMs?: number | undefined;
  readonly etaNote: string;
  readonly passProgress?: number | undefined;
  readonly progressLabel?: string | undefined;
  /** Job time of the sample it judges, ms: a newer verdict is never replaced by an older one. */
  readonly elapsedMs?: number | undefined;
}
export interface PreflightCheck {
  readonly id: string;
  readonly title: string;
  readonly status: 'pass' | 'warn' | 'fail';
  readonly message: string;
  readonly fix?: string | undefined;
  /** A failure that is not certain: the admin may confirm starting anyway. */
  readonly overridable?: boolean | undefined;
  /** One click that fixes it (`offline`: move the definition with --offline --persistent). */
  readonly remedy?: 'offline' | undefined;
  /** Main accepted the admin's confirmation for this failed check. */
  readonly overridden?: boolean | undefined;
}
/**
 * `refused`: pre-flight refused the start; the record keeps the checks.
 * `interrupted`: post-copy broke and the VM is split across both hosts until a resume (not an end). */
export type RunStatus = 'running' | 'interrupted' | 'completed' | 'failed' | 'cancelled' | 'refused';
/** One line of the record's timeline (ms since the epoch; `kind` is the record's event kind). */
export interface RunEvent {
  readonly at: number;
  readonly kind: string;
  readonly text: string;
}
/** The record's post-copy interruption (contract: `interruption`): each host's `virsh domstate --reason` text. */
export interface RunInterruption {
  readonly at: number;
  readonly source: string;
  readonly destination: string;
  readonly resumes: number;
  /** The last resume, while it is the newest of these events (running, or it finished the run). */
  readonly resumedAt?: number | undefined;
  /** Why the last resume failed, in libvirt's words (`detail`). */
  readonly lastResumeError?: FerryError | undefined;
}
export interface MigrationRun {
  readonly id: string;
  readonly vmName: string;
  readonly sourceHostId: string;
  readonly destinationHostId: string;
  readonly sourceName: string;
  readonly destinationName: string;
  readonly startedAt: string;
  readonly endedAt?: string | undefined;
  readonly status: RunStatus;
  /** The record's own state from main (absent in the dev fakes): the history shows its words (shared/migration/state). */
  readonly state?: MigrationRecordState | undefined;
  readonly options: MigrationOptions;
  /** The bandwidth cap (MiB/s) and max downtime (ms) in force now: the options', or what a live control set since. */
  readonly limits?: { readonly bandwidthMiBps?: number | undefined; readonly maxDowntimeMs?: number | undefined } | undefined;
  readonly samples: readonly RunSample[];
  readonly verdict?: RunVerdict | undefined;
  /** Post-copy was requested and the record says the migration is in it. */
  readonly inPostcopy?: boolean | undefined;
  /** The post-copy phase as the record keeps it (ms since the epoch). */
  readonly postcopy?: { readonly startedAt: number; readonly endedAt?: number | undefined; readonly sampled: boolean } | undefined;
  readonly totalMs?: number | undefined;
  readonly downtimeMs?: number | undefined;
  readonly dataSentBytes?: number | undefined;
  readonly error?: FerryError | undefined;
  /** Set once post-copy broke (absent in the dev fakes' ordinary runs). */
  readonly interruption?: RunInterruption | undefined;
  /** The record's events (absent in the dev fakes' ordinary runs). */
  readonly events?: readonly RunEvent[] | undefined;
}
export type RunHead = Omit<MigrationRun, 'samples'>;
export type MigrationEvent =
  | { readonly type: 'snapshot'; readonly runs: readonly MigrationRun[] }
  /** A record changed; `samples`, when given, replace the run's samples (loaded once for a running migration). */
  | { readonly type: 'run'; readonly run: RunHead; readonly samples?: readonly RunSample[] | undefined }
  | { readonly type: 'sample'; readonly id: string; readonly sample: RunSample; readonly verdict?: RunVerdict | undefined };
export type ControlAction = { readonly kind: 'setSpeed'; readonly value: number } | { readonly kind: 'setMaxDowntime'; readonly value: number } | { readonly kind: 'postcopy' } | { readonly kind: 'abort' } | { readonly kind: 'resumePostcopy' };
export interface StartSpec {
  readonly domain: string;
  readonly sourceHostId: string;
  readonly destinationHostId: string;
  readonly options: MigrationOptions;
  /** Failed checks the admin confirmed starting despite (main re-validates them). */
  readonly overrides?: readonly string[] | undefined;
}

export interface MigrationPort {
  /**
   * Runs the pre-flight checks, then (none failed, or only confirmed ones) starts; answers the checks either way, and
   * `refused` when pre-flight refused (the id is then the refused attempt's record, when main keeps one).
   */
  start(spec: StartSpec): Promise<Result<{ readonly id?: string | undefined; readonly refused?: boolean | undefined; readonly preflight: readonly PreflightCheck[] }, FerryError>>;
  control(id: string, action: ControlAction): Promise<Result<object, FerryError>>;
  watch(onEvent: (e: MigrationEvent) => void): () => void;
  /** One run with all its samples (an ended run opened from the history: the stream carries no past samples). */
  load?(id: string): Promise<Result<{ readonly run: RunHead; readonly samples: readonly RunSample[] }, FerryError>>;
}

export function migrationPortOf(api: object): MigrationPort | undefined {
  const m = (api as { migrations?: MigrationPort }).migrations;
  return m !== undefined && typeof m.start === 'function' ? m : undefined;
}
