/**
 * 20 concurrent domjobinfo samplers at 2 Hz on this 2-core machine, through the real sampler
 * (electron/main/sampler/job-sampler.ts) and the real SSH core, against the lab. Two layouts, one after the other:
 *   shared      one long-lived virsh session per host (what the engine does: one per source host), 20 samplers over
 *               3 sessions (hvA/hvB/hvC): samples to the same host queue behind each other in its session
 *   per-sampler one virsh session per sampler (20 sessions, 6-7 channels on each host's one connection)
 * Domains: vm1 and vmd on hvA (a parsed "Job type: None"), the same names on hvB/hvC (libvirt's "failed to get
 * domain", a full round trip as well). No job needs to run: the cost of a sample does not depend on it.
 *
 * Per sample: lateness = actual start - scheduled start, where the schedule is the first sample's start plus k
 * periods (so drift accumulates into lateness: the poller measures its period from each poll's start, and every
 * timer firing a little late moves the rest of the schedule), and lateness against the previous start plus one
 * period (the jitter of a single period). A sample is
 * dropped when its slot passed without one (the count expected over the run minus the count taken) or when it
 * failed for another reason than the expected "no domain". Also reported: round-trip latency, Ferry's CPU.
 *
 * Needs the lab (`npm run lab -- up`, as root). Run: node --import tsx bench/sampling-concurrency.ts
 * Writes bench/results/sampling-concurrency.{txt,json}.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { labHost, labInfo, type HostName } from '../test/lab/lab';
import { SshPool } from '../electron/main/ssh/pool';
import { fileKnownHostsStore } from '../electron/main/ssh/known-hosts';
import { virshRunner, type VirshRunner } from '../electron/main/remote/ssh-runner';
import { startJobSampler, type JobSample } from '../electron/main/sampler/job-sampler';
import type { Poller } from '../electron/main/sampler/poller';

const SAMPLERS = Number(process.env['BENCH_SAMPLERS'] ?? 20);
const INTERVAL_MS = Number(process.env['BENCH_INTERVAL_MS'] ?? 500);
const DURATION_MS = Number(process.env['BENCH_DURATION_MS'] ?? 30_000);
const HOSTS: readonly HostName[] = ['hvA', 'hvB', 'hvC'];
const DOMAINS = ['vm1', 'vmd'];

const found = labInfo();
if (!found) {
  console.error('bench: the lab is not up (run `npm run lab -- up` as root)');
  process.exit(2);
}
const lab = found;
const key = readFileSync(lab.clientKey);

interface LayoutResult {
  readonly layout: string;
  readonly sessions: number;
  readonly samplers: number;
  readonly intervalMs: number;
  readonly durationMs: number;
  readonly expected: number;
  readonly taken: number;
  readonly missedSlots: number;
  readonly failed: number;
  readonly latenessMs: Stats;
  readonly periodLatenessMs: Stats;
  readonly roundTripMs: Stats;
  readonly cpuPercentOfOneCore: number;
}

interface Stats {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

function stats(values: number[]): Stats {
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: s[s.length - 1] ?? NaN };
}

async function runLayout(layout: 'shared' | 'per-sampler'): Promise<LayoutResult> {
  const pool = new SshPool({ knownHosts: fileKnownHostsStore(lab.knownHosts), auth: () => ({ kind: 'key', privateKey: key }) });
  const target = (h: HostName) => ({ host: labHost(lab, h).ip, user: 'root' });
  const sessions: VirshRunner[] = [];
  const shared = new Map<HostName, VirshRunner>();
  const sessionFor = (h: HostName): VirshRunner => {
    if (layout === 'shared') {
      let s = shared.get(h);
      if (!s) {
        s = virshRunner(pool, target(h));
        shared.set(h, s);
        sessions.push(s);
      }
      return s;
    }
    const s = virshRunner(pool, target(h));
    sessions.push(s);
    return s;
  };
  // Warm: connections and sessions open before the clock starts (a first virsh on a host costs seconds, P6).
  const plan = Array.from({ length: SAMPLERS }, (_, i) => ({ host: HOSTS[i % HOSTS.length] ?? 'hvA', domain: DOMAINS[Math.floor(i / HOSTS.length) % DOMAINS.length] ?? 'vm1' }));
  const runners = plan.map((p) => sessionFor(p.host));
  await Promise.all(
    runners.map((r) => r.run(['env', 'LC_ALL=C', 'virsh', '--connect', 'qemu:///system', 'domjobinfo', '--domain', 'vm1'], { timeoutMs: 30_000 })),
  );

  const samples: JobSample[][] = plan.map(() => []);
  const crashes: unknown[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const pollers: Poller[] = plan.map((p, i) =>
    startJobSampler({
      runner: runners[i] as VirshRunner,
      domain: p.domain,
      intervalMs: INTERVAL_MS,
      wallClock: () => performance.now(),
      onSample: (s) => samples[i]?.push(s),
      onCrash: (e) => crashes.push(e),
    }),
  );
  await new Promise((r) => setTimeout(r, DURATION_MS));
  for (const p of pollers) p.stop();
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await Promise.allSettled(sessions.map((s) => s.close()));
  await pool.dispose();
  if (crashes.length > 0) throw new Error(`sampler crashed: ${String(crashes[0])}`);

  const lateness: number[] = [];
  const periodLateness: number[] = [];
  const rtt: number[] = [];
  let expected = 0;
  let taken = 0;
  let failed = 0;
  let missedSlots = 0;
  for (const list of samples) {
    const first = list[0];
    if (!first) continue;
    const span = elapsed - (first.at - t0);
    // Slots due before the end, less a 50 ms grace: a sample due in the very last moments may not have started.
    const slots = Math.floor(Math.max(0, span - 50) / INTERVAL_MS) + 1;
    expected += slots;
    taken += list.length;
    missedSlots += Math.max(0, slots - list.length);
    list.forEach((s, k) => {
      lateness.push(s.at - (first.at + k * INTERVAL_MS));
      const prev = list[k - 1];
      if (prev) periodLateness.push(s.at - (prev.at + INTERVAL_MS));
      rtt.push(s.latencyMs);
      if (!s.result.ok && s.result.error.code !== 'libvirt.no-domain') failed += 1;
    });
  }
  return {
    layout,
    sessions: sessions.length,
    samplers: SAMPLERS,
    intervalMs: INTERVAL_MS,
    durationMs: Math.round(elapsed),
    expected,
    taken,
    missedSlots,
    failed,
    latenessMs: stats(lateness),
    periodLatenessMs: stats(periodLateness),
    roundTripMs: stats(rtt),
    cpuPercentOfOneCore: Math.round(((cpu.user + cpu.system) / 1000 / elapsed) * 1000) / 10,
  };
}

const results: LayoutResult[] = [];
for (const layout of ['shared', 'per-sampler'] as const) {
  console.log(`running ${layout} for ${DURATION_MS / 1000} s...`);
  results.push(await runLayout(layout));
}

const f = (n: number) => n.toFixed(2);
const lines = [
  `Sampling concurrency: ${SAMPLERS} samplers at ${1000 / INTERVAL_MS} Hz for ${DURATION_MS / 1000} s each layout, on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${new Date().toISOString()}`,
  `Hosts hvA/hvB/hvC, domains vm1/vmd (a parsed 'Job type: None' on hvA, libvirt's "failed to get domain" elsewhere).`,
  `lateness = actual start - (first start + k x period), ms; dropped = slots without a sample + failed samples.`,
  '',
  ...results.map((r) =>
    [
      `${r.layout.padEnd(12)} sessions ${String(r.sessions).padStart(2)}  samples ${r.taken}/${r.expected}  dropped ${r.missedSlots + r.failed} (missed slots ${r.missedSlots}, failed ${r.failed})`,
      `             lateness vs the fixed schedule p50 ${f(r.latenessMs.p50)}  p90 ${f(r.latenessMs.p90)}  p99 ${f(r.latenessMs.p99)}  max ${f(r.latenessMs.max)} ms (accumulated drift over ${r.durationMs / 1000} s)`,
      `             lateness vs previous start + period p50 ${f(r.periodLatenessMs.p50)}  p90 ${f(r.periodLatenessMs.p90)}  p99 ${f(r.periodLatenessMs.p99)}  max ${f(r.periodLatenessMs.max)} ms`,
      `             round trip p50 ${f(r.roundTripMs.p50)}  p90 ${f(r.roundTripMs.p90)}  p99 ${f(r.roundTripMs.p99)}  max ${f(r.roundTripMs.max)} ms   Ferry CPU ${r.cpuPercentOfOneCore}% of one core`,
    ].join('\n'),
  ),
];
const text = lines.join('\n');
console.log(text);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/sampling-concurrency.txt', import.meta.url), `${text}\n`);
writeFileSync(new URL('./results/sampling-concurrency.json', import.meta.url), `${JSON.stringify({ at: new Date().toISOString(), cores: os.cpus().length, results }, null, 2)}\n`);
