/**
 * The store's seam to migrations in main: the shared model (states, verdicts, pre-flight results and controls of
 * shared/migration/) with the samples in chart units, one run per migration. The adapter over the contract's
 * ferry.migrations.* channels (store/migrationContract.ts) is the one implementation the app uses.
 */
import type { FerryError } from '../../../shared/errors';
import type { MigrationControl } from '../../../shared/migration/controls';
import type { PreflightResultView } from '../../../shared/migration/preflight-result';
import type { MigrationEventView, MigrationRecordView } from '../../../shared/migration/record-schema';
import type { MigrationRecordState } from '../../../shared/migration/state';
import type { MigrationVerdict } from '../../../shared/migration/verdict';
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
export interface MigrationRun {
  readonly id: string;
  readonly vmName: string;
  readonly sourceHostId: string;
  readonly destinationHostId: string;
  readonly sourceName: string;
  readonly destinationName: string;
  readonly startedAt: string;
  readonly endedAt?: string | undefined;
  /** The record's state; its words come from shared/migration/state.ts. */
  readonly state: MigrationRecordState;
  readonly options: MigrationOptions;
  /** The bandwidth cap (MiB/s) and max downtime (ms) in force now: the options', or what a live control set since. */
  readonly limits?: MigrationRecordView['limits'];
  readonly samples: readonly RunSample[];
  readonly verdict?: MigrationVerdict | undefined;
  /** Post-copy was requested and the record says the migration is in it. */
  readonly inPostcopy?: boolean | undefined;
  /** The post-copy phase as the record keeps it (ms since the epoch). */
  readonly postcopy?: MigrationRecordView['postcopy'];
  readonly totalMs?: number | undefined;
  readonly downtimeMs?: number | undefined;
  readonly dataSentBytes?: number | undefined;
  readonly error?: FerryError | undefined;
  /** Set once post-copy broke (absent in the dev fakes' ordinary runs). */
  readonly interruption?: MigrationRecordView['interruption'];
  /** The record's events (absent in the dev fakes' ordinary runs). */
  readonly events?: readonly MigrationEventView[] | undefined;
  /** `trial`: a trial pre-copy, aborted on purpose after a few passes (the history labels it). */
  readonly purpose?: MigrationRecordView['purpose'];
  /** What Ferry predicted at the start for its options. */
  readonly prediction?: MigrationRecordView['prediction'];
}
export type RunHead = Omit<MigrationRun, 'samples'>;
export type MigrationEvent =
  | { readonly type: 'snapshot'; readonly runs: readonly MigrationRun[] }
  /** A record changed; `samples`, when given, replace the run's samples (loaded once for a running migration). */
  | { readonly type: 'run'; readonly run: RunHead; readonly samples?: readonly RunSample[] | undefined }
  | { readonly type: 'sample'; readonly id: string; readonly sample: RunSample; readonly verdict?: MigrationVerdict | undefined };
export interface StartSpec {
  readonly domain: string;
  readonly sourceHostId: string;
  readonly destinationHostId: string;
  readonly options: MigrationOptions;
  /** Failed checks the admin confirmed starting despite (main re-validates them). */
  readonly overrides?: readonly string[] | undefined;
}

export interface StartAnswer {
  readonly id?: string | undefined;
  readonly refused?: boolean | undefined;
  readonly preflight: readonly PreflightResultView[];
}

export interface MigrationPort {
  /**
   * One request: main runs the pre-flight checks, then (none failed, or only confirmed ones) starts; it answers the
   * checks it ran either way, and `refused` when pre-flight refused (the id is then the refused attempt's record).
   */
  start(spec: StartSpec): Promise<Result<StartAnswer, FerryError>>;
  control(id: string, control: MigrationControl): Promise<Result<object, FerryError>>;
  watch(onEvent: (e: MigrationEvent) => void): () => void;
  /** One run with all its samples (an ended run opened from the history: the stream carries no past samples). */
  load?(id: string): Promise<Result<{ readonly run: RunHead; readonly samples: readonly RunSample[] }, FerryError>>;
}

export function migrationPortOf(api: object): MigrationPort | undefined {
  const m = (api as { migrations?: MigrationPort }).migrations;
  return m !== undefined && typeof m.start === 'function' ? m : undefined;
}
