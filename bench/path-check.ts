/**
 * The whole path check between two lab hosts (electron/main/network/path-check.ts, what `ferry.path.check` runs):
 * both ends' facts, the DF search, tracepath, the TTL probes when needed, all 66 ports; time per check and the number
 * of DF probes it needed. Pairs: hvA -> hvB (clean at 9000, management + migration network) and hvA -> hvC (clipped
 * to 1500 by lab-rt; the first check after a route-cache flush asks the router, later ones meet the cached PMTU), and
 * the slow cases, where probes vanish and each costs its wait: a black hole at hvB's switch port, hvB's NIC at 1500.
 * Same-run baseline: one bare `ip -j route get` round trip on the same pooled SSH connection, the floor of any
 * remote step. Rounds interleave the pairs so machine noise hits them alike.
 * Goal: the whole check within 3 s on the lab, with a bounded probe count.
 *
 * Needs the lab (as root), and the lab lock: it flushes hvA's route cache, turns the black hole on and sets hvB's
 * eth0 to 1500 for one check per round (each undone in finally):
 *   flock /var/tmp/ferry-lab.lock npm run bench:path
 * Writes bench/results/path-check.txt.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { LAB_SCRIPT, labHost, labInfo, type HostName } from '../test/lab/lab';
import { SshPool } from '../electron/main/ssh/pool';
import { fileKnownHostsStore } from '../electron/main/ssh/known-hosts';
import { execRunner } from '../electron/main/remote/ssh-runner';
import { runCommand } from '../electron/main/remote/run-command';
import { runPathCheck, type PathCheckHost } from '../electron/main/network/path-check';
import { ipRouteGet } from '../shared/commands/network';
import { MAX_PROBES } from '../shared/network/path-search';
import { unwrap } from '../shared/result';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 10);
const GOAL_MS = 3000;

const found = labInfo();
if (!found) {
  console.error('bench: the lab is not up (run `npm run lab -- up` as root)');
  process.exit(2);
}
const lab = found;
const key = readFileSync(lab.clientKey);
const pool = new SshPool({ knownHosts: fileKnownHostsStore(lab.knownHosts), auth: () => ({ kind: 'key', privateKey: key }) });
const host = (name: HostName): PathCheckHost & { ip: string } => {
  const h = labHost(lab, name);
  return { id: name, name, ip: h.ip, runner: execRunner(pool, { host: h.ip, user: h.user, port: h.port }) };
};

type Case = 'hvA->hvB' | 'hvA->hvC fresh' | 'hvA->hvC cached' | 'hvA->hvB black hole' | 'hvA->hvB NIC 1500' | 'route-get baseline';
const CHECKS = ['hvA->hvB', 'hvA->hvC fresh', 'hvA->hvC cached', 'hvA->hvB black hole', 'hvA->hvB NIC 1500'] as const;
const times: Record<Case, number[]> = { 'hvA->hvB': [], 'hvA->hvC fresh': [], 'hvA->hvC cached': [], 'hvA->hvB black hole': [], 'hvA->hvB NIC 1500': [], 'route-get baseline': [] };
const probes: Record<Case, number[]> = { 'hvA->hvB': [], 'hvA->hvC fresh': [], 'hvA->hvC cached': [], 'hvA->hvB black hole': [], 'hvA->hvB NIC 1500': [], 'route-get baseline': [] };
const EXPECTED: Record<Exclude<Case, 'route-get baseline'>, number[]> = {
  'hvA->hvB': [9000, 9000],
  'hvA->hvC fresh': [1500],
  'hvA->hvC cached': [1500],
  // lab.sh blackhole on sw-hvB: the management network loses frames over 1514 bytes; the migration network is clean.
  'hvA->hvB black hole': [1500, 9000],
  // hvB's eth0 at 1500: its veth still takes 1504-byte packets (VLAN slack).
  'hvA->hvB NIC 1500': [1504, 9000],
};
const lab_ = (...args: string[]) => execFileSync('bash', [LAB_SCRIPT, ...args]);

async function check(c: Exclude<Case, 'route-get baseline'>, from: HostName, to: HostName): Promise<void> {
  const s = host(from);
  const d = host(to);
  const t0 = performance.now();
  const r = await runPathCheck({ source: s, destination: d, managementAddress: d.ip }, { now: () => performance.now(), wallClock: Date.now });
  const ms = performance.now() - t0;
  const report = unwrap(r);
  const pmtus = report.routes.map((x) => x.pmtu?.largestPassing);
  const expected = EXPECTED[c];
  if (JSON.stringify(pmtus) !== JSON.stringify(expected)) throw new Error(`${c}: path MTUs ${JSON.stringify(pmtus)}, expected ${JSON.stringify(expected)}`);
  times[c].push(ms);
  probes[c].push(report.probeCount);
}

async function baseline(): Promise<void> {
  const s = host('hvA');
  const cmd = unwrap(ipRouteGet(labHost(lab, 'hvB').ip));
  const t0 = performance.now();
  unwrap(await runCommand(s.runner, cmd));
  times['route-get baseline'].push(performance.now() - t0);
}

const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))] ?? NaN;
};
const fmt = (n: number) => n.toFixed(1).padStart(8);

async function main(): Promise<void> {
  // Warm-up: SSH connections and ARP entries, not measured.
  await baseline();
  await check('hvA->hvB', 'hvA', 'hvB');
  times['hvA->hvB'].length = 0;
  probes['hvA->hvB'].length = 0;
  times['route-get baseline'].length = 0;
  const load0 = os.loadavg()[0] ?? 0;
  for (let i = 0; i < ROUNDS; i++) {
    await baseline();
    await check('hvA->hvB', 'hvA', 'hvB');
    lab_('hx', 'hvA', 'ip', 'route', 'flush', 'cache');
    await check('hvA->hvC fresh', 'hvA', 'hvC');
    await check('hvA->hvC cached', 'hvA', 'hvC');
    // The slow cases: silent drops, each costing a probe's wait, and the TTL probes that locate them.
    try {
      lab_('blackhole', 'on', 'sw-hvB');
      lab_('hx', 'hvA', 'ip', 'route', 'flush', 'cache');
      await check('hvA->hvB black hole', 'hvA', 'hvB');
    } finally {
      lab_('blackhole', 'off', 'sw-hvB');
    }
    try {
      lab_('mtu', 'hvB', 'eth0', '1500');
      await check('hvA->hvB NIC 1500', 'hvA', 'hvB');
    } finally {
      lab_('mtu', 'hvB', 'eth0', '9000');
    }
  }
  const load1 = os.loadavg()[0] ?? 0;
  await pool.dispose();

  const base = quantile(times['route-get baseline'], 0.5);
  const rows = (Object.keys(times) as Case[]).map((c) => {
    const p50 = quantile(times[c], 0.5);
    const p90 = quantile(times[c], 0.9);
    const max = Math.max(...times[c]);
    const pr = probes[c].length ? `${Math.min(...probes[c])}-${Math.max(...probes[c])}`.padStart(9) : '        -';
    return `${c.padEnd(22)} ${String(times[c].length).padStart(5)} ${fmt(p50)} ${fmt(p90)} ${fmt(max)} ${pr}   x${(p50 / base).toFixed(0)}`;
  });
  const checks = CHECKS.flatMap((c) => times[c]);
  const worst = Math.max(...checks);
  const maxProbes = Math.max(...CHECKS.flatMap((c) => probes[c]));
  const text = [
    `path check between lab hosts (electron/main/network/path-check.ts), ${new Date().toISOString()}`,
    `machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}; load average ${load0.toFixed(2)} -> ${load1.toFixed(2)} (other work shares this machine)`,
    '',
    `case                    runs   p50 ms   p90 ms   max ms    probes   vs baseline p50`,
    ...rows,
    '',
    `each check: both ends' route/link/addr/ethtool, the DF search, tracepath, TTL probes if silent, 66 TCP ports (qemu.conf range + 16509/16514)`,
    `goal: the whole check within ${GOAL_MS / 1000} s: worst of ${checks.length} checks ${(worst / 1000).toFixed(2)} s -> ${worst <= GOAL_MS ? 'met' : 'NOT met'}; probes per check at most ${maxProbes} (search bound ${MAX_PROBES} per route + one TTL probe per hop)`,
  ].join('\n');
  console.log(text);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/path-check.txt', `${text}\n`);
}

main().catch(async (e: unknown) => {
  console.error(e);
  await pool.dispose();
  process.exit(1);
});
