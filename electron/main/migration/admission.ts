/**
 * Whether a migration may start, and the start line it gets. Refused: a VM split by a broken post-copy migration
 * (libvirt would start from the paused half, or move the half that fetches pages from the other), a VM already
 * migrating from that host, and a source host whose SSH connection has no channel left for another `virsh migrate`.
 */
import { countOf } from '../../../shared/count';
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import type { MigrateSpec } from '../../../shared/commands/migrate';
import type { MigrationOptions } from '../../../shared/migration/options';
import type { PreflightResultView } from '../../../shared/migration/preflight-result';
import type { StartPrediction } from '../../../shared/migration/predict-schema';
import type { MigrationPurpose } from '../../../shared/migration/record-schema';
import { clampInterval } from '../sampler/job-sampler';
import { splitRecordOf } from './postcopy-recovery';
import type { MigrationHostRef, MigrationRecord, MigrationStartPayload } from './record';
import type { Running } from './run';

export interface StartMigration {
  readonly vm: string;
  readonly source: MigrationHostRef;
  readonly destination: MigrationHostRef;
  readonly options: MigrationOptions;
  readonly destinationUser?: string;
  /** The destination's SSH port, in the qemu+ssh URI when not 22. */
  readonly destinationPort?: number;
  /** Sampling period, 100..10000 ms; default 1000. */
  readonly intervalMs?: number;
  /** Pre-flight results, journalled with the start. */
  readonly preflight?: readonly PreflightResultView[];
  /** Journalled with the start: `trial` for a trial pre-copy. */
  readonly purpose?: MigrationPurpose;
  /** Journalled with the start: the host evacuation it runs for. */
  readonly evacuationId?: string;
  /** The prediction made for these options at the start, journalled with it. */
  readonly prediction?: StartPrediction;
}

/**
 * How many migrations run from one source host at once by default. Each `virsh migrate` holds an SSH channel for its
 * whole run, and a pooled connection carries 10 (OpenSSH's MaxSessions), one of them the source's virsh session: a
 * 10th would wait in the pool's queue while its record said "running" and its samples showed no job.
 */
export const DEFAULT_MAX_PER_SOURCE = 9;

/** The migrate command's spec for a start request (the one place the destination's user and port go in). */
export function migrateSpecOf(req: StartMigration): MigrateSpec {
  return {
    domain: req.vm,
    destinationHost: req.destination.address,
    options: req.options,
    ...(req.destinationUser !== undefined ? { destinationUser: req.destinationUser } : {}),
    ...(req.destinationPort !== undefined ? { destinationPort: req.destinationPort } : {}),
  };
}

/** The start line of a request, with the command it runs (empty for an attempt refused before it could be built). */
export function startPayloadOf(req: StartMigration, argv: readonly string[], commandLine: string): MigrationStartPayload {
  return {
    vm: req.vm,
    source: req.source,
    destination: req.destination,
    options: req.options as Readonly<Record<string, unknown>>,
    argv,
    commandLine,
    intervalMs: clampInterval(req.intervalMs ?? 1000),
    ...(req.preflight !== undefined ? { preflight: req.preflight } : {}),
    ...(req.purpose !== undefined ? { purpose: req.purpose } : {}),
    ...(req.evacuationId !== undefined ? { evacuationId: req.evacuationId } : {}),
    ...(req.prediction !== undefined ? { prediction: req.prediction } : {}),
  };
}

/** Pure: may this request start, beside the runs in progress and the records in the history? */
export function admit(
  req: StartMigration,
  running: Iterable<Pick<Running, 'id' | 'vm' | 'source' | 'reattached' | 'jobCompleted'>>,
  records: readonly MigrationRecord[],
  maxPerSource: number,
): Result<void, FerryError> {
  const split = splitRecordOf(records, req.vm, req.source);
  if (split) {
    return err(ferryError('input.invalid', `${req.vm} is split between two hosts since a post-copy migration broke (migration ${split.id}): resume that migration instead.`));
  }
  let fromSource = 0;
  let channels = 0;
  for (const r of running) {
    if (r.vm === req.vm && r.source.address === req.source.address) {
      return err(ferryError('input.invalid', `${req.vm} is already migrating from ${req.source.name} (migration ${r.id}).`));
    }
    // A re-attached job holds no channel (its virsh migrate is gone; libvirtd runs it); a post-copy run holds two.
    if (r.source.address === req.source.address && !r.reattached) {
      fromSource++;
      channels += r.jobCompleted ? 2 : 1;
    }
  }
  if (channels + (req.options.postcopy === true ? 2 : 1) > maxPerSource) {
    return err(
      ferryError(
        'input.invalid',
        `${req.source.name} already has ${countOf(fromSource, 'migration')} running from this Ferry, the most it runs from one host at once (each holds one of the ${maxPerSource + 1} SSH channels of its connection${channels > fromSource || req.options.postcopy === true ? ', two when post-copy is allowed' : ''}). Start ${req.vm} when one of them has ended.`,
      ),
    );
  }
  return ok(undefined);
}
