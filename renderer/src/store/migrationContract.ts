/**
 * The MigrationPort over the IPC contract's migration channels (ferry.migrations.start/control/get and the watch
 * stream): records from main as they are (states, verdicts, pre-flight results), samples in chart units.
 */
import * as c from '../../../shared/ipc/contract';
import type { MigrationRecordView, MigrationSample } from '../../../shared/migration/record-schema';
import { isActive } from '../../../shared/migration/state';
import { chartPoint } from '../features/migrate/chartData';
import { call, type FerryApi } from './ports';
import type { MigrationEvent, MigrationPort, RunHead, RunSample } from './migrationPort';

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
    state: r.state,
    options: r.options,
    limits: r.limits,
    inPostcopy: r.state === 'post-copy',
    postcopy: r.postcopy,
    verdict: r.verdict,
    totalMs: r.result.totalTimeMs,
    downtimeMs: r.result.downtimeMs,
    dataSentBytes: r.result.dataBytes,
    interruption: r.interruption,
    events: r.events,
    ...(r.purpose !== undefined ? { purpose: r.purpose } : {}),
    ...(r.prediction !== undefined ? { prediction: r.prediction } : {}),
    error: r.result.error ?? (r.state === 'unknown' ? { code: 'input.invalid', message: 'Ferry lost track of this migration (it was running when Ferry stopped).' } : undefined),
  };
}

export function runSample(s: MigrationSample, startedAtMs: number): RunSample | undefined {
  if (s.figures === undefined) return undefined;
  // QEMU measures the dirty rate at the end of a pass: through the whole first pass it prints 0, which is no reading.
  // Left out, the chart draws no dirty-rate line there instead of a line at zero.
  const firstPass = s.figures.iteration !== undefined && s.figures.iteration <= 1;
  const { dirtyRateBytesPerSecond, ...figures } = s.figures;
  return {
    ...chartPoint(s.figures.elapsedMs ?? s.at - startedAtMs, firstPass ? figures : { ...figures, dirtyRateBytesPerSecond }, s.info?.autoConvergeThrottlePercent),
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

export function contractMigrationPort(api: FerryApi): MigrationPort {
  return {
    start(spec) {
      // One request: main runs pre-flight within the start (so a refusal is recorded and the overrides are checked
      // against its own run) and answers the checks it ran; nothing here runs them again.
      const overrides = (spec.overrides ?? []).map((check) => ({ check, confirmed: true as const }));
      return call(api, c.migrationsStart, {
        vm: spec.domain,
        sourceHostId: spec.sourceHostId,
        destinationHostId: spec.destinationHostId,
        options: spec.options,
        ...(overrides.length > 0 ? { overrides } : {}),
      });
    },
    control(id, control) {
      return call(api, c.migrationsControl, 'value' in control ? { id, action: control.action, value: Math.round(control.value) } : { id, action: control.action });
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
          for (const r of e.records.filter((x) => isActive(x.state))) {
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
          if (sample !== undefined) onEvent({ type: 'sample', id: e.id, sample, verdict: e.sample.verdict });
        }
      });
      return () => {
        open = false;
        unsubscribe();
      };
    },
  };
}
