/**
 * Captures the host-audit parser fixtures (test/fixtures/{dmesg,clock,bonding,storage,logs,virsh,ping}/) from the
 * lab by running the very argv Ferry builds (shared/commands/audit.ts) inside a lab host's namespaces:
 *   lab.sh hx HOST env LC_ALL=C ARGV...        (no shell in between: spawn with an argv)
 *
 *   flock /var/tmp/ferry-lab.lock npx tsx test/lab/capture-audit-fixtures.ts     (root, lab up)
 *
 * The storage cases hot-plug the scratch USB disk into vm1 (test/lab/audit-disk.sh) and always take it out again.
 * Writes <case>.txt (stdout then stderr) and <case>.cmd; a re-captured case loses its old .expected.json (write it
 * with `npx tsx test/fixtures/write-expected.ts` and review it by hand).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../../shared/commands/command';
import { shJoin } from '../../shared/shell/quote';
import {
  BACKING_PROBE_SCRIPT,
  BONDING_PROBE_SCRIPT,
  CLOCK_PROBE_SCRIPT,
  DISKSTATS_PROBE_SCRIPT,
  backingProbe,
  bondingProbe,
  clockProbe,
  diskstatsProbe,
  domblklist,
  emulatorpin,
  kernelLog,
  pingRtt,
  qemuLogTail,
  vcpupin,
} from '../../shared/commands/audit';
import { unwrap } from '../../shared/result';
import { ipAddr, ipLink, ipRouteGet } from '../../shared/commands/network';

const ROOT = new URL('../..', import.meta.url).pathname;
const FIX = join(ROOT, 'test/fixtures');
const LAB = join(ROOT, 'test/lab/lab.sh');
const IP: Record<string, string> = { hvA: '10.77.0.11', hvB: '10.77.0.12', hvC: '10.77.1.13' };

const SCRIPTS = new Map([
  [CLOCK_PROBE_SCRIPT, 'CLOCK_PROBE_SCRIPT'],
  [BONDING_PROBE_SCRIPT, 'BONDING_PROBE_SCRIPT'],
  [BACKING_PROBE_SCRIPT, 'BACKING_PROBE_SCRIPT'],
  [DISKSTATS_PROBE_SCRIPT, 'DISKSTATS_PROBE_SCRIPT'],
]);

function hx(host: string, argv: readonly string[]) {
  return spawnSync('bash', [LAB, 'hx', host, 'env', 'LC_ALL=C', ...argv], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

function toolVersion(host: string, program: string): string {
  const v: Record<string, string[]> = {
    dmesg: ['dmesg', '--version'],
    virsh: ['virsh', '--version'],
    ping: ['ping', '-V'],
    tail: ['tail', '--version'],
    sh: ['sh', '-c', 'readlink -f /bin/sh'],
  };
  const argv = v[program];
  if (!argv) return 'unknown';
  const r = hx(host, argv);
  return `${program}: ${(r.stdout || r.stderr).split('\n')[0] ?? ''}`;
}

/** `npx tsx test/lab/capture-audit-fixtures.ts [TOOL/CASE...]`: only those cases (default: all). */
const only = new Set(process.argv.slice(2));

function capture(host: string, tool: string, name: string, cmd: Command<unknown>, note: string): void {
  if (only.size > 0 && !only.has(`${tool}/${name}`)) return;
  const date = new Date().toISOString();
  const r = hx(host, cmd.argv);
  mkdirSync(join(FIX, tool), { recursive: true });
  const expected = join(FIX, tool, `${name}.expected.json`);
  if (existsSync(expected)) {
    rmSync(expected);
    console.log(`re-captured ${tool}/${name}: its expected.json is gone, write and review it again`);
  }
  writeFileSync(join(FIX, tool, `${name}.txt`), r.stdout + r.stderr);
  const program = cmd.argv[0] === 'sh' ? 'sh' : (cmd.argv[0] ?? '');
  // A constant script (sh -c SCRIPT NAME ARGS) is named on the command line and printed in full below it, so that
  // `command:` stays one line.
  const script = cmd.argv[0] === 'sh' && cmd.argv[1] === '-c' ? SCRIPTS.get(cmd.argv[2] ?? '') : undefined;
  const shown = script === undefined ? shJoin(cmd.argv) : `sh -c "$${script}" ${shJoin(cmd.argv.slice(3))}`;
  const lines = [
    `command: ${shown}`,
    `host: ${host} (${IP[host] ?? '?'}), inside the lab host's namespaces: lab.sh hx ${host} env LC_ALL=C <command>`,
    `date: ${date}`,
    `exit: ${r.status ?? `signal ${r.signal ?? '?'}`}`,
    `stdout-bytes: ${Buffer.byteLength(r.stdout)}`,
    `stderr-bytes: ${Buffer.byteLength(r.stderr)}`,
    `tool: ${toolVersion(host, program === 'virsh' ? 'virsh' : program)}`,
    `file: ${name}.txt is stdout followed by stderr`,
    `note: ${note}`,
    ...(script === undefined ? [] : [`script: ${script} of shared/commands/audit.ts:`, ...(cmd.argv[2] ?? '').split('\n').map((l) => `    ${l}`)]),
  ];
  writeFileSync(join(FIX, tool, `${name}.cmd`), `${lines.join('\n')}\n`);
  console.log(`kept ${tool}/${name} (exit ${r.status ?? '?'})`);
}

function disk(action: 'attach' | 'detach'): void {
  const r = spawnSync('bash', [join(ROOT, 'test/lab/audit-disk.sh'), action, 'hvA', 'vm1'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`audit-disk.sh ${action} failed: ${r.stderr}`);
}

capture('hvA', 'dmesg', 'kernel-log-hvA', kernelLog(), 'the machine\'s kernel log as hvA sees it (network namespaces share one kernel)');
capture('hvA', 'clock', 'probe-hvA-none', clockProbe(), 'the lab runs no time sync daemon: timedatectl fails without systemd, chronyc and ntpq absent');
capture('hvA', 'bonding', 'probe-hvA-none', bondingProbe(), 'this kernel has no bonding module, so no /proc/net/bonding');
capture('hvA', 'virsh', 'vcpupin-vm1', unwrap(vcpupin('vm1')), 'vm1 unpinned: its one vCPU may run on every host CPU');
capture('hvA', 'virsh', 'emulatorpin-vm1', unwrap(emulatorpin('vm1')), 'vm1 emulator threads unpinned');
capture('hvA', 'virsh', 'vcpupin-error-no-domain', unwrap(vcpupin('no-such-vm')), 'a domain that does not exist');
capture('hvA', 'virsh', 'domblklist-vm1-diskless', unwrap(domblklist('vm1')), 'the lab guests boot a kernel and initrd: no disks');
capture('hvA', 'ping', 'rtt-hvA-to-hvB-migration-net', unwrap(pingRtt('10.77.2.12')), 'RTT probe to hvB on the migration network (mig0)');
capture('hvA', 'logs', 'qemu-log-vm1', unwrap(qemuLogTail('vm1', 40)), 'the last 40 lines of vm1\'s QEMU log on hvA');
capture('hvA', 'logs', 'qemu-log-error-missing', unwrap(qemuLogTail('no-such-vm', 40)), 'no log for a domain that never ran here');
capture('hvA', 'storage', 'backing-missing', unwrap(backingProbe(['/var/lib/libvirt/images/missing.qcow2'])), 'a disk source that does not exist');
capture('hvA', 'storage', 'diskstats-hvA', unwrap(diskstatsProbe(1)), 'two reads of /proc/diskstats one second apart (the machine\'s disks)');
capture('hvA', 'ip', 'route-get-hvA-to-hvB-migration-net', unwrap(ipRouteGet('10.77.2.12')), 'hvA reaches hvB\'s migration address over mig0, directly');
capture('hvB', 'ip', 'addr-hvB', unwrap(ipAddr()), 'hvB\'s addresses: eth0 (management) and mig0 (migration network)');
capture('hvA', 'ip', 'addr-hvA', unwrap(ipAddr()), 'hvA\'s addresses: eth0 (management) and mig0 (migration network)');
capture('hvA', 'ip', 'link-detail-hvA', unwrap(ipLink()), 'every link of hvA with -d (kinds, min/max MTU)');
const storageCases = ['virsh/domblklist-vm1-usb-disk', 'storage/backing-file-and-block'];
if (only.size === 0 || storageCases.some((c) => only.has(c))) disk('attach');
try {
  capture('hvA', 'virsh', 'domblklist-vm1-usb-disk', unwrap(domblklist('vm1')), 'vm1 with the scratch USB disk of test/lab/audit-disk.sh');
  capture('hvA', 'storage', 'backing-file-and-block', unwrap(backingProbe(['/var/tmp/ferry-lab/audit-disk.img', '/dev/vda'])), 'a file on the machine\'s ext4 root and a block device node');
} finally {
  if (only.size === 0 || storageCases.some((c) => only.has(c))) disk('detach');
}
