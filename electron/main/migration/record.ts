/**
 * What the journal's lines mean for one migration, and how a MigrationRecord is rebuilt from them.
 *
 *   start      who, what, where: VM, source and destination hosts, options, the exact argv, pre-flight results
 *   sample     one domjobinfo sample (parsed info + derived figures, or the error it gave)
 *   event      something that happened: a control sent and its answer, a phase change, a warning
 *   end        the outcome: completed (with final statistics), failed (libvirt's text), aborted, unknown; or
 *              refused right after the start line (pre-flight refused it: nothing ran)
 *   reconcile  an outcome decided after a restart by asking the hosts (an `end` the running Ferry never wrote)
 *
 * A migration Ferry stopped following (it quit while the job ran: a `detached` event) and found still running at
 * the next start is followed again (a `reattached` event); its samples continue the same record and its `end` is
 * written by the engine that followed it to the finish. A `reattached` event also reopens a record an older
 * reconciliation had closed as 'unknown' (older versions wrote that for a job still running at restart).
 *
 * Building is pure and tolerant: lines of an unknown migration id (its start line lost) are kept as an "orphan"
 * record rather than dropped.
 */
import type { FerryError } from '../../../shared/errors';
import type { DomainJobInfo } from '../../../shared/parsers/virsh-domjobinfo';
import type { DerivedJobFigures } from '../../../shared/migration/derive';
import type { PreflightResultView } from '../../../shared/migration/preflight-result';
import type { StartPrediction } from '../../../shared/migration/predict-schema';
import type { MigrationPurpose } from '../../../shared/migration/record-schema';
import type { JournalLine } from './journal';
import { linePayload } from './journal-schema';

export interface MigrationHostRef {
  /** Inventory id of the host (empty when unknown, e.g. in tests). */
  readonly id: string;
  /** Name shown to the admin. */
  readonly name: string;
  /** Address the engine reaches it at (and, for the destination, what the source's libvirtd connects to). */
  readonly address: string;
}

/**
 * `refused`: pre-flight refused the start; the record is the attempt (its checks), nothing ran on the hosts.
 * `post-copy-interrupted`: not an end line's state but what a record without an end is while its last
 * `post-copy-interrupted` event has no `post-copy-resume` after it (the VM is split across both hosts).
 */
export type MigrationState = 'running' | 'post-copy-interrupted' | 'completed' | 'failed' | 'aborted' | 'refused' | 'unknown';
/** What an end (or reconcile) line may say: a split VM is never an end. */
export type MigrationEndState = Exclude<MigrationState, 'running' | 'post-copy-interrupted'>;

export interface MigrationStartPayload {
  readonly vm: string;
  readonly source: MigrationHostRef;
  readonly destination: MigrationHostRef;
  /** The options as the caller gave them (journalled verbatim). */
  readonly options: Readonly<Record<string, unknown>>;
  /** The exact argv run on the source. */
  readonly argv: readonly string[];
  /** The same, as one quoted shell line (what the dialog showed). */
  readonly commandLine: string;
  readonly intervalMs: number;
  /** The checks run before the start (a check that could not be read back is a skipped one saying so). */
  readonly preflight?: readonly PreflightResultView[];
  /** Why Ferry ran it, when not to move the VM: `trial`, a trial pre-copy (aborted after a few passes on purpose). */
  readonly purpose?: MigrationPurpose;
  /** The host evacuation it ran for (absent for a migration started on its own, and in older journals). */
  readonly evacuationId?: string;
  /** The prediction made at the start, from what was known then (one that could not be read back says so). */
  readonly prediction?: StartPrediction;
}

export interface MigrationSamplePayload {
  readonly seq: number;
  readonly latencyMs: number;
  /** How late the sample started against the sampler's fixed schedule, ms (absent in older journals). */
  readonly lateMs?: number;
  /** Schedule slots skipped just before it (an earlier sample ran past them); absent when none. */
  readonly skippedBefore?: number;
  readonly info?: DomainJobInfo;
  readonly figures?: DerivedJobFigures;
  readonly error?: FerryError;
}

export type MigrationEventKind =
  | 'started'
  | 'phase'
  | 'control'
  | 'control-failed'
  | 'warning'
  | 'command-ended'
  | 'vm-vanished'
  /** Ferry stopped (quit) while the job ran; libvirt goes on with it. */
  | 'detached'
  /** Found still running after a restart: followed again. */
  | 'reattached'
  /** The switch to post-copy: the guest runs on the destination from here (its `at` is the switch). */
  | 'post-copy'
  /** The post-copy phase ended: every page is on the destination. */
  | 'post-copy-ended'
  /**
   * The connection broke after the switch: `virsh migrate` failed and a host says `post-copy failed` (its `split`
   * holds both hosts' `domstate --reason`). The record is `post-copy-interrupted` until a resume.
   */
  | 'post-copy-interrupted'
  /** `virsh migrate --postcopy-resume` started (its `detail` is the command line); the record runs again. */
  | 'post-copy-resume'
  /** A resume failed (libvirt's words in `error`); the VM is still split and the record interrupted again. */
  | 'post-copy-resume-failed'
  /** What a trial pre-copy did on purpose: why it stopped, and the checks after its abort (`detail`: the hosts' words). */
  | 'trial';

export interface MigrationEventPayload {
  readonly kind: MigrationEventKind;
  readonly message: string;
  /** For controls: which one and its value. */
  readonly control?: MigrationControl;
  readonly error?: FerryError;
  readonly detail?: string;
  /** For `post-copy-interrupted` (and a failed resume): what each host said, `virsh domstate --reason`. */
  readonly split?: { readonly source: string; readonly destination: string };
}

export type MigrationControl =
  | { readonly kind: 'set-speed'; readonly mibPerSecond: number }
  | { readonly kind: 'set-max-downtime'; readonly ms: number }
  | { readonly kind: 'postcopy' }
  | { readonly kind: 'abort' }
  | { readonly kind: 'resume-postcopy' };

export interface MigrationFinalStats {
  /** Where the completed statistics were read. */
  readonly readOn: 'source' | 'destination' | 'none';
  /**
   * How: `domjobinfo --completed` (absent, as in older journals) or the source's job-completed event, the only
   * place a post-copy run's statistics are kept (libvirt 9.0: the destination keeps none after post-copy).
   */
  readonly readVia?: 'job-completed-event';
  readonly info?: DomainJobInfo;
  readonly totalTimeMs?: number;
  readonly downtimeMs?: number;
  readonly dataSentBytes?: number;
  readonly memoryTotalBytes?: number;
}

export interface MigrationEndPayload {
  readonly state: MigrationEndState;
  /** One sentence for the admin. */
  readonly message: string;
  readonly error?: FerryError;
  readonly final?: MigrationFinalStats;
  /** Wall time from start to end, ms. */
  readonly wallMs?: number;
}

export interface MigrationRecord {
  readonly id: string;
  readonly start?: MigrationStartPayload;
  readonly startedAt?: number;
  readonly samples: readonly (MigrationSamplePayload & { readonly at: number })[];
  readonly events: readonly (MigrationEventPayload & { readonly at: number })[];
  readonly end?: MigrationEndPayload & { readonly at: number; readonly reconciled: boolean };
  readonly state: MigrationState;
}

/**
 * What the history list needs of a record's samples, kept instead of the samples (which stay in the journal until
 * the record is opened): how many, the first one's time, and enough to place the post-copy phase.
 */
export interface SampleDigest {
  readonly count: number;
  readonly firstAt?: number;
  /** The first sample showing pages fetched on demand (post-copy). */
  readonly postcopySeenAt?: number;
  /** The earliest sample of the running job taken at or after the switch to post-copy (as far as it is known). */
  readonly runningFromSwitchAt?: number;
  /**
   * The last few running-job samples' times: a switch event journalled a moment after samples taken after its time
   * still finds them.
   */
  readonly recentRunningAts: readonly number[];
}

/** A record as the history list holds it: samples left out (`samples` is empty) but summed up in `digest`. */
export type RecordHead = MigrationRecord & { readonly digest: SampleDigest };

const RECENT_RUNNING = 8;
const EMPTY_DIGEST: SampleDigest = { count: 0, recentRunningAts: [] };

interface Building {
  id: string;
  start?: MigrationStartPayload;
  startedAt?: number;
  samples: (MigrationSamplePayload & { at: number })[];
  events: (MigrationEventPayload & { at: number })[];
  end?: MigrationEndPayload & { at: number; reconciled: boolean };
  digest: SampleDigest;
}

const isRunningInfo = (s: MigrationSamplePayload): boolean => s.info?.type === 'unbounded' || s.info?.type === 'bounded';

/** When the post-copy phase began, from its first signs: the switch event, or the first sample fetching pages. */
function switchAt(events: readonly (MigrationEventPayload & { at: number })[], seenAt: number | undefined): number | undefined {
  const switched = events.find((e) => e.kind === 'post-copy')?.at;
  return switched === undefined ? seenAt : seenAt === undefined ? switched : Math.min(switched, seenAt);
}

/** The digest with the switch (re)placed: samples already counted after the new switch time are found again. */
function rebased(d: SampleDigest, from: number | undefined): SampleDigest {
  if (from === undefined) return d;
  const candidates = [...(d.runningFromSwitchAt !== undefined ? [d.runningFromSwitchAt] : []), ...d.recentRunningAts.filter((at) => at >= from)];
  const { runningFromSwitchAt: _old, ...rest } = d;
  return candidates.length > 0 ? { ...rest, runningFromSwitchAt: Math.min(...candidates) } : rest;
}

function withSample(b: Building, s: MigrationSamplePayload, at: number): SampleDigest {
  const d = b.digest;
  let next: SampleDigest = { ...d, count: d.count + 1, firstAt: d.firstAt ?? at };
  if ((s.info?.postcopyRequests ?? 0) > 0 && d.postcopySeenAt === undefined) next = rebased({ ...next, postcopySeenAt: at }, switchAt(b.events, at));
  if (isRunningInfo(s)) {
    next = { ...next, recentRunningAts: [...next.recentRunningAts.slice(1 - RECENT_RUNNING), at] };
    const from = switchAt(b.events, next.postcopySeenAt);
    if (from !== undefined && at >= from) next = { ...next, runningFromSwitchAt: Math.min(next.runningFromSwitchAt ?? at, at) };
  }
  return next;
}

/**
 * Records kept up to date line by line (the engine applies each line it appends). Without `keepSamples`, a record's
 * samples are only summed up in its digest: the history list of a long history, whose samples stay on disk.
 */
export class RecordStore {
  private readonly byId = new Map<string, Building>();
  /** Each record's view until its next line: a list of thousands of records is not copied again on every call. */
  private readonly views = new WeakMap<Building, RecordHead>();

  constructor(private readonly keepSamples = true) {}

  /** Applies a line whose payload passes its schema; any other line (or a repair line) changes nothing. */
  apply(line: JournalLine): void {
    const read = linePayload(line);
    if (!read) return;
    let b = this.byId.get(line.id);
    if (!b) {
      b = { id: line.id, samples: [], events: [], digest: EMPTY_DIGEST };
      this.byId.set(line.id, b);
    }
    this.views.delete(b);
    switch (read.type) {
      case 'start':
        b.start = read.payload;
        b.startedAt = line.at;
        break;
      case 'sample':
        b.digest = withSample(b, read.payload, line.at);
        if (this.keepSamples) b.samples.push({ ...read.payload, at: line.at });
        break;
      case 'event': {
        const p = read.payload;
        const firstSwitch = p.kind === 'post-copy' && !b.events.some((e) => e.kind === 'post-copy');
        b.events.push({ ...p, at: line.at });
        if (firstSwitch) b.digest = rebased(b.digest, switchAt(b.events, b.digest.postcopySeenAt));
        // Followed again: an 'unknown' a reconciliation wrote (it could not tell) no longer holds.
        if (p.kind === 'reattached' && b.end?.reconciled === true && b.end.state === 'unknown') delete b.end;
        break;
      }
      case 'end':
      case 'reconcile': {
        // The first end wins: a reconciliation never overwrites what the running engine wrote. Only a reconciled
        // 'unknown' (a host could not be asked) may be replaced, by a later reconciliation that found out.
        const replaceable = b.end?.reconciled === true && b.end.state === 'unknown' && read.type === 'reconcile';
        if (!b.end || replaceable) b.end = { ...read.payload, at: line.at, reconciled: read.type === 'reconcile' };
        break;
      }
    }
  }

  /** Puts back a record as an earlier store held it (the journal's index): its head, no samples. */
  restore(head: RecordHead): void {
    const { state: _state, digest, ...rest } = head;
    this.byId.set(head.id, { ...rest, samples: [...head.samples], events: [...head.events], digest });
  }

  /**
   * Puts back the records of an earlier store this one lacks, in the order given; those it holds keep what they hold
   * now, at their place in that order; those the list lacks (newer) follow.
   */
  merge(heads: readonly RecordHead[]): void {
    const held = new Map(this.byId);
    this.byId.clear();
    for (const h of heads) {
      const b = held.get(h.id);
      if (b) {
        this.byId.set(h.id, b);
        held.delete(h.id);
      } else {
        this.restore(h);
      }
    }
    for (const [id, b] of held) this.byId.set(id, b);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): RecordHead | undefined {
    const b = this.byId.get(id);
    return b ? this.viewOf(b) : undefined;
  }

  /** In order of first appearance. */
  all(): RecordHead[] {
    return [...this.byId.values()].map((b) => this.viewOf(b));
  }

  private viewOf(b: Building): RecordHead {
    let v = this.views.get(b);
    if (!v) this.views.set(b, (v = view(b)));
    return v;
  }
}

function view(b: Building): RecordHead {
  return { ...b, samples: [...b.samples], events: [...b.events], state: b.end ? b.end.state : isInterrupted(b.events) ? 'post-copy-interrupted' : 'running' };
}

/** Pure: the last post-copy interruption (or failed resume) has no resume after it. */
export function isInterrupted(events: readonly MigrationEventPayload[]): boolean {
  for (let i = events.length - 1; i >= 0; i--) {
    const k = events[i]?.kind;
    if (k === 'post-copy-resume') return false;
    if (k === 'post-copy-interrupted' || k === 'post-copy-resume-failed') return true;
  }
  return false;
}

/** A run's post-copy phase as its journal shows it. */
export interface PostcopyPhase {
  /** The switch: the 'post-copy' event, or the first sample showing pages fetched on demand, whichever is earlier. */
  readonly startedAt: number;
  /** The 'post-copy-ended' event; else the end of a run that completed. */
  readonly endedAt?: number;
  /** At least one sample of the running job was taken after the switch. */
  readonly sampled: boolean;
}

/** Pure: undefined when the run never switched to post-copy. A head (samples left out) is read from its digest. */
export function postcopyPhase(rec: Pick<MigrationRecord, 'events' | 'samples' | 'end'> & { readonly digest?: SampleDigest }): PostcopyPhase | undefined {
  const fromDigest = rec.digest !== undefined && rec.samples.length < rec.digest.count;
  const seen = fromDigest ? rec.digest?.postcopySeenAt : rec.samples.find((s) => (s.info?.postcopyRequests ?? 0) > 0)?.at;
  const startedAt = switchAt(rec.events, seen);
  if (startedAt === undefined) return undefined;
  const endedAt = rec.events.find((e) => e.kind === 'post-copy-ended')?.at ?? (rec.end?.state === 'completed' ? rec.end.at : undefined);
  const within = (at: number) => at >= startedAt && (endedAt === undefined || at <= endedAt);
  const firstRunning = rec.digest?.runningFromSwitchAt;
  const sampled = fromDigest ? firstRunning !== undefined && within(firstRunning) : rec.samples.some((s) => within(s.at) && isRunningInfo(s));
  return { startedAt, ...(endedAt !== undefined ? { endedAt } : {}), sampled };
}

/** Rebuilds the records, in order of first appearance. Pure. */
export function buildRecords(lines: readonly JournalLine[]): MigrationRecord[] {
  const store = new RecordStore();
  for (const line of lines) store.apply(line);
  return store.all();
}

/** A run's post-copy interruption as its journal shows it (the record view's `interruption`). */
export interface PostcopyInterruption {
  /** The latest interruption. */
  readonly at: number;
  /** What each host said last (`virsh domstate --reason`). */
  readonly source: string;
  readonly destination: string;
  /** Resumes tried since the first interruption. */
  readonly resumes: number;
  /** The last resume, when it is the newest of these events (running, or finished the run). */
  readonly resumedAt?: number;
  /** Why the last resume failed, when the newest of these events is that failure. */
  readonly lastResumeError?: FerryError;
}

/** Pure: undefined when the run was never interrupted in post-copy. */
export function postcopyInterruption(rec: Pick<MigrationRecord, 'events'>): PostcopyInterruption | undefined {
  const kinds: readonly MigrationEventKind[] = ['post-copy-interrupted', 'post-copy-resume', 'post-copy-resume-failed'];
  const relevant = rec.events.filter((e) => kinds.includes(e.kind));
  const firstBreak = relevant.findIndex((e) => e.kind === 'post-copy-interrupted');
  if (firstBreak < 0) return undefined;
  const since = relevant.slice(firstBreak);
  const at = since.filter((e) => e.kind === 'post-copy-interrupted').at(-1)?.at ?? 0;
  const split = since.filter((e) => e.split !== undefined).at(-1)?.split;
  const newest = since.at(-1);
  return {
    at,
    source: split?.source ?? 'unknown',
    destination: split?.destination ?? 'unknown',
    resumes: since.filter((e) => e.kind === 'post-copy-resume').length,
    ...(newest?.kind === 'post-copy-resume' ? { resumedAt: newest.at } : {}),
    ...(newest?.kind === 'post-copy-resume-failed' && newest.error ? { lastResumeError: newest.error } : {}),
  };
}
