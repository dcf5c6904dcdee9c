/**
 * A migration the engine follows (a run), and the job as the journal and the hosts know it (a followed job): the
 * state the engine's seams share, and how a run is rebuilt from its record (re-attached after a restart, or resumed
 * after a post-copy break).
 */
import type { FerryError } from '../../../shared/errors';
import type { Result } from '../../../shared/result';
import type { VirshEvents } from '../../../shared/parsers/virsh-event';
import type { MigrationOptions } from '../../../shared/migration/options';
import type { DomainJobInfo } from '../../../shared/parsers/virsh-domjobinfo';
import type { CommandRunner } from '../remote/run-command';
import type { Poller } from '../sampler/poller';
import type { MigrationEventPayload, MigrationHostRef, MigrationRecord, MigrationStartPayload } from './record';

/** A migration as reconciliation and following know it (from its start line and events). */
export interface FollowedJob {
  readonly vm: string;
  readonly destinationName: string;
  readonly source: MigrationHostRef;
  readonly destination: MigrationHostRef;
  readonly undefineSource: boolean;
  readonly suspend: boolean;
  /** An abort was sent (and libvirt took it). */
  readonly abortRequested: boolean;
  readonly startedWall: number;
}

export interface Running {
  readonly id: string;
  readonly vm: string;
  readonly destinationName: string;
  readonly source: MigrationHostRef;
  readonly destination: MigrationHostRef;
  readonly options: MigrationOptions;
  readonly startedWall: number;
  readonly command: AbortController;
  sampler?: Poller;
  abortRequested: boolean;
  transferSeen: boolean;
  noDomainStreak: number;
  vanished?: string;
  lastJob?: DomainJobInfo;
  ended: boolean;
  done: Promise<void>;
  /** Ferry is quitting: the job goes on without us; no end is written. */
  detached: boolean;
  /** Followed again after a restart: no migrate command of ours; the end comes from asking the hosts. */
  readonly reattached: boolean;
  /** A re-attached run is checking whether its job ended (one check at a time). */
  checkingEnd: boolean;
  /** How many such checks found it not ended yet. */
  endChecks?: number;
  /** Resolves a re-attached run's `done`. */
  resolveDone?: () => void;
  /** The switch to post-copy has been journalled (a 'post-copy' event). */
  postcopyNoted: boolean;
  /** Post-copy runs: the source's job-completed event, awaited on its own channel from the start. */
  jobCompleted?: Promise<Result<VirshEvents, FerryError>>;
  readonly watch: AbortController;
  /** A `virsh migrate --postcopy-resume` of a run interrupted in post-copy (postcopy-recovery.ts). */
  readonly resume?: boolean;
}

/** A run of a migration this Ferry starts (its `virsh migrate` is ours). */
export function startedRun(
  id: string,
  req: Pick<Running, 'vm' | 'source' | 'destination' | 'options'>,
  startedWall: number,
): Running {
  return {
    id,
    vm: req.vm,
    destinationName: req.options.dname ?? req.vm,
    source: req.source,
    destination: req.destination,
    options: req.options,
    startedWall,
    command: new AbortController(),
    abortRequested: false,
    transferSeen: false,
    noDomainStreak: 0,
    ended: false,
    done: Promise.resolve(),
    detached: false,
    reattached: false,
    checkingEnd: false,
    postcopyNoted: false,
    watch: new AbortController(),
  };
}

/** A run followed from its journal (re-attached after a restart, or resumed after a post-copy break). */
export function followedRun(
  rec: MigrationRecord,
  s: MigrationStartPayload,
  job: FollowedJob,
  how: Pick<Running, 'abortRequested' | 'transferSeen' | 'reattached' | 'postcopyNoted'> & { readonly resume?: true },
): Running {
  return {
    id: rec.id,
    vm: job.vm,
    destinationName: job.destinationName,
    source: job.source,
    destination: job.destination,
    options: s.options as MigrationOptions,
    startedWall: job.startedWall,
    command: new AbortController(),
    noDomainStreak: 0,
    ended: false,
    done: Promise.resolve(),
    detached: false,
    checkingEnd: false,
    watch: new AbortController(),
    ...how,
  };
}

/** The job of a record, from its start line and events. */
export function jobOf(rec: MigrationRecord, s: MigrationStartPayload): FollowedJob {
  const o = s.options;
  return {
    vm: s.vm,
    destinationName: typeof o['dname'] === 'string' ? o['dname'] : s.vm,
    source: s.source,
    destination: s.destination,
    undefineSource: o['undefineSource'] === true,
    suspend: o['suspend'] === true,
    abortRequested: rec.events.some((e) => e.kind === 'control' && e.control?.kind === 'abort'),
    startedWall: rec.startedAt ?? 0,
  };
}

/** The job of a run being followed, as it stands now. */
export function jobOfRun(run: Running): FollowedJob {
  return {
    vm: run.vm,
    destinationName: run.destinationName,
    source: run.source,
    destination: run.destination,
    undefineSource: run.options.undefineSource === true,
    suspend: run.options.suspend === true,
    abortRequested: run.abortRequested,
    startedWall: run.startedWall,
  };
}

/** The sequence number a followed run's next sample takes: samples continue the record's sequence. */
export function nextSeq(rec: MigrationRecord): number {
  return rec.samples.reduce((m, x) => Math.max(m, x.seq), -1) + 1;
}

export function detachedEvent(run: Pick<Running, 'vm' | 'source'>): MigrationEventPayload {
  return {
    kind: 'detached',
    message: `Ferry stopped while ${run.vm} was migrating from ${run.source.name}; libvirt carries on with the job, and Ferry follows it again at its next start.`,
  };
}

/** Runs a command on a host, each on its own exec channel of the pooled connection. */
export type HostExec = (host: MigrationHostRef) => CommandRunner;
