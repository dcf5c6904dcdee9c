/**
 * The commands of the host readiness audit and the troubleshooting panel. Every argv is fixed text plus
 * values after an option, after `--`, or as positional parameters of a constant script (`sh -c SCRIPT NAME ARG...`:
 * the script reads them as "$1"..., the shell never parses them). Values a caller supplies are validated first.
 */
import { err, ok, type Result } from '../result';
import { ferryError, type FerryError } from '../errors';
import { parseDmesg, type KernelLogRecord } from '../parsers/dmesg';
import { parseClockProbe, type ClockProbe } from '../parsers/clock';
import { parseBondingProbe, type BondingProbe } from '../parsers/bonding';
import { parseEmulatorpin, parseVcpupin, type EmulatorPin, type VcpuPin } from '../parsers/virsh-pinning';
import { parseDomblklist, type DomainBlockDevice } from '../parsers/virsh-domblklist';
import { parseBackingProbe, parseDiskstatsSnapshots, type BackingState, type DiskstatsSnapshot } from '../parsers/storage';
import { parseLogTail, type LogTail } from '../parsers/log-tail';
import { parsePing, type PingResult } from '../parsers/ping';
import { checkDestination, checkWholeNumber, command, type Command } from './command';
import { VIRSH } from './virsh';
import { checkDomainName } from './domain-name';

const QUICK_MS = 10_000;
const VIRSH_MS = 15_000;

/** A domain name as libvirt accepts it (the one rule: shared/commands/domain-name.ts). */
export const checkVmName = checkDomainName;

/** `dmesg -x`: the kernel log with facility and level. */
export function kernelLog(): Command<KernelLogRecord[]> {
  return command('kernel log', ['dmesg', '-x'], parseDmesg, QUICK_MS);
}

export const CLOCK_PROBE_SCRIPT = [
  'for t in timedatectl chronyc ntpq; do',
  '  if command -v "$t" >/dev/null 2>&1; then',
  '    case $t in',
  '      timedatectl) out=$(timedatectl show 2>&1) ;;',
  '      chronyc) out=$(chronyc -n tracking 2>&1) ;;',
  '      ntpq) out=$(ntpq -pn 2>&1) ;;',
  '    esac',
  '    rc=$?',
  `    printf '@@ferry %s rc=%s\\n%s\\n' "$t" "$rc" "$out"`,
  '  else',
  `    printf '@@ferry %s absent\\n' "$t"`,
  '  fi',
  'done',
].join('\n');

/** What the host says about clock synchronisation: timedatectl, chronyc, ntpq, whichever are installed. */
export function clockProbe(): Command<ClockProbe> {
  return command('clock synchronisation', ['sh', '-c', CLOCK_PROBE_SCRIPT, 'ferry-clock'], parseClockProbe, QUICK_MS);
}

export const BONDING_PROBE_SCRIPT = [
  'if [ -d /proc/net/bonding ]; then',
  `  printf '@@ferry bonding present\\n'`,
  '  for f in /proc/net/bonding/*; do',
  '    [ -e "$f" ] || continue',
  `    printf '@@ferry bond %s\\n' "\${f##*/}"`,
  '    cat "$f"',
  '  done',
  'else',
  `  printf '@@ferry bonding absent\\n'`,
  'fi',
].join('\n');

/** Every bond of the host, from /proc/net/bonding/*. */
export function bondingProbe(): Command<BondingProbe> {
  return command('bonds', ['sh', '-c', BONDING_PROBE_SCRIPT, 'ferry-bonding'], parseBondingProbe, QUICK_MS);
}

function virshDomain<T>(sub: string, what: string, domain: string, parse: (t: string) => Result<T, FerryError>, extra: readonly string[] = []) {
  const d = checkVmName(domain);
  if (!d.ok) return d;
  return ok(command(`${what} of ${d.value}`, [...VIRSH, sub, '--domain', d.value, ...extra], parse, VIRSH_MS));
}

export const vcpupin = (domain: string): Result<Command<VcpuPin[]>, FerryError> => virshDomain('vcpupin', 'vCPU pinning', domain, parseVcpupin);
export const emulatorpin = (domain: string): Result<Command<EmulatorPin>, FerryError> =>
  virshDomain('emulatorpin', 'emulator pinning', domain, parseEmulatorpin);
export const domblklist = (domain: string): Result<Command<DomainBlockDevice[]>, FerryError> =>
  virshDomain('domblklist', 'disks', domain, parseDomblklist, ['--details']);

export const BACKING_PROBE_SCRIPT = [
  'for p in "$@"; do',
  '  if [ -b "$p" ]; then',
  `    printf '@@ferry path block %s\\n' "$p"`,
  `    stat -L -c '%t:%T' -- "$p"`,
  '  elif [ -e "$p" ]; then',
  `    printf '@@ferry path file %s\\n' "$p"`,
  '    findmnt -n -P -o MAJ:MIN,SOURCE,FSTYPE,TARGET -T "$p"',
  '  else',
  `    printf '@@ferry path missing %s\\n' "$p"`,
  '  fi',
  'done',
].join('\n');

/** Which block device (major:minor) holds each path: the device itself, or the filesystem a file lives on. */
export function backingProbe(paths: readonly string[]): Result<Command<BackingState[]>, FerryError> {
  if (paths.length === 0 || paths.length > 64) return err(ferryError('input.invalid', 'Give between 1 and 64 paths.'));
  const bad = paths.find((p) => !p.startsWith('/') || p.length > 4096 || /[\u0000-\u001f]/.test(p));
  if (bad !== undefined) return err(ferryError('input.invalid', `"${bad}" is not an absolute path without control characters.`));
  return ok(command('storage behind the disks', ['sh', '-c', BACKING_PROBE_SCRIPT, 'ferry-backing', ...paths], parseBackingProbe, QUICK_MS));
}

export const DISKSTATS_PROBE_SCRIPT = [
  'snap() {',
  '  read -r up _ </proc/uptime',
  `  printf '@@ferry uptime %s\\n' "$up"`,
  '  cat /proc/diskstats',
  '}',
  'snap',
  'sleep "$1"',
  'snap',
].join('\n');

/** /proc/diskstats read twice, SECONDS apart (default 1), each with the uptime it was read at. */
export function diskstatsProbe(seconds = 1): Result<Command<DiskstatsSnapshot[]>, FerryError> {
  const s = checkWholeNumber('The diskstats interval', seconds, 1, 10);
  if (!s.ok) return s;
  return ok(command('disk counters twice', ['sh', '-c', DISKSTATS_PROBE_SCRIPT, 'ferry-diskstats', String(s.value)], parseDiskstatsSnapshots, (s.value + 10) * 1000));
}

/** Where libvirt's QEMU driver writes a domain's log (its default log directory, `/var/log/libvirt/qemu`). */
export function qemuLogPath(vm: string): Result<string, FerryError> {
  const v = checkVmName(vm);
  return v.ok ? ok(`/var/log/libvirt/qemu/${v.value}.log`) : v;
}

/** `tail -n LINES -- /var/log/libvirt/qemu/<vm>.log`. */
export function qemuLogTail(vm: string, lines = 200): Result<Command<LogTail>, FerryError> {
  const path = qemuLogPath(vm);
  if (!path.ok) return path;
  const n = checkWholeNumber('Log lines', lines, 1, 5000);
  if (!n.ok) return n;
  return ok(command(`QEMU log of ${vm}`, ['tail', '-n', String(n.value), '--', path.value], parseLogTail, QUICK_MS));
}

/** `ping -n -c COUNT -i 0.2 -W 1 -- DEST`: round-trip time for the bandwidth-delay product (~1 s for 5 probes). */
export function pingRtt(destination: string, count = 5): Result<Command<PingResult>, FerryError> {
  const d = checkDestination(destination);
  if (!d.ok) return d;
  const c = checkWholeNumber('Ping count', count, 1, 20);
  if (!c.ok) return c;
  return ok(command(`round-trip time to ${d.value}`, ['ping', '-n', '-c', String(c.value), '-i', '0.2', '-W', '1', '--', d.value], parsePing, (c.value + 6) * 1000));
}
