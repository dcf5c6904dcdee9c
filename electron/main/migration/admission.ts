/**
 * Whether a migration may start, and the start line it gets. Refused: a VM split by a broken post-copy migration
 * (libvirt would start from the paused half, or move the half that fetches pages from the other), a VM already
 * migrating from that host, and a source host to which the migrations' SSH pool has no channel left for another
 * `virsh migrate` (80 by default: 8 connections of 10). Admitted with a warning: a start that takes the source
 * libvirtd's worker threads to the last one or beyond at libvirt's default pool.
 */
import { countOf } from '../../../shared/count';
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import { DEFAULT_MAX_CHANNELS_PER_CONNECTION, DEFAULT_MAX_CONNECTIONS_PER_TARGET } from '../ssh/pool';
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
 * SSH channels the migrations' pool holds open to one host at most by default (connections x channels each). Each
 * `virsh migrate` holds one for its whole run (a post-copy run a second, for libvirt's job-completed event) and the
 * source's virsh session one: a run beyond them would wait in the pool's queue while its record said "running" and
 * its samples showed no job, so it is refused instead.
 */
export const DEFAULT_SOURCE_CHANNELS = DEFAULT_MAX_CONNECTIONS_PER_TARGET * DEFAULT_MAX_CHANNELS_PER_CONNECTION;

/**
 * libvirtd's worker threads by default (max_workers in libvirtd.conf). A p2p migration holds one on the source for
 * its whole run; with none free, every other request to that libvirtd waits in its queue (on the lab, 20 migrations
 * from one host under the default pool: domjobinfo unanswered for their whole run; 18 were sampled).
 */
export const LIBVIRTD_DEFAULT_MAX_WORKERS = 20;

/** An admitted start; `warning` is journalled with it when the source may run short of libvirtd workers. */
export interface Admitted {
  readonly warning?: string;
}

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

/**
 * Pure: may this request start, beside the runs in progress and the records in the history? `sourceChannels`: the
 * channels the migrations' pool opens to one host at most (SshPool.channelsPerTarget).
 */
export function admit(
  req: StartMigration,
  running: Iterable<Pick<Running, 'id' | 'vm' | 'source' | 'reattached' | 'jobCompleted'>>,
  records: readonly MigrationRecord[],
  sourceChannels: number,
): Result<Admitted, FerryError> {
  const split = splitRecordOf(records, req.vm, req.source);
  if (split) {
    return err(ferryError('input.invalid', `${req.vm} is split between two hosts since a post-copy migration broke (migration ${split.id}): resume that migration instead.`));
  }
  let jobs = 0;
  let holding = 0;
  let channels = 0;
  for (const r of running) {
    if (r.vm === req.vm && r.source.address === req.source.address) {
      return err(ferryError('input.invalid', `${req.vm} is already migrating from ${req.source.name} (migration ${r.id}).`));
    }
    if (r.source.address !== req.source.address) continue;
    // Every job holds a libvirtd worker on the source. A re-attached one holds no channel (its virsh migrate is gone;
    // libvirtd runs it); a post-copy run holds two.
    jobs++;
    if (!r.reattached) {
      holding++;
      channels += r.jobCompleted ? 2 : 1;
    }
  }
  const postcopy = req.options.postcopy === true;
  // One channel is the source's virsh session (sampling, controls).
  if (1 + channels + (postcopy ? 2 : 1) > sourceChannels) {
    return err(
      ferryError(
        'input.invalid',
        `${req.source.name} already has ${countOf(holding, 'migration')} running from this Ferry, holding ${channels} of the ${sourceChannels} SSH channels Ferry opens to one host (one more is its virsh session${channels > holding || postcopy ? '; a post-copy run holds two' : ''}). Start ${req.vm} when one of them has ended.`,
      ),
    );
  }
  const workers = jobs + 1;
  if (req.options.offline !== true && workers >= LIBVIRTD_DEFAULT_MAX_WORKERS - 1) {
    return ok({
      warning: `${req.source.name} now runs ${countOf(workers, 'migration')} from this Ferry. Each holds one of its libvirtd's worker threads for its whole run, and libvirtd has ${LIBVIRTD_DEFAULT_MAX_WORKERS} unless max_workers in its libvirtd.conf says more: once none is free, every other request to it waits, samples and controls included, until a migration ends. Raise max_workers on ${req.source.name} to run this many at once.`,
    });
  }
  return ok({});
}
