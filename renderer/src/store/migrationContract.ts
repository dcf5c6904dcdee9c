/**
 * The MigrationPort over the IPC contract's migration channels (ferry.migrations.preflight/start/control/get and
 * the watch stream): records and samples from main mapped to the renderer's runs in chart units.
 */
import * as c from '../../../shared/ipc/contract';
import type { MigrationVerdict } from '../../../shared/migration/verdict';
import type { MigrationRecordView, MigrationSample } from '../../../shared/migration/record-schema';
import type { PreflightResultView } from '../../../shared/migration/preflight-result';
import type { MigrationRecordState } from '../../../shared/migration/state';
import { chartPoint } from '../features/migrate/chartData';
import { call, type FerryApi } from './ports';
import type { MigrationEvent, MigrationPort, PreflightCheck, RunHead, RunSample, RunStatus, RunVerdict } from './migrationPort';

const STATUS: Record<MigrationRecordState, RunStatus> = {
  preflight: 'running',
  running: 'running',
  'post-copy': 'running',
  'post-copy-interrupted': 'interrupted',
  completed: 'completed',
  failed: 'failed',
  aborted: 'cancelled',
  refused: 'refused',
  unknown: 'failed',
};

export function runHead(r: MigrationRecordView): RunHead {
  return {
    id: r.id,
    vmName: r.vm,
    sourceHostId: r.source.id,
    destinationHostId: r.destination.id,
    sourceName: r.source.name,
    destinationName: r.destination.name,
    startedAt: new Date(r.startedAt).toISOString(),
    endedAt: r.endedAt === undefined ? undefined : new Date(r.endedAt).toISOString(),
    status: STATUS[r.state],
    state: r.state,
    options: r.options,
    limits: r.limits,
    inPostcopy: r.state === 'post-copy',
    postcopy: r.postcopy,
    verdict: r.verdict === undefined ? undefined : runVerdict(r.verdict),
    totalMs: r.result.totalTimeMs,
    downtimeMs: r.result.downtimeMs,
    dataSentBytes: r.result.dataBytes,
    interruption: r.interruption,
    events: r.events,
    error: r.result.error ?? (r.state === 'unknown' ? { code: 'input.invalid', message: 'Ferry lost track of this migration (it was running when Ferry stopped).' } : undefined),
  };
}

export function runVerdict(v: MigrationVerdict): RunVerdict {
  return {
    state: v.state,
    reason: v.reason,
    // A restart with other options is not a one-click control of a running migration: shown nowhere here.
    remedies: v.remedies.flatMap((r) => (r.action === 'restartWithAutoConverge' ? [] : [{ action: r.action, value: r.value, label: r.label, available: r.available }])),
    etaMs: v.etaMs,
    etaNote: v.etaNote,
    passProgress: v.passProgress,
    progressLabel: v.progressLabel,
    elapsedMs: v.elapsedMs,
  };
}

export function runSample(s: MigrationSample, startedAtMs: number): RunSample | undefined {
  if (s.figures === undefined) return undefined;
  return {
    ...chartPoint(s.figures.elapsedMs ?? s.at - startedAtMs, s.figures, s.info?.autoConvergeThrottlePercent),
    iteration: s.figures.iteration,
    at: s.at,
    postcopy: (s.info?.postcopyRequests ?? 0) > 0 || s.verdict?.state === 'post-copy',
  };
}

/**
 * A sample on the run's time axis. A resumed post-copy is a new job on the source whose elapsed time may start again
 * from zero: a sample earlier on the axis than the one before it continues from that one by wall-clock time instead,
 * so the chart goes on (the pause while the VM was split shows as a gap) rather than drawing back over itself.
 */
export function afterPrevious(prev: RunSample | undefined, s: RunSample): RunSample {
  if (prev === undefined || s.t >= prev.t || s.at === undefined || prev.at === undefined) return s;
  return { ...s, t: prev.t + Math.max(0, s.at - prev.at) / 1000 };
}

/** Samples in order, each on the axis after the one before it (afterPrevious). */
export function continuousSamples(samples: readonly RunSample[]): RunSample[] {
  const out: RunSample[] = [];
  for (const s of samples) out.push(afterPrevious(out.at(-1), s));
  return out;
}

export function preflightCheck(p: PreflightResultView): PreflightCheck {
  return {
    id: p.check,
    title: p.title ?? p.check,
    status: p.status === 'skipped' ? 'pass' : p.status,
    message: p.status === 'skipped' ? `Skipped: ${p.message}` : p.message,
    fix: p.fix,
    ...(p.overridable === true ? { overridable: true } : {}),
    ...(p.remedy !== undefined ? { remedy: p.remedy } : {}),
    ...(p.override !== undefined ? { overridden: true } : {}),
  };
}

export function contractMigrationPort(api: FerryApi): MigrationPort {
  return {
    async start(spec) {
      // Main runs pre-flight within the start, so that a refusal is recorded, and re-checks the overrides itself.
      const overrides = (spec.overrides ?? []).map((check) => ({ check, confirmed: true as const }));
      const started = await call(api, c.migrationsStart, {
        vm: spec.domain,
        sourceHostId: spec.sourceHostId,
        destinationHostId: spec.destinationHostId,
        options: spec.options,
        ...(overrides.length > 0 ? { overrides } : {}),
      });
      if (!started.ok) return started;
      const preflight = (started.value.preflight ?? []).map(preflightCheck);
      return { ok: true, value: { id: started.value.id, preflight, ...(started.value.refused === true ? { refused: true } : {}) } };
    },
    control(id, action) {
      return call(api, c.migrationsControl, action.kind === 'setSpeed' || action.kind === 'setMaxDowntime' ? { id, action: action.kind, value: Math.round(action.value) } : { id, action: action.kind });
    },
    async load(id) {
      const g = await call(api, c.migrationsGet, { id });
      if (!g.ok) return g;
      const r = g.value.record;
      return { ok: true, value: { run: runHead(r), samples: continuousSamples(g.value.samples.flatMap((s) => runSample(s, r.startedAt) ?? [])) } };
    },
    watch(onEvent: (e: MigrationEvent) => void) {
      const started = new Map<string, number>();
      let open = true;
      const unsubscribe = api.subscribe(c.migrationsWatch, {}, (e) => {
        if (e.type === 'snapshot') {
          for (const r of e.records) started.set(r.id, r.startedAt);
          onEvent({ type: 'snapshot', runs: e.records.map((r) => ({ ...runHead(r), samples: [] })) });
          // Samples of the ones still running (the chart), fetched once; the stream brings the next ones.
          for (const r of e.records.filter((x) => STATUS[x.state] === 'running')) {
            void call(api, c.migrationsGet, { id: r.id }).then((g) => {
              if (!open || !g.ok) return;
              const samples = continuousSamples(g.value.samples.flatMap((s) => runSample(s, r.startedAt) ?? []));
              onEvent({ type: 'run', run: runHead(g.value.record), samples });
            });
          }
        } else if (e.type === 'record') {
          started.set(e.record.id, e.record.startedAt);
          onEvent({ type: 'run', run: runHead(e.record) });
        } else {
          const sample = runSample(e.sample, started.get(e.id) ?? e.sample.at);
          const verdict = e.sample.verdict === undefined ? undefined : runVerdict(e.sample.verdict);
          if (sample !== undefined) onEvent({ type: 'sample', id: e.id, sample, verdict });
        }
      });
      return () => {
        open = false;
        unsubscribe();
      };
    },
  };
}
