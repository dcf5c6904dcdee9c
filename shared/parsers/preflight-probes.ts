/**
 * Outputs of the small probes pre-flight runs on hypervisor hosts (scripts in shared/commands/preflight.ts):
 * TCP port reachability through bash's /dev/tcp, presence of paths, RDMA devices and kernel support, the QEMU
 * driver's configuration (/etc/libvirt/qemu.conf) and a PEM certificate read with cat.
 */
import { err, ok, type Result } from '../result';
import { ferryError, type FerryError } from '../errors';
import { compact, contentLines, emptyOutput, fail, firstLine, splitLines } from './text';

// ---- ports ------------------------------------------------------------------------------------------------------

/**
 * open: something accepted the connection. refused: the destination's kernel answered with a reset: nothing
 * listens there yet, but the path is not filtered (a migration port is only opened by QEMU once a migration starts).
 * timeout: no answer within the probe's 2 s, i.e. a firewall drops the packets (or the host is down).
 * unreachable: an ICMP error came back (no route to host, network unreachable, administratively prohibited).
 */
export type PortState = 'open' | 'refused' | 'timeout' | 'unreachable' | 'error';

export interface PortProbe {
  readonly port: number;
  readonly state: PortState;
  /** What bash said (e.g. `connect: Connection refused`); absent for open ports and timeouts. */
  readonly message?: string;
}

/** `port N rc RC FIRST-STDERR-LINE` lines, one per port, in any order; returned sorted by port. */
export function parsePortProbe(text: string): Result<PortProbe[], FerryError> {
  const lines = contentLines(text);
  if (lines.length === 0) return emptyOutput('the port probe');
  const probes: PortProbe[] = [];
  for (const line of lines) {
    const m = /^port (\d{1,5}) rc (\d+)(?: (.*))?$/.exec(line);
    if (!m) return fail('parse.unrecognised', 'The port probe printed an unexpected line (is bash installed on the host?).', line);
    const port = Number(m[1]);
    const rc = Number(m[2]);
    const said = (m[3] ?? '').trim();
    // bash prefixes its errors with its $0 (here the address) and "connect:"; keep the part after it.
    const message = said.replace(/^.*?connect: /, '');
    let state: PortState;
    if (rc === 0) state = 'open';
    else if (rc === 124 || rc === 137) state = 'timeout';
    else if (/Connection refused/.test(said)) state = 'refused';
    else if (/No route to host|Network is unreachable|Permission denied|Host is unreachable/.test(said)) state = 'unreachable';
    else state = 'error';
    probes.push(compact<PortProbe>({ port, state, message: state === 'open' || state === 'timeout' || message === '' ? undefined : message }));
  }
  return ok(probes.sort((a, b) => a.port - b.port));
}

// ---- paths ------------------------------------------------------------------------------------------------------

export type PathState = 'present' | 'directory' | 'unreadable' | 'missing';

/**
 * `N STATE` lines for the 1st..Nth path asked (the paths themselves are not echoed: a path may hold any
 * character, a number may not). Returns the states in the order asked.
 */
export function parsePathProbe(text: string): Result<PathState[], FerryError> {
  const lines = contentLines(text);
  const states: PathState[] = [];
  for (const line of lines) {
    const m = /^(\d+) (present|directory|unreadable|missing)$/.exec(line);
    if (!m) return fail('parse.unrecognised', 'The path probe printed an unexpected line.', line);
    if (Number(m[1]) !== states.length + 1) return fail('parse.bad-value', `The path probe skipped an entry (expected ${states.length + 1}).`, line);
    states.push(m[2] as PathState);
  }
  return ok(states);
}

// ---- RDMA ---------------------------------------------------------------------------------------------------------

export interface RdmaSupport {
  /** Entries of /sys/class/infiniband (RDMA devices); empty when the directory is absent or empty. */
  readonly devices: readonly string[];
  readonly kernel?: string;
  /** CONFIG_INFINIBAND: 'y' / 'm', false when "is not set", absent when the kernel config could not be read. */
  readonly configInfiniband?: 'y' | 'm' | false;
  /** Where the kernel config was read: /proc/config.gz or /boot/config-VERSION. */
  readonly configSource?: string;
}

/** `infiniband: absent|DEV...`, `kernel: VERSION`, `config: SOURCE: LINE` or `config: unknown`. */
export function parseRdmaProbe(text: string): Result<RdmaSupport, FerryError> {
  let devices: string[] | undefined;
  let kernel: string | undefined;
  let config: 'y' | 'm' | false | undefined;
  let source: string | undefined;
  for (const line of contentLines(text)) {
    const [label, ...rest] = line.split(': ');
    const value = rest.join(': ').trim();
    if (label === 'infiniband') devices = value === 'absent' || value === '' ? [] : value.split(/\s+/);
    else if (label === 'kernel') kernel = value;
    else if (label === 'config') {
      if (value === 'unknown') continue;
      const m = /^(\S+): (.*)$/.exec(value);
      if (!m) return fail('parse.unrecognised', 'The RDMA probe printed an unreadable kernel config line.', line);
      source = m[1];
      const setting = m[2] ?? '';
      const v = /^CONFIG_INFINIBAND=([ym])$/.exec(setting)?.[1];
      if (v === 'y' || v === 'm') config = v;
      else if (/^# CONFIG_INFINIBAND is not set$|^CONFIG_INFINIBAND absent$/.test(setting)) config = false;
      else return fail('parse.bad-value', 'The RDMA probe printed an unknown CONFIG_INFINIBAND line.', line);
    } else return fail('parse.unrecognised', 'The RDMA probe printed an unexpected line.', line);
  }
  if (devices === undefined) return err(ferryError('parse.missing-field', 'The RDMA probe did not report /sys/class/infiniband.', firstLine(text)));
  return ok(compact<RdmaSupport>({ devices, kernel, configInfiniband: config, configSource: source }));
}

// ---- qemu.conf ----------------------------------------------------------------------------------------------------

export interface QemuDriverConfig {
  /** `migrate_tls_x509_cert_dir`, when set. */
  readonly migrateTlsX509CertDir?: string;
  /** `default_tls_x509_cert_dir`, when set (libvirt's fallback for the migration directory). */
  readonly defaultTlsX509CertDir?: string;
  readonly migrationPortMin?: number;
  readonly migrationPortMax?: number;
  /** `migration_host`: the address the destination puts in the migration URI. */
  readonly migrationHost?: string;
  readonly migrationAddress?: string;
}

/** libvirt's default for both certificate directories when qemu.conf sets neither. */
export const DEFAULT_TLS_DIR = '/etc/pki/qemu';

/** The directory libvirt's QEMU driver reads migration TLS material from. */
export function migrationTlsDir(c: QemuDriverConfig): string {
  return c.migrateTlsX509CertDir ?? c.defaultTlsX509CertDir ?? DEFAULT_TLS_DIR;
}

const STRING_KEYS = {
  migrate_tls_x509_cert_dir: 'migrateTlsX509CertDir',
  default_tls_x509_cert_dir: 'defaultTlsX509CertDir',
  migration_host: 'migrationHost',
  migration_address: 'migrationAddress',
} as const;
const NUMBER_KEYS = { migration_port_min: 'migrationPortMin', migration_port_max: 'migrationPortMax' } as const;

/**
 * `cat /etc/libvirt/qemu.conf` (libvirt's config syntax: `key = "string"`, `key = 123`, `key = [ ... ]`, `#`
 * comments). Only the keys above are read; lists and other keys are skipped.
 */
export function parseQemuConf(text: string): Result<QemuDriverConfig, FerryError> {
  if (/^cat: .*No such file or directory/m.test(text)) {
    return err(ferryError('command.failed', 'The host has no /etc/libvirt/qemu.conf (libvirt uses its defaults).', firstLine(text)));
  }
  const out: Record<string, string | number> = {};
  for (const raw of splitLines(text)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-z0-9_]+)\s*=\s*(.*?)\s*(?:#.*)?$/.exec(line);
    if (!m) continue; // list continuation lines and the like
    const key = m[1] ?? '';
    const value = m[2] ?? '';
    if (key in STRING_KEYS) {
      const s = /^"((?:[^"\\]|\\.)*)"$/.exec(value);
      if (!s) return fail('parse.bad-value', `qemu.conf: ${key} is not a quoted string.`, line);
      out[STRING_KEYS[key as keyof typeof STRING_KEYS]] = (s[1] ?? '').replace(/\\(.)/g, '$1');
    } else if (key in NUMBER_KEYS) {
      if (!/^\d+$/.test(value)) return fail('parse.bad-value', `qemu.conf: ${key} is not a whole number.`, line);
      out[NUMBER_KEYS[key as keyof typeof NUMBER_KEYS]] = Number(value);
    }
  }
  return ok(out as QemuDriverConfig);
}

// ---- PEM ----------------------------------------------------------------------------------------------------------

/** `cat FILE` of a certificate: the first PEM CERTIFICATE block, or cat's own error. */
export function parsePemCertificate(text: string): Result<string, FerryError> {
  const m = /-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----/.exec(text);
  if (m) return ok(`${m[0]}\n`);
  const catError = /^cat: (.*)$/m.exec(text)?.[1];
  if (catError !== undefined) return err(ferryError('command.failed', `The certificate could not be read: ${catError}.`, catError));
  if (text.trim() === '') return emptyOutput('cat (certificate)');
  return fail('parse.unrecognised', 'The file is not a PEM certificate.', firstLine(text));
}
