/**
 * The commands pre-flight runs before a migration (electron/main/migration/preflight-gather.ts runs them).
 * Every argv is fixed text plus values after an option or as positional parameters of a constant script
 * (`sh -c SCRIPT NAME ARG...`: the script reads them as "$1"..., the shell never parses them), so nothing a host or a
 * user supplies is ever part of a shell program.
 */
import { err, ok, type Result } from '../result';
import { ferryError, type FerryError } from '../errors';
import { parseDumpxml, type DomainDefinition, type DumpedDomain } from '../parsers/virsh-dumpxml';
import { parseCpuCompare, parseNodeMemStats, parseRemoteVirshVersion, type CpuComparison, type NodeMemoryStats } from '../parsers/virsh-preflight';
import {
  parsePathProbe,
  parsePemCertificate,
  parsePortProbe,
  parseQemuConf,
  parseRdmaProbe,
  type PathState,
  type PortProbe,
  type QemuDriverConfig,
  type RdmaSupport,
} from '../parsers/preflight-probes';
import type { VirshVersion } from '../parsers/virsh-host';
import { checkDestination, checkWholeNumber, command, type Command } from './command';
import { destinationUri } from './migrate';
import { checkDomainName } from './domain-name';
import { VIRSH } from './virsh';

/** A Command that also feeds text to the remote command's standard input. */
export interface CommandWithInput<T> extends Command<T> {
  readonly stdin: string;
}

const VIRSH_MS = 15_000;

/** `virsh dumpxml --domain D --migratable`: the definition as the destination will receive it. */
export function dumpxmlMigratable(domain: string): Result<Command<DumpedDomain>, FerryError> {
  const d = checkDomainName(domain);
  if (!d.ok) return d;
  return ok(command(`migratable definition of ${d.value}`, [...VIRSH, 'dumpxml', '--domain', d.value, '--migratable'], parseDumpxml, VIRSH_MS));
}

const TOKEN = /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,63}$/;

/**
 * `virsh hypervisor-cpu-compare --file /dev/stdin --error --virttype T [--arch A] [--machine M]` with the domain
 * XML on stdin (piped through cat, see below). The virt type matters: without it virsh compares against KVM's CPU, and on the lab (TCG) a qemu64
 * domain then comes out "incompatible" ("Host CPU does not provide required features: pni, svm"), while
 * `--virttype qemu` says "superset". --error makes libvirt say which features are missing.
 */
export function hypervisorCpuCompare(definition: DomainDefinition, xml: string): Result<CommandWithInput<CpuComparison>, FerryError> {
  const extra: string[] = [];
  for (const [flag, value] of [
    ['--virttype', definition.virtType],
    ['--arch', definition.arch],
    ['--machine', definition.machine],
  ] as const) {
    if (value === undefined) continue;
    if (!TOKEN.test(value)) return err(ferryError('input.invalid', `The domain's ${flag.slice(2)} "${value}" is not a plain word.`));
    extra.push(flag, value);
  }
  // virsh opens /dev/stdin as a file: that fails with ENXIO when stdin is a socket (as some process launchers
  // make it; seen on the lab through `lab.sh hx` from Node), so the XML reaches virsh through a pipe from cat.
  const argv = ['sh', '-c', 'cat | "$@"', 'ferry-stdin', ...VIRSH, 'hypervisor-cpu-compare', '--file', '/dev/stdin', '--error', ...extra];
  return ok({ ...command(`CPU of ${definition.name} against this host`, argv, parseCpuCompare, VIRSH_MS), stdin: xml });
}

export function nodeMemStats(): Command<NodeMemoryStats> {
  return command('host memory', [...VIRSH, 'nodememstats'], parseNodeMemStats, VIRSH_MS);
}

/**
 * `virsh --connect qemu+ssh://[USER@]DEST[:PORT]/system?no_tty=1 version`, run ON THE SOURCE: the same connection the
 * source's libvirtd opens for a p2p migration (its ssh client, key, known_hosts), in batch mode (no_tty=1 makes
 * libvirt run ssh with `-T -o BatchMode=yes`), so an untrusted host key or a missing key fails instead of prompting.
 */
export function remoteVirshVersion(destinationHost: string, user?: string, port?: number): Result<Command<VirshVersion>, FerryError> {
  const uri = destinationUri(destinationHost, user, port);
  if (!uri.ok) return uri;
  const argv = ['virsh', '--connect', `${uri.value}?no_tty=1`, 'version'];
  return ok(command(`libvirt on ${destinationHost} as the source's libvirtd reaches it`, argv, parseRemoteVirshVersion, 30_000));
}

/**
 * Each port probed at once, in the background: bash opens /dev/tcp/DEST/PORT under `timeout 2`; the line printed
 * is `port N rc RC FIRST-ERROR-LINE`. rc 0 open, 124 timeout (filtered), 1 with bash's errno text otherwise.
 */
export const PORT_PROBE_SCRIPT = [
  'dest=$1; shift',
  'for port in "$@"; do',
  '  (',
  `    out=$(timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$dest" "$port" 2>&1)`,
  '    rc=$?',
  `    printf 'port %s rc %s %s\\n' "$port" "$rc" "$(printf '%s\\n' "$out" | head -n 1)"`,
  '  ) &',
  'done',
  'wait',
].join('\n');

export const PORT_PROBE_SECONDS = 2;

/**
 * TCP ports of DESTINATION probed from the host that runs it, all at once (PORT_PROBE_SCRIPT: bash /dev/tcp under
 * `timeout 2`): open, refused (a reset: reachable, nothing listening), timeout (filtered), unreachable. At most 128
 * ports (a whole migration range and libvirt's 16509/16514); an answer that misses a port is a parse error, not a
 * shorter list.
 */
export function portProbe(destination: string, ports: readonly number[]): Result<Command<PortProbe[]>, FerryError> {
  const d = checkDestination(destination);
  if (!d.ok) return d;
  if (ports.length === 0 || ports.length > 128) return err(ferryError('input.invalid', 'Probe between 1 and 128 ports at a time.'));
  for (const p of ports) {
    const c = checkWholeNumber('A port', p, 1, 65535);
    if (!c.ok) return c;
  }
  const argv = ['bash', '-c', PORT_PROBE_SCRIPT, 'ferry-port-probe', d.value, ...ports.map(String)];
  const parse = (text: string): Result<PortProbe[], FerryError> => {
    const r = parsePortProbe(text);
    if (r.ok && r.value.length !== new Set(ports).size) {
      return err(ferryError('parse.missing-field', `The port probe answered for ${r.value.length} of ${new Set(ports).size} ports.`, text.slice(0, 300)));
    }
    return r;
  };
  const name = ports.length <= 4 ? ports.join(', ') : `${ports[0]}-${ports[ports.length - 1]} (${ports.length})`;
  return ok(command(`TCP ports ${name} of ${d.value}`, argv, parse, (PORT_PROBE_SECONDS + 6) * 1000));
}

/** `N STATE` for each path "$1".."$N": directory, present (readable), unreadable, missing. */
export const PATH_PROBE_SCRIPT = [
  'i=0',
  'for p in "$@"; do',
  '  i=$((i+1))',
  '  if [ -d "$p" ]; then s=directory; elif [ -r "$p" ]; then s=present; elif [ -e "$p" ]; then s=unreadable; else s=missing; fi',
  `  printf '%s %s\\n' "$i" "$s"`,
  'done',
].join('\n');

function checkPath(p: string): Result<string, FerryError> {
  return p.startsWith('/') && !p.includes('\0') && !p.includes('\n') && p.length < 4096
    ? ok(p)
    : err(ferryError('input.invalid', `"${p.slice(0, 80)}" is not an absolute path.`));
}

export function pathProbe(paths: readonly string[]): Result<Command<PathState[]>, FerryError> {
  if (paths.length === 0 || paths.length > 256) return err(ferryError('input.invalid', 'Probe between 1 and 256 paths at a time.'));
  for (const p of paths) {
    const c = checkPath(p);
    if (!c.ok) return c;
  }
  const argv = ['sh', '-c', PATH_PROBE_SCRIPT, 'ferry-path-probe', ...paths];
  const parse = (text: string): ReturnType<typeof parsePathProbe> => {
    const r = parsePathProbe(text);
    if (r.ok && r.value.length !== paths.length) {
      return err(ferryError('parse.missing-field', `The path probe answered for ${r.value.length} of ${paths.length} paths.`, text.slice(0, 300)));
    }
    return r;
  };
  return ok(command(`presence of ${paths.length} path(s)`, argv, parse, 10_000));
}

/** RDMA devices (/sys/class/infiniband) and CONFIG_INFINIBAND from the running kernel's config, when readable. */
export const RDMA_PROBE_SCRIPT = [
  'if [ -d /sys/class/infiniband ]; then echo "infiniband: $(ls -1 /sys/class/infiniband | tr \'\\n\' \' \')"; else echo "infiniband: absent"; fi',
  'k=$(uname -r); echo "kernel: $k"',
  'c=unknown',
  'for f in /proc/config.gz "/boot/config-$k"; do',
  '  [ -r "$f" ] || continue',
  '  case $f in *.gz) l=$(zcat "$f" 2>/dev/null | grep -E \'^(# )?CONFIG_INFINIBAND( is not set|=)\') ;; *) l=$(grep -E \'^(# )?CONFIG_INFINIBAND( is not set|=)\' "$f") ;; esac',
  '  c="$f: ${l:-CONFIG_INFINIBAND absent}"; break',
  'done',
  'echo "config: $c"',
].join('\n');

export function rdmaProbe(): Command<RdmaSupport> {
  return command('RDMA devices and kernel support', ['sh', '-c', RDMA_PROBE_SCRIPT], parseRdmaProbe, 10_000);
}

export const QEMU_CONF = '/etc/libvirt/qemu.conf';

/**
 * A parser for `cat`, which must also have exited 0: cat's "Permission denied" reads as a qemu.conf that sets
 * nothing (libvirt's defaults), and a read that failed half-way may still hold a whole certificate block. The
 * parser's own message wins where it names the cause (no such file).
 */
function catSucceeded<T>(what: string, parse: (text: string) => Result<T, FerryError>): Command<T>['parse'] {
  return (text, exit) => {
    const r = parse(text);
    if (!r.ok || exit === undefined || exit.code === null || exit.code === 0) return r;
    const said = text.split('\n').find((l) => l.startsWith('cat: '));
    return err(ferryError('command.failed', `${what} could not be read (cat exited ${exit.code}${said !== undefined ? `: ${said.slice(5)}` : ''}).`, text.slice(0, 300)));
  };
}

export function qemuConf(): Command<QemuDriverConfig> {
  return command("libvirt's QEMU driver configuration", ['cat', '--', QEMU_CONF], catSucceeded(QEMU_CONF, parseQemuConf), 10_000);
}

export function readCertificate(path: string): Result<Command<string>, FerryError> {
  const p = checkPath(path);
  if (!p.ok) return p;
  return ok(command(`certificate ${p.value}`, ['cat', '--', p.value], catSucceeded(p.value, parsePemCertificate), 10_000));
}

// ---- results (shared: the IPC contract and the renderer show them) ------------------------------------------------

/** One check's outcome; `skipped` when the option it concerns (TLS, RDMA) is not chosen. */
export type PreflightStatus = 'pass' | 'warn' | 'fail' | 'skipped';

export type PreflightCheckId = 'state' | 'p2p' | 'versions' | 'cpu' | 'name' | 'memory' | 'storage' | 'ports' | 'mtu' | 'tls' | 'rdma';

/** A change of options that fixes a failed check in one click: `offline` = --offline --persistent, no --live. */
export type PreflightRemedy = 'offline';

/** An admin's confirmation to start despite a failed check that is not certain; kept in the migration's record. */
export interface PreflightOverride {
  /** When main accepted it (ms since the epoch). */
  readonly at: number;
  /** What the admin confirmed, in words. */
  readonly confirmation: string;
}

export interface PreflightResult {
  readonly check: PreflightCheckId;
  readonly title: string;
  readonly status: PreflightStatus;
  /** A sentence with the facts. */
  readonly message: string;
  /** What to do, and where. */
  readonly fix?: string;
  /** Raw evidence: libvirt's text, a command's output. */
  readonly detail?: string;
  /**
   * A failure that is not certain (a probe that timed out, a path flagged by MTU probes): an admin may start anyway
   * after confirming. Absent or false for the certain ones (VM not found, not running, same host, a name taken).
   */
  readonly overridable?: boolean;
  readonly remedy?: PreflightRemedy;
  /** Set in a record when the admin overrode this failed check. */
  readonly override?: PreflightOverride;
}

/** The sentence an admin confirms to start despite a failed check (main writes it into the record). */
export function overrideConfirmation(r: Pick<PreflightResult, 'title' | 'message'>): string {
  return `I checked "${r.title}" myself and start anyway, knowing that pre-flight said: ${r.message}`;
}
