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
 * The migrations are started with libvirt's own client (`virsh migrate --p2p` inside hvA, one process each), not
 * through Ferry's engine: the engine holds one SSH channel per running `virsh migrate`, and a pooled connection
 * carries at most 10 channels (OpenSSH's MaxSessions), so one Ferry can run at most ~9 migrations from one source
 * host at once today (reported below). What is measured here is the sampling.
 *
 * Per sample: lateness = how late it started against the poller's fixed schedule (t0 + k x period; the poller's
 * own figure, PollTick.lateMs); skipped = schedule slots the poller skipped because an earlier sample of the same
 * sampler ran past them; dropped = slots without a sample (skipped + slots not reached at the end) + samples that
 * failed other than with the expected "not running"/"no domain"; migrating = samples showing a running job.
 *
 * Needs the lab, as root, and the lab lock (it starts guests and migrations):
 *   flock /var/tmp/ferry-lab.lock node --import tsx bench/sampling-concurrency.ts
 * Env: BENCH_MIGRATIONS (20), BENCH_INTERVAL_MS (500), BENCH_MAX_MS (240000: then the caps are raised), BENCH_BANDWIDTH_MIB (1),
 *      BENCH_GUEST_MIB (128), BENCH_LIBVIRT_MAX_WORKERS (unset: hvA's libvirtd as configured), BENCH_APPEND (1: add to the
 *      .txt instead of replacing it). Writes bench/results/sampling-concurrency.{txt,json}.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { labCommand, labHost, labInfo } from '../test/lab/lab';
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
const GUESTS_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), '../test/lab/bench-guests.sh');

const found = labInfo();
if (!found) {
  console.error('bench: the lab is not up (run `npm run lab -- up` as root)');
  process.exit(2);
}
const lab = found;
const hvA = labHost(lab, 'hvA');
const hvB = labHost(lab, 'hvB');
const name = (i: number) => `bench-g${String(i).padStart(2, '0')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function guests(args: readonly string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [GUESTS_SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

/** `virt-admin srv-threadpool-info libvirtd` on hvA, as one line (raw: a diagnostic for the report, not parsed). */
async function threadpool(): Promise<string> {
  const r = await labCommand(['hx', 'hvA', 'timeout', '20', 'virt-admin', 'srv-threadpool-info', 'libvirtd'], { timeoutMs: 30_000 });
  return r.stdout.trim().split('\n').map((l) => l.replace(/\s+/g, ' ').trim()).join(', ');
}

interface Stats {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

function stats(values: readonly number[]): Stats {
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  return { n: s.length, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: s[s.length - 1] ?? NaN };
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
}

const isRunning = (s: JobSample): boolean => s.result.ok && (s.result.value.info.type === 'unbounded' || s.result.value.info.type === 'bounded');

/**
 * Starts the migrations and samples each from its start until its `virsh migrate` returns (as the engine does),
 * or until BENCH_MAX_MS, after which every cap is raised so that they finish.
 */
async function phase(label: string, vms: readonly string[], session: VirshRunner, pool: SshPool): Promise<PhaseResult> {
  console.log(`${label}: starting ${vms.length} migration(s) hvA -> hvB at ${BANDWIDTH} MiB/s...`);
  const samples: JobSample[][] = vms.map(() => []);
  const spans: number[] = vms.map(() => 0);
  const crashes: unknown[] = [];
  const load0 = os.loadavg()[0] ?? 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const migrations = vms.map(async (vm, i) => {
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
      onSample: (x) => samples[i]?.push(x),
      onCrash: (e) => crashes.push(e),
    });
    const r = await done;
    sampler.stop();
    spans[i] = performance.now() - started;
    return { vm, r };
  });
  const busyPool = sleep(15_000).then(threadpool);
  let capTimer: NodeJS.Timeout | undefined;
  const capped = new Promise<'capped'>((resolve) => (capTimer = setTimeout(() => resolve('capped'), MAX_MS)));
  const all = Promise.all(migrations);
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
  if (crashes.length > 0) throw new Error(`sampler crashed: ${String(crashes[0])}`);
  const migrateFailures = ended.filter((e) => e.r.code !== 0).map((e) => `${e.vm}: ${(e.r.stderr.trim().split('\n').pop() ?? '').slice(0, 200)}`);
  const onB = await runCommand({ run: (argv, o) => pool.exec({ host: hvB.ip, user: 'root' }, argv, { timeoutMs: o.timeoutMs }) }, virshListAll());
  const completed = onB.ok ? vms.filter((vm) => onB.value.some((d) => d.name === vm && d.state === 'running')).length : -1;

  // How many jobs ran at once: per 2 Hz slot since the phase began, the samplers whose sample showed a running job.
  // (A sampler counts once per slot: a late sample may round into the next slot next to that slot's own sample.)
  const runningPerSlot = new Map<number, Set<number>>();
  const slotOf = (s: JobSample) => Math.round((s.at - t0) / INTERVAL_MS);
  samples.forEach((list, i) => {
    for (const s of list) {
      if (!isRunning(s)) continue;
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
      if (!s.result.ok && s.result.error.code !== 'libvirt.no-domain' && s.result.error.code !== 'libvirt.not-running') failed += 1;
      if (isRunning(s)) migrating += 1;
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
    latenessMs: stats(lateness),
    latenessBusyMs: stats(latenessBusy),
    roundTripMs: stats(rtt),
    cpuPercentOfOneCore: Math.round(((cpu.user + cpu.system) / 1000 / elapsed) * 1000) / 10,
    loadAverage1m: Math.round(((load0 + load1) / 2) * 100) / 100,
    completed,
    migrateFailures,
    threadpoolBusy: await busyPool,
  };
}

const key = readFileSync(lab.clientKey);
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
  const pool = new SshPool({ knownHosts: fileKnownHostsStore(lab.knownHosts), auth: () => ({ kind: 'key', privateKey: key }) });
  const session = virshRunner(pool, { host: hvA.ip, user: 'root' });
  try {
    await runCommand(session, virshDomjobinfo(name(1)));
    results.push(await phase('baseline', [name(N + 1)], session, pool));
    results.push(await phase('concurrent', Array.from({ length: N }, (_, i) => name(i + 1)), session, pool));
  } finally {
    await session.close().catch(() => undefined);
    await pool.dispose();
  }
} finally {
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
  poolNote,
  `lateness = start of a sample - its slot on the poller's fixed schedule; dropped = skipped slots + slots not reached + failed samples; busy = slots with at least max-10% jobs running at once.`,
  '',
  ...results.map((r) =>
    [
      `${r.phase.padEnd(11)} migrations ${r.migrations}: at most ${r.maxConcurrent} running at once (>= ${r.busyThreshold} for ${r.busySeconds} s); completed ${r.completed}${r.migrateFailures.length ? `; migrate failures ${r.migrateFailures.length}` : ''}; each ran ${f(r.spanMs.p50 / 1000)} s median (${f(r.spanMs.max / 1000)} s max), phase ${f(r.phaseMs / 1000)} s`,
      `            samples ${r.taken}/${r.expected}  dropped ${r.skipped + r.notReached + r.failed} (skipped ${r.skipped}, not reached ${r.notReached}, failed ${r.failed}); ${r.migratingSamples} showed a running job`,
      `            lateness       ${st(r.latenessMs)}`,
      `            lateness, busy ${st(r.latenessBusyMs)}`,
      `            round trip     ${st(r.roundTripMs)}`,
      `            Ferry CPU ${r.cpuPercentOfOneCore}% of one core; machine load average (1 min) ${r.loadAverage1m}`,
      `            hvA libvirtd workers 15 s in: ${r.threadpoolBusy}`,
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
writeFileSync(new URL('./results/sampling-concurrency.txt', import.meta.url), `${append ? '\n' : ''}${text}\n`, { flag: append ? 'a' : 'w' });
writeFileSync(
  new URL(`./results/sampling-concurrency${append ? `-${N}${MAX_WORKERS !== undefined ? `-w${MAX_WORKERS}` : ''}` : ''}.json`, import.meta.url),
  `${JSON.stringify({ at: new Date().toISOString(), cores: os.cpus().length, migrations: N, intervalMs: INTERVAL_MS, maxMs: MAX_MS, bandwidthMiB: BANDWIDTH, guestMiB: GUEST_MIB, results }, null, 2)}\n`,
);
