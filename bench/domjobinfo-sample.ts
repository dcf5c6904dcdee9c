/**
 * Cost of one `virsh domjobinfo` sample on a lab host, four ways, in one run (plus a bare `exec true` as yardstick):
 *   ssh-process  a new `ssh` process per sample (what a shell script would do): the baseline
 *   exec         a new exec channel per sample on an open pooled SSH connection
 *   shell        one long-lived remote sh, commands fed over stdin with sentinels (a new virsh process per sample)
 *   virsh        one long-lived interactive virsh, commands fed over stdin with sentinels (no new process at all)
 *   bare-exec    `true` on a new exec channel: not a sample, the floor of any exec-per-sample design
 * Rounds interleave the ways so that machine noise hits them alike; figures are medians and 90th percentiles
 * of round-trip times, and ratios against the baseline measured in the same run.
 *
 * Needs the lab: `npm run lab -- up` (as root). Run: `npm run bench`. Writes bench/results/domjobinfo-sample.{txt,json}.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { labHost, labInfo } from '../test/lab/lab';
import { SshPool } from '../electron/main/ssh/pool';
import { fileKnownHostsStore } from '../electron/main/ssh/known-hosts';
import { ShellSession } from '../electron/main/ssh/shell-session';
import { VirshSession } from '../electron/main/ssh/virsh-session';
import { parseDomjobinfo } from '../shared/parsers/virsh-domjobinfo';
import { unwrap } from '../shared/result';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 60);
const SSH_PROCESS_EVERY = 2; // the slow baseline runs every other round (30 samples by default)
const DOMAIN = 'vm1';

const found = labInfo();
if (!found) {
  console.error('bench: the lab is not up (run `npm run lab -- up` as root)');
  process.exit(2);
}
const lab = found;
const host = labHost(lab, 'hvA');
const target = { host: host.ip, user: 'root' };
const key = readFileSync(lab.clientKey);

type Way = 'ssh-process' | 'exec' | 'shell' | 'virsh' | 'bare-exec';
const times: Record<Way, number[]> = { 'ssh-process': [], exec: [], shell: [], virsh: [], 'bare-exec': [] };

function check(way: Way, stdout: string): void {
  if (way === 'bare-exec') return; // `true` prints nothing: it only measures the exec round trip itself
  const parsed = parseDomjobinfo(stdout);
  if (!parsed.ok) throw new Error(`${way}: unparseable domjobinfo: ${parsed.error.message}\n${stdout}`);
}

function sshProcess(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'ssh',
      // -F /dev/null: a user's ssh_config (ControlPath, ProxyJump...) must not change what this baseline measures.
      ['-F', '/dev/null', '-i', lab.clientKey, '-o', `UserKnownHostsFile=${lab.knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null',
        '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'ControlMaster=no', '-o', 'ControlPath=none',
        `root@${host.ip}`, `env LC_ALL=C virsh domjobinfo --domain ${DOMAIN}`],
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
  });
}

async function timed(way: Way, fn: () => Promise<string>): Promise<void> {
  const t0 = performance.now();
  const out = await fn();
  times[way].push(performance.now() - t0);
  check(way, out);
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
};

async function main(): Promise<void> {
  const pool = new SshPool({ knownHosts: fileKnownHostsStore(lab.knownHosts), auth: () => ({ kind: 'key', privateKey: key }) });
  const shell = new ShellSession({ pool, target });
  const virsh = new VirshSession({ pool, target, uri: 'qemu:///system' });
  const argv = ['env', 'LC_ALL=C', 'virsh', 'domjobinfo', '--domain', DOMAIN];
  const ways: Record<Way, () => Promise<string>> = {
    'ssh-process': sshProcess,
    exec: async () => unwrap(await pool.exec(target, argv, { timeoutMs: 10_000 })).stdout,
    shell: async () => unwrap(await shell.run(argv, { timeoutMs: 10_000 })).stdout,
    virsh: async () => unwrap(await virsh.run(['domjobinfo', '--domain', DOMAIN], { timeoutMs: 10_000 })).stdout,
    // Not a sample: the floor any exec-per-sample design pays (a channel open + `true`), the yardstick.
    'bare-exec': async () => unwrap(await pool.exec(target, ['true'], { timeoutMs: 10_000 })).stdout,
  };

  // Warm-up: connection, sessions, and libvirtd's first answers are not part of a sample's cost.
  for (const way of ['exec', 'shell', 'virsh', 'bare-exec', 'ssh-process'] as const) await ways[way]();
  for (const way of Object.keys(times) as Way[]) times[way].length = 0;

  for (let round = 0; round < ROUNDS; round++) {
    const order: Way[] = round % 2 === 0 ? ['exec', 'shell', 'virsh', 'bare-exec'] : ['bare-exec', 'virsh', 'shell', 'exec'];
    if (round % SSH_PROCESS_EVERY === 0) order.push('ssh-process');
    for (const way of order) await timed(way, ways[way]);
  }
  await shell.close();
  await virsh.close();
  await pool.dispose();

  const base = quantile(times['ssh-process'], 0.5);
  const rows = (Object.keys(times) as Way[]).map((way) => {
    const med = quantile(times[way], 0.5);
    return { way, samples: times[way].length, medianMs: med, p90Ms: quantile(times[way], 0.9), speedupVsSshProcess: base / med };
  });
  const lines = [
    `domjobinfo sample cost on lab host hvA (${DOMAIN}), ${new Date().toISOString()}`,
    `machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}`,
    '',
    'way           samples   median ms   p90 ms   speed-up vs new ssh process',
    ...rows.map(
      (r) =>
        `${r.way.padEnd(13)} ${String(r.samples).padStart(7)} ${r.medianMs.toFixed(2).padStart(11)} ${r.p90Ms.toFixed(2).padStart(8)}   x${r.speedupVsSshProcess.toFixed(1)}`,
    ),
    '',
    `ratios: exec/shell = ${(quantile(times.exec, 0.5) / quantile(times.shell, 0.5)).toFixed(2)}, shell/virsh = ${(quantile(times.shell, 0.5) / quantile(times.virsh, 0.5)).toFixed(2)}`,
    `goal: a long-lived-virsh sample <= 1.5x a bare exec round trip: virsh/bare-exec = ${(quantile(times.virsh, 0.5) / quantile(times['bare-exec'], 0.5)).toFixed(2)}; ` +
      `>= 50x cheaper than ssh per sample: ssh-process/virsh = ${(base / quantile(times.virsh, 0.5)).toFixed(1)}`,
  ];
  const text = lines.join('\n');
  console.log(text);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/domjobinfo-sample.txt', `${text}\n`);
  writeFileSync('bench/results/domjobinfo-sample.json', `${JSON.stringify({ date: new Date().toISOString(), rounds: ROUNDS, rows }, null, 2)}\n`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
