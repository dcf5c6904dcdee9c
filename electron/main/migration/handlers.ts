/**
 * The migration channels of the contract over the MigrationEngine: start (pre-flight first when a runner for it is
 * given: a failed check refuses the start), control, list, get and the watch stream. Records become the contract's
 * views here (MigrationRecord -> MigrationRecordView), with the verdict (shared/migration/verdict.ts) recomputed
 * after each sample from the samples so far and the options/controls in force.
 *
 * `plan` and the profiles channels stay with their own module (no engine needed); the composition root merges both.
 */
import { err, ok, type Result } from '../../../shared/result';
import { ferryError, type FerryError } from '../../../shared/errors';
import { migrationsControl, migrationsGet, migrationsList, migrationsPreflight, migrationsStart, migrationsWatch } from '../../../shared/ipc/contract';
import { MIGRATION_CONTROL_ACTIONS } from '../../../shared/migration/controls';
import { WATCH_SNAPSHOT_ENDED, type MigrationRecordView, type MigrationSample, type MigrationWatchEvent } from '../../../shared/migration/record-schema';
import type { PreflightResultView } from '../../../shared/migration/preflight-result';
import type { StartPrediction } from '../../../shared/migration/predict-schema';
import type { MigrationOptions } from '../../../shared/migration/options';
import { migrationVerdict, type MigrationVerdict, type VerdictContext, type VerdictSample } from '../../../shared/migration/verdict';
import type { HostView } from '../../../shared/inventory/types';
import type { IpcHandlers } from '../ipc/handlers';
import type { MigrationEngine, MigrationUpdate } from './engine';
import type { Journal } from './journal';
import { decidePreflight } from './preflight-overrides';
import { resolveRoute } from './route';
import {
  postcopyInterruption,
  postcopyPhase,
  type MigrationControl,
  type MigrationHostRef,
  type MigrationRecord,
  type MigrationSamplePayload,
  type SampleDigest,
} from './record';

export type EngineChannelId =
  | typeof migrationsStart.id
  | typeof migrationsControl.id
  | typeof migrationsList.id
  | typeof migrationsGet.id
  | typeof migrationsWatch.id
  | typeof migrationsPreflight.id;
export type EngineHandlers = Pick<IpcHandlers, EngineChannelId>;

/** What the channels use of the engine (engine.ts; the dev fake replays lab runs instead). */
export type MigrationEnginePort = Pick<MigrationEngine, 'start' | 'refuse' | 'control' | 'records' | 'record' | 'onUpdate'>;

/** The history on disk: every record's head (no samples), and one record read whole when it is opened. */
export type MigrationHistory = Pick<Journal, 'heads' | 'recent' | 'readRecord'>;

export interface MigrationHandlerDeps {
  readonly engine: MigrationEnginePort;
  readonly history: MigrationHistory;
  /** The inventory's hosts: ids in requests resolve to these. */
  readonly hosts: () => readonly HostView[];
  /** Pre-flight for a planned migration (absent: the channel answers that it is not available, start skips it). */
  readonly preflight?: (input: { vm: string; source: HostView; destination: HostView; options: MigrationOptions }) => Promise<PreflightResultView[]>;
  /**
   * The prediction for a start's options, journalled with it (predicted against actual in the history and the
   * report). Made beside pre-flight; one that fails or is missing never holds a start back.
   */
  readonly predict?: (input: { vm: string; source: HostView; destination: HostView; options: MigrationOptions }) => Promise<StartPrediction>;
  /** Wall clock for the time of an override (default Date.now). */
  readonly now?: () => number;
}

export function hostRef(h: HostView): MigrationHostRef {
  return { id: h.record.id, name: h.record.name, address: h.record.address };
}

/** What the verdict needs to know besides the samples: the options, then the controls sent since. */
export function verdictContext(rec: MigrationRecord): VerdictContext {
  const o = (rec.start?.options ?? {}) as MigrationOptions;
  let maxDowntimeMs = o.maxDowntimeMs;
  let bandwidthMiBps = o.bandwidthMiBps;
  let postcopyRequested = false;
  for (const e of rec.events) {
    if (e.kind !== 'control' || !e.control) continue;
    if (e.control.kind === 'set-speed') bandwidthMiBps = e.control.mibPerSecond;
    if (e.control.kind === 'set-max-downtime') maxDowntimeMs = e.control.ms;
    if (e.control.kind === 'postcopy') postcopyRequested = true;
  }
  // Also a switch Ferry did not send (--postcopy-after-precopy, --timeout-postcopy), once the record shows it.
  if (!postcopyRequested && postcopyPhase(rec) !== undefined) postcopyRequested = true;
  return {
    ...(maxDowntimeMs !== undefined ? { maxDowntimeMs } : {}),
    ...(bandwidthMiBps !== undefined ? { bandwidthMiBps } : {}),
    ...(o.postcopy !== undefined ? { postcopy: o.postcopy } : {}),
    ...(o.autoConverge !== undefined ? { autoConverge: o.autoConverge } : {}),
    ...(rec.start?.prediction ? { startInputs: rec.start.prediction.inputs } : {}),
    postcopyRequested,
  };
}

export function verdictOf(rec: MigrationRecord): MigrationVerdict | undefined {
  if (rec.state !== 'running') return undefined;
  const samples: VerdictSample[] = rec.samples.flatMap((s) =>
    s.info && s.figures && (s.info.type === 'unbounded' || s.info.type === 'bounded') ? [{ info: s.info, figures: s.figures }] : [],
  );
  if (samples.length === 0) return undefined;
  return migrationVerdict(samples, verdictContext(rec));
}

export function sampleView(s: MigrationSamplePayload & { readonly at: number }, verdict?: MigrationVerdict): MigrationSample {
  return {
    seq: s.seq,
    at: s.at,
    latencyMs: s.latencyMs,
    ...(s.info ? { info: s.info } : {}),
    ...(s.figures ? { figures: s.figures } : {}),
    ...(s.error ? { error: s.error } : {}),
    ...(verdict ? { verdict } : {}),
  };
}

/** A record's view; a head from the history list (samples left out) is read from its digest. */
export function recordView(rec: MigrationRecord & { readonly digest?: SampleDigest }, verdict?: MigrationVerdict): MigrationRecordView {
  const s = rec.start;
  const postcopySent = rec.events.some((e) => e.kind === 'control' && e.control?.kind === 'postcopy');
  const postcopy = postcopyPhase(rec);
  const interruption = postcopyInterruption(rec);
  const state: MigrationRecordView['state'] = rec.state === 'running' && (postcopySent || postcopy !== undefined) ? 'post-copy' : rec.state;
  const end = rec.end;
  const final = end?.final;
  const options = (s?.options ?? {}) as MigrationOptions;
  // The limits the verdict is judged against are the ones shown: the options', then each applied control.
  const { bandwidthMiBps, maxDowntimeMs } = verdictContext(rec);
  return {
    id: rec.id,
    vm: s?.vm ?? '?',
    source: { id: s?.source.id || '?', name: s?.source.name ?? '?' },
    destination: { id: s?.destination.id || '?', name: s?.destination.name ?? '?' },
    options,
    commandLine: s?.commandLine ?? '',
    preflight: [...(s?.preflight ?? [])],
    ...(s?.purpose !== undefined ? { purpose: s.purpose } : {}),
    ...(s?.evacuationId !== undefined ? { evacuationId: s.evacuationId } : {}),
    ...(s?.prediction !== undefined ? { prediction: s.prediction.prediction } : {}),
    state,
    startedAt: rec.startedAt ?? rec.samples[0]?.at ?? rec.digest?.firstAt ?? 0,
    ...(end ? { endedAt: end.at } : {}),
    result: {
      ...(final?.totalTimeMs !== undefined ? { totalTimeMs: final.totalTimeMs } : {}),
      ...(final?.downtimeMs !== undefined ? { downtimeMs: final.downtimeMs } : {}),
      ...(final?.dataSentBytes !== undefined ? { dataBytes: final.dataSentBytes } : {}),
      ...(end?.error
        ? { error: { ...end.error, message: end.message } }
        : end && end.state !== 'completed'
          ? { error: ferryError(end.state === 'refused' ? 'input.invalid' : 'libvirt.error', end.message) }
          : {}),
    },
    events: [
      ...rec.events.map((e) => ({ at: e.at, kind: e.kind, text: e.message })),
      ...(end ? [{ at: end.at, kind: end.reconciled ? 'reconciled' : 'ended', text: end.message }] : []),
    ],
    limits: { ...(bandwidthMiBps !== undefined ? { bandwidthMiBps } : {}), ...(maxDowntimeMs !== undefined ? { maxDowntimeMs } : {}) },
    ...(verdict ? { verdict } : {}),
    ...(postcopy ? { postcopy } : {}),
    ...(interruption ? { interruption } : {}),
  };
}

function controlOf(action: (typeof MIGRATION_CONTROL_ACTIONS)[number], value: number | undefined): MigrationControl {
  switch (action) {
    case 'setSpeed':
      return { kind: 'set-speed', mibPerSecond: value ?? 0 };
    case 'setMaxDowntime':
      return { kind: 'set-max-downtime', ms: value ?? 0 };
    case 'postcopy':
      return { kind: 'postcopy' };
    case 'abort':
      return { kind: 'abort' };
    case 'resumePostcopy':
      return { kind: 'resume-postcopy' };
  }
}

/** Ended for good: not running and not a post-copy split waiting for its resume. */
const isEnded = (r: MigrationRecord): boolean => r.state !== 'running' && r.state !== 'post-copy-interrupted';

/** A start as the migrate dialog asks it, hosts resolved; also what a host evacuation starts each of its rows with. */
export interface StartWithChecks {
  readonly vm: string;
  readonly source: HostView;
  readonly destination: HostView;
  readonly options: MigrationOptions;
  /** The pre-flight checks the admin chose to override. */
  readonly overrides?: readonly string[];
  readonly intervalMs?: number;
  /** Journalled with the start: the host evacuation it runs for. */
  readonly evacuationId?: string;
}

/**
 * Pre-flight (a refusal is journalled as a refused record), the prediction beside it, then the engine's start: the one
 * start path of the migrate dialog and of an evacuation's rows.
 */
export async function startMigration(
  d: Pick<MigrationHandlerDeps, 'engine' | 'preflight' | 'predict' | 'now'>,
  input: StartWithChecks,
): Promise<Result<{ readonly id: string; readonly refused?: true; readonly preflight: PreflightResultView[] }, FerryError>> {
  const { engine } = d;
  const { source, destination } = input;
  // Checked here rather than as a pre-flight check: no override may start a migration onto a host being emptied.
  if (destination.record.maintenance !== undefined) {
    return err(
      ferryError(
        'input.invalid',
        `${destination.record.name} is in maintenance (since ${destination.record.maintenance.since}): it takes no VMs until maintenance mode is turned off.`,
      ),
    );
  }
  const req = {
    vm: input.vm,
    source: hostRef(source),
    destination: hostRef(destination),
    options: input.options,
    destinationUser: destination.record.user,
    destinationPort: destination.record.port,
    ...(input.intervalMs !== undefined ? { intervalMs: input.intervalMs } : {}),
    ...(input.evacuationId !== undefined ? { evacuationId: input.evacuationId } : {}),
  };
  const predicting = d.predict ? d.predict({ vm: input.vm, source, destination, options: input.options }).catch(() => undefined) : Promise.resolve(undefined);
  let preflight: PreflightResultView[] | undefined;
  if (d.preflight) {
    const decision = decidePreflight(
      await d.preflight({ vm: input.vm, source, destination, options: input.options }),
      input.overrides ?? [],
      (d.now ?? Date.now)(),
    );
    preflight = decision.checks;
    if (!decision.start) {
      // The refused attempt is history too: a record with the checks, state 'refused'.
      const prediction = await predicting;
      const refused = await engine.refuse({ ...req, preflight, ...(prediction ? { prediction } : {}) }, decision.refusal ?? 'Pre-flight refused the start.');
      return refused.ok ? ok({ id: refused.value.id, refused: true, preflight }) : refused;
    }
  }
  const prediction = await predicting;
  const started = await engine.start({ ...req, ...(preflight ? { preflight } : {}), ...(prediction ? { prediction } : {}) });
  return started.ok ? ok({ id: started.value.id, preflight: preflight ?? [] }) : started;
}

export function migrationHandlers(d: MigrationHandlerDeps): EngineHandlers {
  const { engine } = d;
  // A record that is not running has no verdict, and its view changes only with a new line (a new record object).
  const settledViews = new WeakMap<MigrationRecord, MigrationRecordView>();
  const viewOf = (r: MigrationRecord): MigrationRecordView => {
    if (r.state === 'running') return recordView(r, verdictOf(r));
    let v = settledViews.get(r);
    if (!v) settledViews.set(r, (v = recordView(r)));
    return v;
  };
  // History heads, with the records the engine holds whole (running, or written to since start) in their place.
  const withEngine = (heads: readonly MigrationRecord[]): MigrationRecord[] => {
    const known = new Set(heads.map((h) => h.id));
    return [...heads.map((h) => engine.record(h.id) ?? h), ...engine.records().filter((r) => !known.has(r.id))];
  };
  const records = async (): Promise<MigrationRecord[]> => withEngine(await d.history.heads());
  // The watch's snapshot: every record not ended and the newest ended ones, without reading the whole history (the
  // rest is the Reports browser's).
  const recentRecords = (): MigrationRecord[] => {
    const all = withEngine(d.history.recent());
    const ended = all.filter((r) => isEnded(r)).sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0));
    const kept = new Set(ended.slice(0, WATCH_SNAPSHOT_ENDED).map((r) => r.id));
    return all.filter((r) => !isEnded(r) || kept.has(r.id));
  };
  const resolve = (sourceId: string, destinationId: string) => resolveRoute(d.hosts(), sourceId, destinationId);

  return {
    [migrationsPreflight.id]: async (input) => {
      const hosts = resolve(input.sourceHostId, input.destinationHostId);
      if (!hosts.ok) return hosts;
      if (!d.preflight) return err(ferryError('ipc.internal', 'Pre-flight checks are not available in this build.'));
      return ok(await d.preflight({ vm: input.vm, ...hosts.value, options: input.options }));
    },
    [migrationsStart.id]: async (input) => {
      const hosts = resolve(input.sourceHostId, input.destinationHostId);
      if (!hosts.ok) return hosts;
      return startMigration(d, {
        vm: input.vm,
        ...hosts.value,
        options: input.options,
        overrides: (input.overrides ?? []).map((o) => o.check),
        ...(input.intervalMs !== undefined ? { intervalMs: input.intervalMs } : {}),
      });
    },
    [migrationsControl.id]: async (input) => {
      const r = await engine.control(input.id, controlOf(input.action, input.value));
      return r.ok ? ok({}) : r;
    },
    [migrationsList.id]: async () => ok((await records()).map(viewOf)),
    [migrationsGet.id]: async (input) => {
      const rec = engine.record(input.id) ?? (await d.history.readRecord(input.id));
      if (!rec) return err(ferryError('inventory.not-found', `No migration ${input.id} in the history.`));
      return ok({ record: recordView(rec, verdictOf(rec)), samples: rec.samples.map((s) => sampleView(s)) });
    },
    [migrationsWatch.id]: (params, emit) => {
      const wanted = (id: string) => params.id === undefined || params.id === id;
      // One record: found among those held (running, recent) at once, else in the whole history, read first. Events
      // wait until the snapshot is out: a client always reads the snapshot first.
      let held: MigrationWatchEvent[] | undefined;
      let stopped = false;
      const send = (e: MigrationWatchEvent) => (held ? held.push(e) : emit(e));
      const near = params.id === undefined ? recentRecords() : withEngine(d.history.recent()).filter((r) => wanted(r.id));
      if (params.id === undefined || near.length > 0) {
        emit({ type: 'snapshot', records: near.map(viewOf) });
      } else {
        held = [];
        void records()
          .catch(() => [])
          .then((all) => {
            if (stopped) return;
            const later = held ?? [];
            held = undefined;
            emit({ type: 'snapshot', records: all.filter((r) => wanted(r.id)).map(viewOf) });
            for (const e of later) emit(e);
          });
      }
      // A sample update comes before its journal line is on disk (and in the record). Until it is, it is counted in
      // every verdict this stream sends, a record event's too: one sent in between must not judge without it.
      const unwritten = new Map<string, (MigrationSamplePayload & { at: number })[]>();
      const withUnwritten = (rec: MigrationRecord): MigrationRecord => {
        const left = (unwritten.get(rec.id) ?? []).filter((x) => !rec.samples.some((y) => y.seq === x.seq));
        if (left.length === 0) unwritten.delete(rec.id);
        else unwritten.set(rec.id, left);
        return left.length === 0 ? rec : { ...rec, samples: [...rec.samples, ...left] };
      };
      const unsubscribe = engine.onUpdate((u: MigrationUpdate) => {
        if (!wanted(u.id)) return;
        const rec = engine.record(u.id);
        if (!rec) return;
        let event: MigrationWatchEvent;
        if (u.kind === 'sample') {
          unwritten.set(u.id, [...(unwritten.get(u.id) ?? []), { ...u.sample, at: u.at }]);
          event = { type: 'sample', id: u.id, sample: sampleView({ ...u.sample, at: u.at }, verdictOf(withUnwritten(rec))) };
        } else {
          event = { type: 'record', record: recordView(rec, verdictOf(withUnwritten(rec))) };
        }
        send(event);
      });
      return () => {
        stopped = true;
        unsubscribe();
      };
    },
  };
}
