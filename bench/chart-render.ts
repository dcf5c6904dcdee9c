/**
 * Chart render cost in Chromium: MigrationChart with 50,000 synthetic samples (a non-converging run at 10 Hz, shaped
 * like the lab's --bandwidth 16 run) LTTB-downsampled to the chart's 500 points per series (and to 1,000), against a baseline measured in the
 * same run (the same chart with 500 samples), and the same 50,000 samples drawn without downsampling for contrast.
 * Goal: a 50,000-sample migration renders in under 50 ms.
 *
 *   node --import tsx bench/chart-render.ts [--reps 15]
 *
 * Builds renderer/src/features/migrate/bench/ (a page rendering the real component) with vite into a temp dir, serves it on 127.0.0.1, drives /usr/bin/chromium with
 * playwright-core. Writes bench/results/chart-render.{txt,json}.
 */
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, cpus, loadavg } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import react from '@vitejs/plugin-react';
import { chromium } from 'playwright-core';
import { CHART_MAX_POINTS } from '../renderer/src/features/migrate/chartData';

const here = fileURLToPath(new URL('.', import.meta.url));
const reps = Number(process.argv[process.argv.indexOf('--reps') + 1]) || 15;
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

interface Case {
  readonly name: string;
  readonly n: number;
  readonly maxPoints: number;
  readonly reps: number;
}
const CASES: readonly Case[] = [
  { name: 'baseline: 500 samples', n: 500, maxPoints: CHART_MAX_POINTS, reps },
  { name: '50,000 samples, LTTB to 500/series', n: 50_000, maxPoints: CHART_MAX_POINTS, reps },
  { name: '50,000 samples, LTTB to 1,000/series', n: 50_000, maxPoints: 1000, reps },
  { name: '50,000 samples, no downsampling', n: 50_000, maxPoints: Infinity, reps: 3 },
];

type BenchFn = (n: number, maxPoints: number, rep: number) => Promise<{ renderMs: number; paintMs: number; paths: number; points: number }>;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

async function main() {
  const loadBefore = loadavg()[0] ?? 0;
  const out = await mkdtemp(join(tmpdir(), 'ferry-chart-bench-'));
  await build({ root: join(here, '..', 'renderer', 'src', 'features', 'migrate', 'bench'), base: './', plugins: [react()], logLevel: 'warn', build: { outDir: out, emptyOutDir: true, target: 'es2022' } });
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  const server = createServer((req, res) => {
    const path = normalize(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '') || 'index.html';
    readFile(join(out, path)).then(
      (body) => res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
  const results: Record<string, { render: number[]; paint: number[]; points: number }> = {};
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`http://127.0.0.1:${port}/index.html`);
    await page.waitForFunction(() => typeof (globalThis as unknown as { bench?: BenchFn }).bench === 'function');
    // Warm-up (JIT, fonts), not counted.
    for (const c of CASES) await page.evaluate(([n, m]) => (globalThis as unknown as { bench: BenchFn }).bench(n, m, 99), [c.n, c.maxPoints === Infinity ? 1e9 : c.maxPoints] as const);
    // Interleave the cases so drift on a busy machine hits all of them alike.
    for (let r = 0; r < reps; r++) {
      for (const c of CASES) {
        if (r >= c.reps) continue;
        const m = await page.evaluate(([n, mp, rep]) => (globalThis as unknown as { bench: BenchFn }).bench(n, mp, rep), [c.n, c.maxPoints === Infinity ? 1e9 : c.maxPoints, r] as const);
        if (m.paths !== 4) throw new Error(`${c.name}: ${m.paths} lines drawn, expected 4`);
        const e = (results[c.name] ??= { render: [], paint: [], points: m.points });
        e.render.push(m.renderMs);
        e.paint.push(m.paintMs);
      }
    }
  } finally {
    await browser.close();
    server.close();
    await rm(out, { recursive: true, force: true });
  }

  const base = median(results[CASES[0]!.name]!.render);
  const rows = CASES.map((c) => {
    const e = results[c.name]!;
    return { case: c.name, samples: c.n, reps: e.render.length, pointsDrawnRateChart: e.points, renderMedianMs: +median(e.render).toFixed(1), renderP90Ms: +pct(e.render, 0.9).toFixed(1), paintMedianMs: +median(e.paint).toFixed(1), vsBaseline: +(median(e.render) / base).toFixed(2) };
  });
  const big = rows[1]!;
  const lines = [
    `Chart render in Chromium (MigrationChart: 2 charts, 4 lines, 900x360, no dots, no animation) — ${new Date().toISOString()}`,
    `machine: ${cpus().length} cores, ${cpus()[0]?.model ?? '?'}, 1-min load ${loadBefore.toFixed(1)} before / ${(loadavg()[0] ?? 0).toFixed(1)} after (other work on the machine inflates every figure; compare the ratios); render = root.render() to all 4 lines in the DOM; paint = to the next frame`,
    '',
    ...rows.map((r) => `${r.case.padEnd(40)} render median ${String(r.renderMedianMs).padStart(7)} ms  p90 ${String(r.renderP90Ms).padStart(7)} ms  paint ${String(r.paintMedianMs).padStart(7)} ms  x${r.vsBaseline} baseline  (${r.reps} reps, ${r.pointsDrawnRateChart} points on the rate chart)`),
    '',
    `Goal: 50,000 samples under 50 ms -> ${big.renderMedianMs < 50 ? 'MET' : 'NOT MET'} (median ${big.renderMedianMs} ms, x${big.vsBaseline} the 500-sample baseline)`,
  ];
  const text = lines.join('\n') + '\n';
  process.stdout.write(text);
  await writeFile(join(here, 'results', 'chart-render.txt'), text);
  await writeFile(join(here, 'results', 'chart-render.json'), JSON.stringify({ at: new Date().toISOString(), cores: cpus().length, loadBefore, loadAfter: loadavg()[0], goalMs: 50, met: big.renderMedianMs < 50, rows, raw: results }, null, 2) + '\n');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
