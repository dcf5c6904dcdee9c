/**
 * Start-up and opening one record against the size of the migration history (electron/main/migration/journal.ts and
 * its index, journal-index.ts). A synthetic history of BENCH_RUNS migrations (default 2000, ~1 GB: ~500 samples of
 * ~1 KB each, in pairs running side by side as an evacuation does), written streaming into a temporary data directory
 * from the journal's own line shapes; then, each in a fresh Node process, the same run:
 *   empty    an empty data directory
 *   rebuild  the big history without its index (the first start after an upgrade, or a lost index)
 *   indexed  the big history with its index (every later start)
 * start = createFerryMain (inventory, journal, engine) + appInfo + hosts list + the migrations watch's first snapshot
 * through the IPC core, what the console asks at start. list = the whole history list (what the Reports browser
 * reads when it is opened), after start. open = migrationsGet of one record (its samples read from the journal).
 * Heap and RSS are read after a forced GC: before start, after start, and after the list; maxRSS is the process's peak.
 * Run: npm run bench:history. Writes bench/results/history.{txt,json}.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { WATCH_SNAPSHOT_ENDED } from '../shared/migration/record-schema';

interface ChildResult {
  readonly startMs: number;
  /** After start: the migrationsList call (views of every record, checked against the contract by the IPC core). */
  readonly listMs: number;
  readonly openMs: readonly number[];
  readonly records: number;
  readonly heapBefore: number;
  /** After start, before the list. */
  readonly heapAfter: number;
  readonly heapAfterList: number;
  readonly rssBefore: number;
  readonly rssAfter: number;
  readonly maxRss: number;
}

const MiB = 1 << 20;
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

async function child(dataDir: string, openIds: readonly string[]): Promise<ChildResult> {
  const { createFerryMain } = await import('../electron/main/app');
  const { createIpcCore } = await import('../electron/main/ipc/core');
  const { appInfo, hostsList, migrationsGet, migrationsList, migrationsWatch } = await import('../shared/ipc/contract');
  const ctx = { clientId: 'bench', transport: 'web' as const };
  gc();
  const before = process.memoryUsage();
  const t0 = performance.now();
  const main = await createFerryMain({ dataDir, homeDir: dataDir, env: {} });
  const core = createIpcCore(main.handlers);
  // What the console asks at start: the app, the hosts, and the migrations watch's first snapshot (the tray and the
  // recent history).
  const info = await core.invoke(appInfo.id, {}, ctx);
  const hosts = await core.invoke(hostsList.id, {}, ctx);
  const snapshot = await new Promise<number>((resolve, reject) => {
    core.subscribe(ctx, 'w1', migrationsWatch.id, {}, {
      event: (e) => resolve(((e as { records?: unknown[] }).records ?? []).length),
      end: (error) => reject(new Error(error?.message ?? 'watch ended')),
    });
  });
  core.unsubscribe(ctx.clientId, 'w1');
  const startMs = performance.now() - t0;
  gc();
  const after = process.memoryUsage();
  // The whole history list, as the Reports browser reads it when it is opened.
  const tl = performance.now();
  const list = await core.invoke(migrationsList.id, {}, ctx);
  const listMs = performance.now() - tl;
  if (!info.ok || !hosts.ok || !list.ok) throw new Error(`start failed: ${JSON.stringify(!info.ok ? info.error : !hosts.ok ? hosts.error : list.ok ? '' : list.error)}`);
  const records = (list.value as unknown[]).length;
  if (records > 0 && snapshot === 0) throw new Error('the watch snapshot is empty');
  gc();
  const afterList = process.memoryUsage();
  const openMs: number[] = [];
  for (const id of openIds) {
    const t1 = performance.now();
    const got = await core.invoke(migrationsGet.id, { id }, ctx);
    openMs.push(performance.now() - t1);
    if (!got.ok) throw new Error(`open ${id} failed: ${got.error.message}`);
    const samples = (got.value as { samples: unknown[] }).samples.length;
    if (samples === 0) throw new Error(`open ${id}: no samples`);
  }
  await main.dispose();
  return {
    startMs,
    listMs,
    openMs,
    records,
    heapBefore: before.heapUsed,
    heapAfter: after.heapUsed,
    heapAfterList: afterList.heapUsed,
    rssBefore: before.rss,
    rssAfter: after.rss,
    maxRss: process.resourceUsage().maxRSS * 1024,
  };
}

const hv = (i: number) => ({ id: `h${i}`, name: `hv${i}`, address: `10.77.0.${10 + i}` });
const info = (elapsed: number, remaining: number) => ({
  format: 'human', type: 'unbounded', operation: 'outgoing-migration', timeElapsedMs: elapsed, dataProcessedBytes: 24165209 + elapsed * 1000,
  dataRemainingBytes: remaining, dataTotalBytes: 4294967296, memoryProcessedBytes: 24165209, memoryRemainingBytes: remaining,
  memoryTotalBytes: 4294967296, memoryBandwidthBytesPerSecond: 10408544, dirtyRatePagesPerSecond: 1270, pageSizeBytes: 4096,
  iteration: 3, postcopyRequests: 0, constantPages: 986, normalPages: 5886, normalDataBytes: 24109056, expectedDowntimeMs: 4467, setupTimeMs: 1,
});
const figures = (elapsed: number, remaining: number) => ({
  elapsedMs: elapsed, throughputBytesPerSecond: 10408544, throughputSource: 'reported', dirtyRateBytesPerSecond: 5201920, processedBytes: 24165209,
  remainingBytes: remaining, totalBytes: 4294967296, iteration: 3, expectedDowntimeMs: 4467, passProgress: 0.21,
});
const left = (s: number): number => Math.max(0, 4294967296 - s * 6_000_000);
const preflight = ['cpu', 'state', 'ports', 'storage', 'network', 'memory', 'mtu', 'version'].map((check) => ({ check, status: 'pass', message: `${check}: ok on both hosts`, durationMs: 120 }));

/** Writes the journal line by line (numbered), waiting for the stream to drain: never more than a chunk in memory. */
async function generate(path: string, runs: number, samplesPerRun?: number): Promise<{ bytes: number; lines: number; ids: string[] }> {
  const out = createWriteStream(path, { flags: 'w', mode: 0o600 });
  let n = 0;
  const ids: string[] = [];
  const put = async (type: string, id: string, at: number, payload: object) => {
    n++;
    if (!out.write(`${JSON.stringify({ v: 1, n, type, id, at, [type]: payload })}\n`)) await once(out, 'drain');
  };
  let at = Date.UTC(2025, 0, 1);
  for (let r = 0; r < runs; r += 2) {
    // Two VMs evacuated at once: their lines interleave.
    const pair = [r, r + 1].filter((x) => x < runs).map((x) => ({ id: `m-${String(x).padStart(5, '0')}`, samples: samplesPerRun ?? 300 + ((x * 7919) % 400), vm: `vm${x % 40}` }));
    for (const m of pair) {
      ids.push(m.id);
      const argv = ['virsh', 'migrate', '--live', '--p2p', '--persistent', '--verbose', m.vm, `qemu+ssh://root@10.77.0.12/system`];
      await put('start', m.id, at, { vm: m.vm, source: hv(1), destination: hv(2), options: { live: true, p2p: true, persistent: true, bandwidthMiBps: 500 }, argv, commandLine: argv.join(' '), intervalMs: 1000, preflight });
      await put('event', m.id, at + 5, { kind: 'started', message: 'virsh migrate started' });
    }
    const longest = Math.max(...pair.map((m) => m.samples));
    for (let s = 0; s < longest; s++) {
      for (const m of pair) {
        if (s < m.samples) await put('sample', m.id, at + 1000 * (s + 1), { seq: s, latencyMs: 4.2, lateMs: 0.3, info: info(1000 * (s + 1), left(s)), figures: figures(1000 * (s + 1), left(s)) });
        if (s === Math.min(100, m.samples - 1)) await put('event', m.id, at + 1000 * s + 10, { kind: 'control', message: 'Bandwidth cap set to 800 MiB/s', control: { kind: 'set-speed', mibPerSecond: 800 } });
      }
    }
    for (const m of pair) {
      const wall = 1000 * (m.samples + 1);
      await put('end', m.id, at + wall, { state: 'completed', message: `${m.vm} migrated`, final: { readOn: 'destination', totalTimeMs: wall, downtimeMs: 35, dataSentBytes: 4294967296, memoryTotalBytes: 4294967296 }, wallMs: wall });
    }
    at += 1000 * (longest + 60);
  }
  out.end();
  await once(out, 'finish');
  return { bytes: statSync(path).size, lines: n, ids };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? (s[(s.length - 1) / 2] ?? NaN) : ((s[s.length / 2 - 1] ?? 0) + (s[s.length / 2] ?? 0)) / 2;
};

function runChild(dataDir: string, openIds: readonly string[]): ChildResult {
  const self = fileURLToPath(import.meta.url);
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, 'child', dataDir, openIds.join(',')], { encoding: 'utf8', maxBuffer: 16 * MiB });
  const last = out.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as ChildResult;
}

async function parent(): Promise<void> {
  const RUNS = Number(process.env['BENCH_RUNS'] ?? 2000);
  const REPEAT = Number(process.env['BENCH_REPEAT'] ?? 5);
  const root = mkdtempSync(join(tmpdir(), 'ferry-history-bench-'));
  try {
    const empty = join(root, 'empty');
    const big = join(root, 'big');
    const short = join(root, 'short');
    const recent = join(root, 'recent');
    mkdirSync(empty);
    mkdirSync(recent);
    mkdirSync(big);
    mkdirSync(short);
    // The same number of records with 5 samples each: what start-up costs per record, whatever the journal's size.
    const shortGen = await generate(join(short, 'migrations.jsonl'), RUNS, 5);
    runChild(short, []);
    // As many runs as the console shows at start (the migrations watch's snapshot): the fixed cost of showing them.
    await generate(join(recent, 'migrations.jsonl'), WATCH_SNAPSHOT_ENDED, 5);
    runChild(recent, []);
    const g0 = performance.now();
    const gen = await generate(join(big, 'migrations.jsonl'), RUNS);
    const genS = (performance.now() - g0) / 1000;
    console.log(`generated ${RUNS} runs, ${gen.lines} lines, ${(gen.bytes / MiB).toFixed(0)} MiB in ${genS.toFixed(1)} s`);
    // Records to open: spread over the history (early, middle, late), one per child run.
    const picks = [0.1, 0.5, 0.9].map((f) => gen.ids[Math.floor(f * (gen.ids.length - 1))] ?? '');
    const rebuild = runChild(big, picks);
    console.log(`rebuild: start ${rebuild.startMs.toFixed(0)} ms`);
    const indexBytes = statSync(join(big, 'migrations.jsonl.index')).size;
    const emptyRuns: ChildResult[] = [];
    const indexedRuns: ChildResult[] = [];
    const shortRuns: ChildResult[] = [];
    const recentRuns: ChildResult[] = [];
    for (let i = 0; i < REPEAT; i++) {
      emptyRuns.push(runChild(empty, []));
      recentRuns.push(runChild(recent, []));
      shortRuns.push(runChild(short, []));
      indexedRuns.push(runChild(big, picks));
      console.log(`round ${i + 1}: empty ${emptyRuns.at(-1)?.startMs.toFixed(1)} ms, recent ${recentRuns.at(-1)?.startMs.toFixed(1)} ms, short ${shortRuns.at(-1)?.startMs.toFixed(1)} ms, indexed ${indexedRuns.at(-1)?.startMs.toFixed(1)} ms`);
    }
    const m = (rs: readonly ChildResult[], f: (r: ChildResult) => number) => median(rs.map(f));
    const row = (label: string, rs: readonly ChildResult[]) => {
      const start = m(rs, (r) => r.startMs);
      const opens = rs.flatMap((r) => r.openMs);
      const heap = m(rs, (r) => r.heapAfter - r.heapBefore) / MiB;
      const rss = m(rs, (r) => r.rssAfter - r.rssBefore) / MiB;
      return {
        label,
        records: rs[0]?.records ?? 0,
        startMs: start,
        listMs: m(rs, (r) => r.listMs),
        startRatio: start / m(emptyRuns, (r) => r.startMs),
        startPerRecent: start / m(recentRuns, (r) => r.startMs),
        openMedianMs: median(opens),
        openMaxMs: opens.length ? Math.max(...opens) : NaN,
        heapListGrowthMiB: m(rs, (r) => r.heapAfterList - r.heapBefore) / MiB,
        heapGrowthMiB: heap,
        rssGrowthMiB: rss,
        maxRssMiB: m(rs, (r) => r.maxRss) / MiB,
      };
    };
    const rows = [row('empty', emptyRuns), row('recent', recentRuns), row('short', shortRuns), row('indexed', indexedRuns), row('rebuild', [rebuild])];
    const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
    const table = [
      `  case     records  start ms  (list ms)  start/empty  start/recent  open ms (median, max)  heap +start MiB  heap +list MiB  rss +start MiB  max rss MiB`,
      ...rows.map(
        (r) =>
          `  ${r.label.padEnd(8)} ${String(r.records).padStart(7)} ${f(r.startMs).padStart(9)} ${`(${f(r.listMs)})`.padStart(10)} ${`x${f(r.startRatio, 2)}`.padStart(12)} ${`x${f(r.startPerRecent, 2)}`.padStart(13)} ${`${f(r.openMedianMs)}, ${f(r.openMaxMs)}`.padStart(22)} ${f(r.heapGrowthMiB).padStart(16)} ${f(r.heapListGrowthMiB).padStart(15)} ${f(r.rssGrowthMiB).padStart(15)} ${f(r.maxRssMiB).padStart(12)}`,
      ),
    ];
    const text = [
      `migration history: start-up and opening one record, ${new Date().toISOString()}`,
      `machine: ${cpus().length} cores, ${cpus()[0]?.model.trim() ?? '?'}, node ${process.version}; load average at the end ${loadavg()[0]?.toFixed(1)} (other work shares the cores); files in ${tmpdir()} (page cache warm: just written)`,
      `history: ${RUNS} runs (pairs side by side), ${gen.lines} lines, ${(gen.bytes / MiB).toFixed(0)} MiB journal, ${(indexBytes / MiB).toFixed(2)} MiB index; generated in ${genS.toFixed(1)} s`,
      `short: the same ${RUNS} runs with 5 samples each, ${(shortGen.bytes / MiB).toFixed(0)} MiB journal (what the journal's size adds at the same record count)`,
      `recent: ${WATCH_SNAPSHOT_ENDED} runs with 5 samples each, as many as the console shows at start (start/recent: what the rest of the history adds)`,
      '',
      ...table,
      '',
      `start = createFerryMain + appInfo + hostsList + the migrations watch's first snapshot through the IPC core (what the console asks at start), median of ${REPEAT} fresh processes;`,
      '  list = after start, the whole history list (migrationsList: every record\'s view, checked against the contract by the IPC core; what Reports reads when opened)',
      '  (rebuild: once, the big history without its index: the journal read through once, streaming, and the index written);',
      `open = migrationsGet of one record (${picks.join(', ')}: early, middle, late), each process opens all three;`,
      'heap/rss +start = after start minus before it, each after a forced GC, in the same process; heap +list = the same after the list; max rss = the process peak.',
    ].join('\n');
    console.log(text);
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    writeFileSync(new URL('./results/history.txt', import.meta.url), `${text}\n`);
    writeFileSync(new URL('./results/history.json', import.meta.url), `${JSON.stringify({ runs: RUNS, lines: gen.lines, journalBytes: gen.bytes, indexBytes, rows, shortJournalBytes: shortGen.bytes, raw: { empty: emptyRuns, recent: recentRuns, short: shortRuns, indexed: indexedRuns, rebuild } }, null, 2)}\n`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'generate') {
  // A history to look at by hand: node --import tsx bench/history.ts generate <dir> [runs] [samples per run]
  const samples = process.argv[5] === undefined ? undefined : Number(process.argv[5]);
  console.log(await generate(join(process.argv[3] ?? '.', 'migrations.jsonl'), Number(process.argv[4] ?? 2000), samples).then((g) => `${g.lines} lines, ${g.bytes} bytes`));
} else if (process.argv[2] === 'child') {
  const r = await child(process.argv[3] ?? '', (process.argv[4] ?? '').split(',').filter((x) => x !== ''));
  console.log(JSON.stringify(r));
} else {
  await parent();
}
