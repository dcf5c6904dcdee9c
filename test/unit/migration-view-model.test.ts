// The migration view's model (live figures, tray progress, chart series, post-copy marker, verdict pairing) over
// Ferry's own journal of real lab runs (test/fixtures/migration-runs/), mapped as the renderer maps main's samples.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MigrationSample } from '../../shared/migration/record-schema';
import { migrationVerdict, type VerdictSample } from '../../shared/migration/verdict';
import { figureTexts } from '../../shared/reports/html';
import { runSample } from '../../renderer/src/store/migrationContract';
import type { MigrationRun, RunSample } from '../../renderer/src/store/migrationPort';
import { reduceRuns } from '../../renderer/src/store/migrationSlice';
import type { MigrationEvent, MigrationPort } from '../../renderer/src/store/migrationPort';
import { createFakeApi } from '../../renderer/src/dev/fakeApi';
import { createFerryStore } from '../../renderer/src/store';
import { chartSeries, postcopyMarkerT } from '../../renderer/src/features/migrate/chartData';
import { fmtMs, liveFigures, trayProgress } from '../../renderer/src/features/migrate/runView';

interface Fixture {
  readonly options: Record<string, unknown>;
  readonly startedAt: number;
  readonly samples: readonly MigrationSample[];
}
const load = (name: string) => JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'migration-runs', `${name}.json`), 'utf8')) as Fixture;

function runOf(f: Fixture, state: MigrationRun['state'], upTo = f.samples.length): MigrationRun {
  const part = f.samples.slice(0, upTo);
  const running: VerdictSample[] = part.flatMap((s) => (s.info && s.figures && (s.info.type === 'unbounded' || s.info.type === 'bounded') ? [{ info: s.info, figures: s.figures }] : []));
  return {
    id: 'm',
    vmName: 'vmd',
    sourceHostId: 'a',
    destinationHostId: 'b',
    sourceName: 'hvA',
    destinationName: 'hvB',
    startedAt: new Date(f.startedAt).toISOString(),
    state,
    options: f.options,
    samples: part.flatMap((s) => runSample(s, f.startedAt) ?? []),
    verdict: state === 'running' && running.length > 0 ? migrationVerdict(running, { bandwidthMiBps: 8, autoConverge: f.options.autoConverge === true }) : undefined,
  };
}
const figure = (run: MigrationRun, label: string) => liveFigures(run).find((i) => i.label === label)?.value;

describe('the box of figures', () => {
  it('after an abort shows the last sample that had figures, not the trailing cancelled one', () => {
    const f = load('plain-8-abort');
    expect(f.samples.at(-1)?.info?.type).toBe('cancelled');
    const run = runOf(f, 'aborted');
    expect(figure(run, 'Throughput')).toBe('8.0 MiB/s');
    expect(figure(run, 'Remaining')).toBe('7.4 MiB');
    expect(figure(run, 'Iteration')).toBe('13');
    expect(figure(run, 'Expected downtime')).toBe('2.82 s');
    expect(figure(run, 'ETA')).toBe('—');
  });

  it('shows auto-converge’s throttle live: "not yet" before QEMU throttles, then the percentage', () => {
    const f = load('autoconverge-8');
    const early = runOf(f, 'running', 10);
    expect(figure(early, 'Throttle')).toBe('not yet');
    const at60 = f.samples.findIndex((s) => s.info?.autoConvergeThrottlePercent === 60);
    expect(figure(runOf(f, 'running', at60 + 1), 'Throttle')).toBe('60 %');
    // No throttle figure for a run without auto-converge.
    expect(liveFigures(runOf(load('plain-8-abort'), 'running', 20)).map((i) => i.label)).not.toContain('Throttle');
  });

  it('during the first pass says the dirty rate is not measured yet (QEMU prints 0 then), and shows it from pass 2', () => {
    const f = load('plain-8-abort');
    const inPass1 = f.samples.findIndex((s) => s.info?.iteration === 1 && s.info.dirtyRatePagesPerSecond === 0);
    expect(inPass1).toBeGreaterThanOrEqual(0);
    expect(figure(runOf(f, 'running', inPass1 + 1), 'Dirty rate')).toBe('measured after pass 1');
    const inPass2 = f.samples.findIndex((s) => (s.info?.iteration ?? 0) >= 2);
    expect(figure(runOf(f, 'running', inPass2 + 1), 'Dirty rate')).toMatch(/MiB\/s$/);
  });

  it('in post-copy shows no dirty rate or expected downtime as live numbers', () => {
    const run = { ...runOf(load('plain-8-abort'), 'running', 30), inPostcopy: true };
    expect(figure(run, 'Dirty rate')).toBe('n/a in post-copy');
    expect(figure(run, 'Expected downtime')).toBe('n/a in post-copy');
    expect(figure(run, 'Remaining')).toMatch(/MiB$/);
  });
});

describe('an ended run opened from the history', () => {
  it('gets its samples (the stream sends only new ones), so its chart and last-sample box are not empty', async () => {
    const f = load('plain-8-abort');
    const full = runOf(f, 'aborted');
    const { samples, ...head } = full;
    let loads = 0;
    const port: MigrationPort = {
      start: async () => ({ ok: true, value: { preflight: [] } }),
      control: async () => ({ ok: true, value: {} }),
      watch(onEvent: (e: MigrationEvent) => void) {
        queueMicrotask(() => onEvent({ type: 'snapshot', runs: [{ ...head, samples: [] }] }));
        return () => undefined;
      },
      load: async () => {
        loads++;
        return { ok: true, value: { run: head, samples } };
      },
    };
    const store = createFerryStore({ ...createFakeApi({ latencyMs: 0, tickMs: 0 }), migrations: port } as never);
    store.getState().watchMigrations();
    await new Promise((r) => setTimeout(r, 0));
    expect(store.getState().migration.runs.m?.samples).toEqual([]);
    store.getState().openRun('m');
    await new Promise((r) => setTimeout(r, 0));
    const run = store.getState().migration.runs.m;
    expect(run?.samples.length).toBe(samples.length);
    expect(liveFigures(run as MigrationRun).find((i) => i.label === 'Throughput')?.value).toBe('8.0 MiB/s');
    store.getState().openRun(null);
    store.getState().openRun('m');
    expect(loads).toBe(1);
  });
});

describe('the tray', () => {
  it('has a bar for the bulk copy only, then the pass number: never "almost done" on a run that is not converging', () => {
    const f = load('plain-8-abort');
    const pass1 = runOf(f, 'running', 8);
    expect(trayProgress(pass1).value).toBeGreaterThan(0.1);
    expect(trayProgress(pass1).value).toBeLessThan(0.5);
    const later = runOf(f, 'running', 40);
    expect(later.verdict?.state).toBe('not-converging');
    expect(trayProgress(later)).toEqual({ text: `pass ${later.samples.at(-1)?.iteration}` });
  });
});

describe('the chart', () => {
  it('draws the throttle as its own series in %', () => {
    const s = chartSeries(runOf(load('autoconverge-8'), 'completed').samples);
    expect(s.throttle.length).toBeGreaterThan(10);
    expect(Math.max(...s.throttle.map((p) => p.y ?? 0))).toBe(99);
    expect(Math.min(...s.throttle.map((p) => p.y ?? 100))).toBe(20);
  });

  it('breaks the lines over a gap in the samples (a restart) instead of drawing a ramp', () => {
    const samples = runOf(load('plain-8-abort'), 'completed').samples.filter((p) => p.remainingMiB !== undefined);
    // Ferry stopped after 20 samples and re-attached 60 s of job time later.
    const gapped: RunSample[] = samples.map((p, i) => (i < 20 ? p : { ...p, t: p.t + 60 }));
    const s = chartSeries(gapped);
    expect(s.gaps).toHaveLength(1);
    for (const series of [s.remaining, s.throughput, s.dirty, s.downtime]) {
      const nulls = series.filter((p) => p.y === null);
      expect(nulls).toHaveLength(1);
      expect(nulls[0]?.x).toBeGreaterThan(samples[19]?.t ?? 0);
      expect(nulls[0]?.x).toBeLessThan((samples[20]?.t ?? 0) + 60);
    }
    // Without the gap, no break.
    expect(chartSeries(samples).remaining.some((p) => p.y === null)).toBe(false);
  });

  it('knows a run too short for a sample with figures has nothing to draw (and says so instead of empty axes)', () => {
    const f = load('autoconverge-8');
    const short = runOf(f, 'completed', 2); // set-up samples only: "Time elapsed" and nothing else
    expect(short.samples.length).toBe(2);
    expect(chartSeries(short.samples).drawnSamples).toBe(0);
    expect(chartSeries(runOf(f, 'completed', 3).samples).drawnSamples).toBe(1);
  });

  it('marks where post-copy began: the record’s switch time on the job-time axis, else the first post-copy sample', () => {
    const samples: RunSample[] = [
      { t: 1, at: 10_000, remainingMiB: 100 },
      { t: 2, at: 11_000, remainingMiB: 90 },
      { t: 3, at: 12_000, remainingMiB: 80, postcopy: true },
    ];
    expect(postcopyMarkerT(samples, 11_400)).toBeCloseTo(2.4);
    expect(postcopyMarkerT(samples, undefined)).toBe(3);
    expect(postcopyMarkerT(samples.slice(0, 2), undefined)).toBeUndefined();
  });
});

describe('the verdict beside the figures', () => {
  it('is never replaced by an older one (a record event computed before the latest sample reached the record)', () => {
    const f = load('plain-8-abort');
    const run = { ...runOf(f, 'running', 11), samples: [] as RunSample[] };
    const head = { ...run } as Omit<MigrationRun, 'samples'> & { samples?: unknown };
    delete head.samples;
    let runs = reduceRuns({}, { type: 'run', run: head, samples: [] });
    const older = runOf(f, 'running', 10).verdict;
    const newer = runOf(f, 'running', 11).verdict;
    expect(newer?.elapsedMs).toBeGreaterThan(older?.elapsedMs ?? Infinity);
    const sample = runSample(f.samples[10] as MigrationSample, f.startedAt) as RunSample;
    runs = reduceRuns(runs, { type: 'sample', id: 'm', sample, verdict: newer });
    runs = reduceRuns(runs, { type: 'run', run: { ...head, verdict: older } });
    expect(runs.m?.verdict).toBe(newer);
    // Its numbers are the shown sample's.
    expect(runs.m?.verdict?.reason).toContain(`${sample.remainingMiB?.toFixed(1)} MiB left`);
  });
});

describe('durations', () => {
  it('are written the same in the migration view and in reports', () => {
    for (const v of [38, 4_733, 75_600, 3_723_000]) expect(fmtMs(v)).toBe(figureTexts({ totalTimeMs: v, sampleCount: 0 }).total);
    expect(fmtMs(75_600)).toBe('1 min 16 s');
  });
});
