/**
 * Concurrent migrations sampled at 2 Hz on this 2-core machine, through the real sampler
 * (electron/main/sampler/job-sampler.ts on the anchored poller) and the real SSH core, against the lab.
 *
 *   baseline    ONE migration running, sampled alone (bench-g(N+1) hvA -> hvB)
 *   concurrent  N migrations running at once (bench-g01..bench-gNN hvA -> hvB), all sampled, all through ONE
 *               long-lived virsh session on hvA (what the engine does: one session per source host)
 * Same run, same machine, one after the other. Each guest is a 128 MiB TCG guest like vm1 (test/lab/bench-guests.sh
 * starts them and removes them afterwards). Each migration runs with --bandwidth BENCH_BANDWIDTH_MIB (1 MiB/s, the
 * lowest cap libvirt takes) and is sampled from its start until its `virsh migrate` returns, as the engine does.
 * (A first version waited for all N jobs to move memory at once before sampling a fixed window: they never did.
 * Started 100 ms apart, the jobs' set-up on a loaded 2-core machine spreads their starts over tens of seconds, and
 * the first ones finish before the last ones start moving; so the report says how many really ran at once.)
 *
 * BENCH_VIA=virsh (default): the migrations are started with libvirt's own client (`virsh migrate --p2p` inside hvA,
 * one process each) and sampled by the real sampler here: what is measured is the sampling alone.
 * BENCH_VIA=engine: the migrations are started through ONE MigrationEngine on ONE SSH pool, as Ferry runs them (each
 * `virsh migrate` on its own channel of the pool's connections to hvA, which opens more connections when the
 * channels of one run out; every run sampled through the engine's one virsh session on hvA); the samples are the
 * engine's records. Writes sampling-concurrency-engine.{txt,json} instead.
 *
 * Per sample: lateness = how late it started against the poller's fixed schedule (t0 + k x period; the poller's
 * own figure, PollTick.lateMs); skipped = schedule slots the poller skipped because an earlier sample of the same
 * sampler ran past them; dropped = slots without a sample (skipped + slots not reached at the end) + samples that
 * failed other than with the expected "not running"/"no domain"; migrating = samples showing a running job.
 *
 * Needs the lab, as root, and the lab lock (it starts guests and migrations):
 *   flock /var/tmp/ferry-lab.lock node --import tsx bench/sampling-concurrency.ts
 * Env: BENCH_VIA (virsh | engine), BENCH_MIGRATIONS (20), BENCH_INTERVAL_MS (500), BENCH_MAX_MS (240000: then the caps are raised), BENCH_BANDWIDTH_MIB (1),
 *      BENCH_GUEST_MIB (128), BENCH_LIBVIRT_MAX_WORKERS (unset: hvA's libvirtd as configured), BENCH_APPEND (1: add to the
 *      .txt instead of replacing it). Writes bench/results/sampling-concurrency.{txt,json}.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { labCommand, labHost, labInfo } from '../test/lab/lab';
import { benchGuestName as name, benchGuests as guests } from '../test/lab/bench-guests';
import { openLabEngine, type LabEngine } from '../test/integration/lab-engine';
import { SshPool } from '../electron/main/ssh/pool';
import { fileKnownHostsStore } from '../electron/main/ssh/known-hosts';
import { virshRunner, type VirshRunner } from '../electron/main/remote/ssh-runner';
import { runCommand } from '../electron/main/remote/run-command';
import { virshDomjobinfo, virshListAll } from '../shared/commands';
import { startJobSampler, type JobSample } from '../electron/main/sampler/job-sampler';
import type { Poller } from '../electron/main/sampler/poller';

const N = Number(process.env['BENCH_MIGRATIONS'] ?? 20);
const INTERVAL_MS = Number(process.env['BENCH_INTERVAL_MS'] ?? 500);
const MAX_MS = Number(process.env['BENCH_MAX_MS'] ?? 240_000);
const BANDWIDTH = Number(process.env['BENCH_BANDWIDTH_MIB'] ?? 1);
const GUEST_MIB = Number(process.env['BENCH_GUEST_MIB'] ?? 128);
/** When set: hvA's libvirtd worker pool is raised to this many for the run (virt-admin, at run time) and restored. */
const MAX_WORKERS = process.env['BENCH_LIBVIRT_MAX_WORKERS'] === undefined ? undefined : Number(process.env['BENCH_LIBVIRT_MAX_WORKERS']);
const VIA = process.env['BENCH_VIA'] === 'engine' ? 'engine' : 'virsh';

const found = labInfo();
if (!found) {
  console.error('bench: the lab is not up (run `npm run lab -- up` as root)');
  process.exit(2);
}
const lab = found;
const hvA = labHost(lab, 'hvA');
const hvB = labHost(lab, 'hvB');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `virt-admin srv-threadpool-info libvirtd` on hvA, as one line (raw: a diagnostic for the report, not parsed). */
async function threadpool(): Promise<string> {
  const r = await labCommand(['hx', 'hvA', 'timeout', '20', 'virt-admin', 'srv-threadpool-info', 'libvirtd'], { timeoutMs: 30_000 });
  return r.stdout.trim().split('\n').map((l) => l.replace(/\s+/g, ' ').trim()).join(', ');
}

interface Stats {
  readonly n: number;
  readonly min: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

function stats(values: readonly number[]): Stats {
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  return { n: s.length, min: s[0] ?? NaN, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: s[s.length - 1] ?? NaN };
}

interface PhaseResult {
  readonly phase: string;
  readonly migrations: number;
  /** Most jobs seen running in the same 2 Hz slot. */
  readonly maxConcurrent: number;
  /** Time with at least busyThreshold (max - 10 %) jobs running, s. */
  readonly busySeconds: number;
  readonly busyThreshold: number;
  /** How long each migrate command ran (= how long it was sampled). */
  readonly spanMs: Stats;
  readonly phaseMs: number;
  readonly expected: number;
  readonly taken: number;
  readonly skipped: number;
  readonly notReached: number;
  readonly failed: number;
  readonly migratingSamples: number;
  /** Per run, how many of its samples showed its job (every run sampled: the least is above 0). */
  readonly jobSamplesPerRun: Stats;
  readonly latenessMs: Stats;
  /** Lateness of the samples taken while at least busyThreshold jobs ran. */
  readonly latenessBusyMs: Stats;
  readonly roundTripMs: Stats;
  readonly cpuPercentOfOneCore: number;
  readonly loadAverage1m: number;
  readonly completed: number;
  readonly migrateFailures: readonly string[];
  /** hvA's libvirtd worker pool 15 s into the phase (raw virt-admin line). */
  readonly threadpoolBusy: string;
  /** Engine mode: the most channels and connections its pool held to hvA at once. */
  readonly pool?: PoolPeak;
}

/** One sample as the analysis needs it, from the sampler here or from an engine's record; `at` on performance.now(). */
interface Taken {
  readonly at: number;
  readonly lateMs: number;
  readonly skippedBefore: number;
  readonly latencyMs: number;
  /** It showed a running job. */
  readonly job: boolean;
  /** Failed other than with the expected "not running"/"no domain" (the VM gone at the end). */
  readonly failed: boolean;
}

const isJob = (type: string | undefined): boolean => type === 'unbounded' || type === 'bounded';
const unexpected = (code: string): boolean => code !== 'libvirt.no-domain' && code !== 'libvirt.not-running';

/** The migrations of a phase, started: each one's samples and span once it ended, and how it ended. */
interface Started {
  readonly samples: Taken[][];
  readonly spans: number[];
  readonly ended: Promise<readonly { readonly vm: string; readonly failure?: string }[]>;
}

/**
 * libvirt's own client: `virsh migrate --p2p` inside hvA, one process each, sampled by the real sampler through ONE
 * long-lived virsh session from its start until its `virsh migrate` returns (as the engine does).
 */
function viaVirsh(vms: readonly string[], session: VirshRunner, crashes: unknown[]): Started {
  const samples: Taken[][] = vms.map(() => []);
  const spans: number[] = vms.map(() => 0);
  const ended = Promise.all(
    vms.map(async (vm, i) => {
      await sleep(i * 100); // a little apart: each opens its own qemu+ssh connection from hvA's libvirtd to hvB
      const started = performance.now();
      const done = labCommand(
        ['hx', 'hvA', 'env', 'LC_ALL=C', 'virsh', '--connect', 'qemu:///system', 'migrate', '--live', '--p2p', '--bandwidth', String(BANDWIDTH), '--domain', vm, '--desturi', `qemu+ssh://${hvB.ip}/system`],
        { timeoutMs: 600_000 },
      );
      const sampler: Poller = startJobSampler({
        runner: session,
        domain: vm,
        intervalMs: INTERVAL_MS,
        wallClock: () => performance.now(), // `at` on the same clock as t0
        onSample: (x: JobSample) =>
          samples[i]?.push({
            at: x.at,
            lateMs: x.lateMs,
            skippedBefore: x.skippedBefore,
            latencyMs: x.latencyMs,
            job: x.result.ok && isJob(x.result.value.info.type),
            failed: !x.result.ok && unexpected(x.result.error.code),
          }),
        onCrash: (e) => crashes.push(e),
      });
      const r = await done;
      sampler.stop();
      spans[i] = performance.now() - started;
      return r.code === 0 ? { vm } : { vm, failure: (r.stderr.trim().split('\n').pop() ?? '').slice(0, 200) };
    }),
  );
  return { samples, spans, ended };
}

/**
 * Ferry's engine: each migration started with MigrationEngine.start (its `virsh migrate` on a channel of the pool's
 * connections to hvA, sampled through the engine's one virsh session on hvA); the samples are the engine's records.
 */
function viaEngine(vms: readonly string[], t: LabEngine): Started {
  const samples: Taken[][] = vms.map(() => []);
  const spans: number[] = vms.map(() => 0);
  // The engine stamps samples with the wall clock: moved onto performance.now(), as t0 is.
  const skew = performance.now() - Date.now();
  const ended = Promise.all(
    vms.map(async (vm, i) => {
      await sleep(i * 100);
      const s = await t.engine.start({ vm, source: t.hvA, destination: t.hvB, options: { live: true, p2p: true, bandwidthMiBps: BANDWIDTH }, intervalMs: INTERVAL_MS });
      if (!s.ok) return { vm, failure: `not started: ${s.error.message}` };
      const r = await t.engine.settled(s.value.id);
      samples[i] = (r?.samples ?? []).map((x) => ({
        at: x.at + skew,
        lateMs: x.lateMs ?? 0,
        skippedBefore: x.skippedBefore ?? 0,
        latencyMs: x.latencyMs,
        job: isJob(x.info?.type),
        failed: x.error !== undefined && unexpected(x.error.code),
      }));
      spans[i] = r?.end && r.startedAt !== undefined ? r.end.at - r.startedAt : 0;
      const warnings = (r?.events ?? []).filter((e) => e.kind === 'warning').map((e) => e.message);
      if (warnings.length > 0) console.log(`${vm}: warning: ${warnings[0]}`);
      return r?.state === 'completed' ? { vm } : { vm, failure: `${r?.state ?? 'no record'}: ${(r?.end?.message ?? '').slice(0, 200)}` };
    }),
  );
  return { samples, spans, ended };
}

/** Most channels and connections the pool held to hvA at once during a phase (engine mode). */
interface PoolPeak {
  channels: number;
  connections: number;
}

/** Starts the migrations, waits for them (after BENCH_MAX_MS every cap is raised so that they finish), analyses. */
async function phase(label: string, vms: readonly string[], start: (vms: readonly string[]) => Started, peak?: () => PoolPeak): Promise<PhaseResult> {
  console.log(`${label}: starting ${vms.length} migration(s) hvA -> hvB at ${BANDWIDTH} MiB/s (via ${VIA})...`);
  const load0 = os.loadavg()[0] ?? 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { samples, spans, ended: all } = start(vms);
  const busyPool = sleep(15_000).then(threadpool);
  let capTimer: NodeJS.Timeout | undefined;
  const capped = new Promise<'capped'>((resolve) => (capTimer = setTimeout(() => resolve('capped'), MAX_MS)));
  const first = await Promise.race([all, capped]);
  clearTimeout(capTimer); // or the process lingers (holding the lab lock) until MAX_MS after the last phase began
  if (first === 'capped') {
    console.log(`${label}: still running after ${MAX_MS / 1000} s: raising the caps`);
    await Promise.all(vms.map((vm) => labCommand(['hx', 'hvA', 'virsh', 'migrate-setspeed', '--domain', vm, '--bandwidth', '8000'])));
  }
  const ended = await all;
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const load1 = os.loadavg()[0] ?? 0;
  const migrateFailures = ended.filter((e) => e.failure !== undefined).map((e) => `${e.vm}: ${e.failure ?? ''}`);
  const onB = await runCommand({ run: (argv, o) => checkPool.exec({ host: hvB.ip, user: 'root' }, argv, { timeoutMs: o.timeoutMs }) }, virshListAll());
  const completed = onB.ok ? vms.filter((vm) => onB.value.some((d) => d.name === vm && d.state === 'running')).length : -1;

  // How many jobs ran at once: per 2 Hz slot since the phase began, the samplers whose sample showed a running job.
  // (A sampler counts once per slot: a late sample may round into the next slot next to that slot's own sample.)
  const runningPerSlot = new Map<number, Set<number>>();
  const slotOf = (s: Taken) => Math.round((s.at - t0) / INTERVAL_MS);
  samples.forEach((list, i) => {
    for (const s of list) {
      if (!s.job) continue;
      const set = runningPerSlot.get(slotOf(s)) ?? new Set<number>();
      set.add(i);
      runningPerSlot.set(slotOf(s), set);
    }
  });
  const maxConcurrent = Math.max(0, ...[...runningPerSlot.values()].map((x) => x.size));
  const busySlots = new Set([...runningPerSlot].filter(([, x]) => x.size >= Math.max(1, maxConcurrent - Math.floor(maxConcurrent / 10))).map(([k]) => k));

  const lateness: number[] = [];
  const latenessBusy: number[] = [];
  const rtt: number[] = [];
  let expected = 0;
  let taken = 0;
  let skipped = 0;
  let notReached = 0;
  let failed = 0;
  let migrating = 0;
  samples.forEach((list, i) => {
    // Slots due while the sampler ran, less a 50 ms grace: one due in the very last moment may not have started.
    const slots = Math.floor(Math.max(0, (spans[i] ?? 0) - 50) / INTERVAL_MS) + 1;
    expected += slots;
    taken += list.length;
    const skippedHere = list.reduce((n, s) => n + s.skippedBefore, 0);
    skipped += skippedHere;
    notReached += Math.max(0, slots - list.length - skippedHere);
    for (const s of list) {
      lateness.push(s.lateMs);
      if (busySlots.has(slotOf(s))) latenessBusy.push(s.lateMs);
      rtt.push(s.latencyMs);
      if (s.failed) failed += 1;
      if (s.job) migrating += 1;
    }
  });
  return {
    phase: label,
    migrations: vms.length,
    maxConcurrent,
    busySeconds: (busySlots.size * INTERVAL_MS) / 1000,
    busyThreshold: Math.max(1, maxConcurrent - Math.floor(maxConcurrent / 10)),
    spanMs: stats(spans.map((x) => Math.round(x))),
    phaseMs: Math.round(elapsed),
    expected,
    taken,
    skipped,
    notReached,
    failed,
    migratingSamples: migrating,
    jobSamplesPerRun: stats(samples.map((list) => list.filter((x) => x.job).length)),
    latenessMs: stats(lateness),
    latenessBusyMs: stats(latenessBusy),
    roundTripMs: stats(rtt),
    cpuPercentOfOneCore: Math.round(((cpu.user + cpu.system) / 1000 / elapsed) * 1000) / 10,
    loadAverage1m: Math.round(((load0 + load1) / 2) * 100) / 100,
    completed,
    migrateFailures,
    threadpoolBusy: await busyPool,
    ...(peak ? { pool: peak() } : {}),
  };
}

const key = readFileSync(lab.clientKey);
/** Asks hvB where the guests ended; in virsh mode, also the samplers' pool. */
const checkPool = new SshPool({ knownHosts: fileKnownHostsStore(lab.knownHosts), auth: () => ({ kind: 'key', privateKey: key }) });
const results: PhaseResult[] = [];
let guestNote = '';
let poolNote = '';
const poolBefore = await threadpool();
const maxBefore = /maxWorkers ?: ?(\d+)/.exec(poolBefore)?.[1];
try {
  if (MAX_WORKERS !== undefined) {
    const set = await labCommand(['hx', 'hvA', 'virt-admin', 'srv-threadpool-set', 'libvirtd', '--max-workers', String(MAX_WORKERS)]);
    if (set.code !== 0) throw new Error(`virt-admin srv-threadpool-set failed: ${set.stderr}`);
    poolNote = `hvA libvirtd max_workers raised from ${maxBefore ?? '?'} to ${MAX_WORKERS} for this run (virt-admin srv-threadpool-set, restored after)`;
  } else {
    poolNote = `hvA libvirtd worker pool as configured: ${poolBefore}`;
  }
  console.log(`starting ${N + 1} guests of ${GUEST_MIB} MiB on hvA...`);
  const t = performance.now();
  const up = await guests(['up', String(N + 1), String(GUEST_MIB), 'hvA']);
  if (up.code !== 0) throw new Error(`bench-guests.sh up failed: ${up.out.trim()}`);
  guestNote = `${N + 1} guests booted in ${((performance.now() - t) / 1000).toFixed(1)} s`;
  const vms = Array.from({ length: N }, (_, i) => name(i + 1));
  if (VIA === 'engine') {
    const t = await openLabEngine(lab, { prefix: 'ferry-bench-concurrency-' });
    const source = { host: t.hvA.address, user: 'root' };
    let peak: PoolPeak = { channels: 0, connections: 0 };
    const watch = setInterval(() => {
      const s = t.pool.status(source);
      peak = { channels: Math.max(peak.channels, s.channelsInUse), connections: Math.max(peak.connections, s.connections) };
    }, 100);
    const peakOfPhase = (): PoolPeak => {
      const p = peak;
      peak = { channels: 0, connections: 0 };
      return p;
    };
    try {
      results.push(await phase('baseline', [name(N + 1)], (v) => viaEngine(v, t), peakOfPhase));
      results.push(await phase('concurrent', vms, (v) => viaEngine(v, t), peakOfPhase));
    } finally {
      clearInterval(watch);
      await t.close();
    }
  } else {
    const crashes: unknown[] = [];
    const session = virshRunner(checkPool, { host: hvA.ip, user: 'root' });
    try {
      await runCommand(session, virshDomjobinfo(name(1)));
      results.push(await phase('baseline', [name(N + 1)], (v) => viaVirsh(v, session, crashes)));
      results.push(await phase('concurrent', vms, (v) => viaVirsh(v, session, crashes)));
    } finally {
      await session.close().catch(() => undefined);
    }
    if (crashes.length > 0) throw new Error(`sampler crashed: ${String(crashes[0])}`);
  }
} finally {
  await checkPool.dispose();
  const down = await guests(['down']);
  if (down.code !== 0) console.error(`bench-guests.sh down: ${down.out}`);
  if (MAX_WORKERS !== undefined && maxBefore !== undefined) {
    await labCommand(['hx', 'hvA', 'virt-admin', 'srv-threadpool-set', 'libvirtd', '--max-workers', maxBefore]);
    console.log(`hvA libvirtd max_workers back to ${maxBefore}: ${await threadpool()}`);
  }
}

const f = (n: number) => n.toFixed(1);
const st = (s: Stats) => `p50 ${f(s.p50)}  p95 ${f(s.p95)}  p99 ${f(s.p99)}  max ${f(s.max)} ms (n=${s.n})`;
const base = results[0];
const conc = results[1];
const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? `x${(a / b).toFixed(1)}` : 'n/a');
const lines = [
  `Sampling concurrency with real migrations: ${N} concurrent p2p migrations (hvA -> hvB, ${GUEST_MIB} MiB TCG guests, --bandwidth ${BANDWIDTH} MiB/s each) sampled at ${1000 / INTERVAL_MS} Hz from start to end, against 1 migration sampled alone, same run.`,
  `Machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${new Date().toISOString()}; ${guestNote}; all samplers share ONE long-lived virsh session on hvA (the engine's layout).`,
  VIA === 'engine'
    ? `Started through ONE MigrationEngine on ONE SSH pool (BENCH_VIA=engine): each virsh migrate on a channel of the pool's connections to hvA (10 channels each), samples from the engine's records.`
    : `Started with libvirt's own client (virsh migrate --p2p inside hvA), sampled by the sampler here (BENCH_VIA=virsh).`,
  poolNote,
  `lateness = start of a sample - its slot on the poller's fixed schedule; dropped = skipped slots + slots not reached + failed samples; busy = slots with at least max-10% jobs running at once.`,
  '',
  ...results.map((r) =>
    [
      `${r.phase.padEnd(11)} migrations ${r.migrations}: at most ${r.maxConcurrent} running at once (>= ${r.busyThreshold} for ${r.busySeconds} s); completed ${r.completed}${r.migrateFailures.length ? `; migrate failures ${r.migrateFailures.length}` : ''}; each ran ${f(r.spanMs.p50 / 1000)} s median (${f(r.spanMs.max / 1000)} s max), phase ${f(r.phaseMs / 1000)} s`,
      `            samples ${r.taken}/${r.expected}  dropped ${r.skipped + r.notReached + r.failed} (skipped ${r.skipped}, not reached ${r.notReached}, failed ${r.failed}); ${r.migratingSamples} showed a running job`,
      `            samples showing the run's job, per run: min ${r.jobSamplesPerRun.min}, median ${r.jobSamplesPerRun.p50}, max ${r.jobSamplesPerRun.max} (${r.migrations} runs)`,
      `            lateness       ${st(r.latenessMs)}`,
      `            lateness, busy ${st(r.latenessBusyMs)}`,
      `            round trip     ${st(r.roundTripMs)}`,
      `            Ferry CPU ${r.cpuPercentOfOneCore}% of one core; machine load average (1 min) ${r.loadAverage1m}`,
      `            hvA libvirtd workers 15 s in: ${r.threadpoolBusy}`,
      ...(r.pool ? [`            Ferry's pool to hvA at most: ${r.pool.channels} channels on ${r.pool.connections} connections at once`] : []),
      ...r.migrateFailures.map((m) => `            ${m}`),
    ].join('\n'),
  ),
  '',
  base && conc
    ? `concurrent vs baseline: lateness p50 ${ratio(conc.latenessMs.p50, base.latenessMs.p50)}, p99 ${ratio(conc.latenessMs.p99, base.latenessMs.p99)}, max ${ratio(conc.latenessMs.max, base.latenessMs.max)}; round trip p50 ${ratio(conc.roundTripMs.p50, base.roundTripMs.p50)}, p99 ${ratio(conc.roundTripMs.p99, base.roundTripMs.p99)}`
    : 'a phase did not run',
];
const text = lines.join('\n');
console.log(text);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
// BENCH_APPEND=1: add this run to the file (several configurations in one report) instead of replacing it.
const append = process.env['BENCH_APPEND'] === '1';
const stem = `sampling-concurrency${VIA === 'engine' ? '-engine' : ''}`;
writeFileSync(new URL(`./results/${stem}.txt`, import.meta.url), `${append ? '\n' : ''}${text}\n`, { flag: append ? 'a' : 'w' });
writeFileSync(
  new URL(`./results/${stem}${append ? `-${N}${MAX_WORKERS !== undefined ? `-w${MAX_WORKERS}` : ''}` : ''}.json`, import.meta.url),
  `${JSON.stringify({ at: new Date().toISOString(), via: VIA, cores: os.cpus().length, migrations: N, intervalMs: INTERVAL_MS, maxMs: MAX_MS, bandwidthMiB: BANDWIDTH, guestMiB: GUEST_MIB, results }, null, 2)}\n`,
);
