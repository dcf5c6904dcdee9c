/**
 * Commands that CHANGE a host's network settings (the tuning), and the small probes the tuning needs.
 * Every value is validated before it reaches an argv: interface names (checkInterfaceName), sysctl keys (a fixed
 * list: Ferry only tunes the buffer sysctls), numbers (whole, in range), file paths (absolute, plain characters).
 * Shell scripts here are constants; everything variable is a positional parameter ("$1"), never interpolated.
 *
 * What these tools print on success and failure (captured from the lab, test/fixtures/tuning/):
 * - `sysctl -w k=v` prints `k = v` on success and `sysctl: setting key "k": Invalid argument` on failure, and procps
 *   4.0.2 exits 0 either way (a read-only sysctl inside a network namespace, kernel 6.18): the parser decides, and the
 *   caller re-reads the value.
 * - `ethtool -K` / `ethtool -G` print nothing on success; `netlink error: ...` and a non-zero exit on failure.
 * - `ip link set dev X mtu N` prints nothing on success; `Error: mtu greater than device maximum.` on failure.
 */
import { ok, err, type Result } from '../result';
import { ferryError, type FerryError } from '../errors';
import { parseCount } from '../units';
import { checkInterfaceName, checkWholeNumber, command, type Command } from './command';
import { contentLines, fail } from '../parsers/text';

const WRITE_MS = 10_000;

/** The sysctls the tuning may change (the TCP buffer limits). */
export const TUNABLE_SYSCTLS = ['net.core.rmem_max', 'net.core.wmem_max', 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'] as const;
export type TunableSysctl = (typeof TUNABLE_SYSCTLS)[number];

export function isTunableSysctl(key: string): key is TunableSysctl {
  return (TUNABLE_SYSCTLS as readonly string[]).includes(key);
}

/** A triple (`min default max`) for tcp_rmem/tcp_wmem, one number for the net.core limits. */
export type SysctlSetting = { readonly kind: 'single'; readonly value: number } | { readonly kind: 'triple'; readonly min: number; readonly default: number; readonly max: number };

/** Largest value these sysctls take (they are C ints in the kernel). */
export const SYSCTL_INT_MAX = 2_147_483_647;

export function isTripleSysctl(key: TunableSysctl): boolean {
  return key === 'net.ipv4.tcp_rmem' || key === 'net.ipv4.tcp_wmem';
}

/** `4096 131072 33554432` or `4194304`, as the kernel prints and takes it. */
export function formatSysctlSetting(s: SysctlSetting): string {
  return s.kind === 'single' ? String(s.value) : `${s.min} ${s.default} ${s.max}`;
}

export function checkSysctlSetting(key: string, s: SysctlSetting): Result<TunableSysctl, FerryError> {
  if (!isTunableSysctl(key)) return err(ferryError('input.invalid', `Ferry does not tune "${key}".`));
  const triple = isTripleSysctl(key);
  if (triple !== (s.kind === 'triple')) {
    return err(ferryError('input.invalid', `${key} takes ${triple ? 'three numbers (min default max)' : 'one number'}.`));
  }
  const numbers = s.kind === 'single' ? [s.value] : [s.min, s.default, s.max];
  for (const n of numbers) {
    const c = checkWholeNumber(key, n, 1, SYSCTL_INT_MAX);
    if (!c.ok) return c;
  }
  if (s.kind === 'triple' && !(s.min <= s.default && s.default <= s.max)) {
    return err(ferryError('input.invalid', `${key} must be min <= default <= max, not ${formatSysctlSetting(s)}.`));
  }
  return ok(key);
}

/** Reads `k = v` (what sysctl -w prints on success) or the failure line. Exit status is useless (procps exits 0). */
export function parseSysctlWrite(text: string, key: string): Result<{ readonly key: string; readonly value: string }, FerryError> {
  const lines = contentLines(text);
  const failure = lines.find((l) => l.startsWith('sysctl: '));
  if (failure !== undefined) {
    if (/cannot stat/.test(failure)) return fail('command.failed', `This kernel has no ${key}.`, failure);
    const readOnlyHint = /Invalid argument|Permission denied|Read-only/.test(failure)
      ? ' The kernel refused the write: inside a container or a network namespace some of these settings are read-only, and they can only be set on the machine itself.'
      : '';
    return fail('command.failed', `sysctl could not set ${key}.${readOnlyHint}`, failure);
  }
  const line = lines.find((l) => l.startsWith(`${key} = `));
  if (line === undefined) return fail('parse.unrecognised', `sysctl -w did not confirm ${key}.`, lines.join('\n'));
  return ok({ key, value: line.slice(key.length + 3).trim().split(/\s+/).join(' ') });
}

/** `sysctl -w KEY=VALUE`: the whole assignment is one argv element (no shell splits it). */
export function sysctlWrite(key: string, setting: SysctlSetting): Result<Command<{ readonly key: string; readonly value: string }>, FerryError> {
  const k = checkSysctlSetting(key, setting);
  if (!k.ok) return k;
  const assignment = `${k.value}=${formatSysctlSetting(setting)}`;
  return ok(command(`set ${k.value}`, ['sysctl', '-w', assignment], (text) => parseSysctlWrite(text, k.value), WRITE_MS));
}

/** Whether Ferry's SSH user may write each sysctl here (root, and the setting not read-only in this namespace). */
export interface SysctlWritability {
  readonly uid: number;
  readonly writable: Readonly<Partial<Record<TunableSysctl, boolean>>>;
}

const procPath = (key: TunableSysctl): string => `/proc/sys/${key.replace(/\./g, '/')}`;
const WRITABLE_SCRIPT = 'id -u; for f do if [ -w "$f" ]; then echo "writable $f"; else echo "read-only $f"; fi; done';

export function parseWritability(text: string, keys: readonly TunableSysctl[]): Result<SysctlWritability, FerryError> {
  const lines = contentLines(text);
  const uid = parseCount((lines[0] ?? '').trim());
  if (uid === undefined) return fail('parse.unrecognised', 'The sysctl write probe did not print a user id first.', lines[0] ?? '');
  const writable: Partial<Record<TunableSysctl, boolean>> = {};
  for (const line of lines.slice(1)) {
    const m = /^(writable|read-only) (\S+)$/.exec(line.trim());
    const key = keys.find((k) => procPath(k) === m?.[2]);
    if (!m || key === undefined) return fail('parse.unrecognised', 'Unexpected line from the sysctl write probe.', line);
    writable[key] = m[1] === 'writable';
  }
  const missing = keys.filter((k) => writable[k] === undefined);
  if (missing.length > 0) return fail('parse.missing-field', `The sysctl write probe said nothing about ${missing.join(', ')}.`, text);
  return ok({ uid, writable });
}

/** `sh -c 'id -u; for f ...[ -w "$f" ]...' ferry-writable /proc/sys/...`: paths are positional parameters. */
export function sysctlWritability(keys: readonly TunableSysctl[] = TUNABLE_SYSCTLS): Command<SysctlWritability> {
  const asked = keys.filter(isTunableSysctl);
  return command('which sysctls can be written', ['sh', '-c', WRITABLE_SCRIPT, 'ferry-writable', ...asked.map(procPath)], (t) => parseWritability(t, asked), 5_000);
}

/** Output of a command that prints nothing when it worked (ethtool -K/-G, ip link set, rm -f, the file write). */
export function parseSilentSuccess(what: string, text: string, exit?: { readonly code: number | null }): Result<true, FerryError> {
  const lines = contentLines(text);
  const noDevice = lines.find((l) => /Cannot find device|No such device|does not exist/.test(l));
  if (noDevice !== undefined) return fail('net.no-such-device', `${what}: no such network interface on this host.`, noDevice);
  const unsupported = lines.find((l) => /Operation not supported/.test(l));
  if (unsupported !== undefined) return fail('command.failed', `${what}: the driver does not support this.`, lines.join('\n'));
  if (lines.length > 0 || (exit !== undefined && exit.code !== 0)) {
    const why = lines[0] ?? (exit?.code === null ? 'ended by a signal' : `exit status ${String(exit?.code)}`);
    return fail('command.failed', `${what} failed: ${why}`, lines.join('\n'));
  }
  return ok(true);
}

/** Offloads the tuning turns on: ethtool -K's short names and the names `ethtool -k` lists them under. */
export const OFFLOADS = {
  gro: 'generic-receive-offload',
  gso: 'generic-segmentation-offload',
  tso: 'tcp-segmentation-offload',
} as const;
export type Offload = keyof typeof OFFLOADS;

/** `ethtool -K IFACE gro on|off`. */
export function ethtoolSetOffload(iface: string, offload: Offload, on: boolean): Result<Command<true>, FerryError> {
  const i = checkInterfaceName(iface);
  if (!i.ok) return i;
  if (!(offload in OFFLOADS)) return err(ferryError('input.invalid', `Ferry does not toggle the offload "${String(offload)}".`));
  const what = `turn ${offload} ${on ? 'on' : 'off'} on ${i.value}`;
  return ok(command(what, ['ethtool', '-K', i.value, offload, on ? 'on' : 'off'], (t, e) => parseSilentSuccess(what, t, e), WRITE_MS));
}

/** `ethtool -G IFACE rx N tx N` (only the rings given). Ring sizes 1..65536 descriptors. */
export function ethtoolSetRings(iface: string, rings: { readonly rx?: number; readonly tx?: number }): Result<Command<true>, FerryError> {
  const i = checkInterfaceName(iface);
  if (!i.ok) return i;
  const args: string[] = [];
  for (const k of ['rx', 'tx'] as const) {
    const n = rings[k];
    if (n === undefined) continue;
    const c = checkWholeNumber(`The ${k} ring size`, n, 1, 65536);
    if (!c.ok) return c;
    args.push(k, String(c.value));
  }
  if (args.length === 0) return err(ferryError('input.invalid', 'No ring size given.'));
  const what = `set the rings of ${i.value}`;
  return ok(command(what, ['ethtool', '-G', i.value, ...args], (t, e) => parseSilentSuccess(what, t, e), WRITE_MS));
}

/** `ip link set dev IFACE mtu N` (68..65535, the range Linux allows any device). */
export function ipLinkSetMtu(iface: string, mtu: number): Result<Command<true>, FerryError> {
  const i = checkInterfaceName(iface);
  if (!i.ok) return i;
  const m = checkWholeNumber('The MTU', mtu, 68, 65535);
  if (!m.ok) return m;
  const what = `set the MTU of ${i.value} to ${m.value}`;
  return ok(command(what, ['ip', 'link', 'set', 'dev', i.value, 'mtu', String(m.value)], (t, e) => parseSilentSuccess(what, t, e), WRITE_MS));
}

// ---- the persisted sysctl file --------------------------------------------------------------------------------

/** Where persisted sysctls go by default (read by systemd-sysctl and procps at boot). */
export const DEFAULT_SYSCTL_FILE = '/etc/sysctl.d/90-ferry-migration.conf';

/** An absolute path of plain characters, no `..`, ending in `.conf`. */
export function checkConfPath(path: string): Result<string, FerryError> {
  const good = /^\/[A-Za-z0-9._/-]+\.conf$/.test(path) && !path.split('/').includes('..') && !path.includes('//');
  return good ? ok(path) : err(ferryError('input.invalid', `"${path}" is not an absolute path to a .conf file of plain characters.`));
}

export type FileContent = { readonly present: false } | { readonly present: true; readonly content: string };

const READ_SCRIPT = 'if [ -e "$1" ]; then echo present; cat -- "$1"; else echo absent; fi';
const WRITE_SCRIPT = 'umask 022 && printf %s "$1" > "$2.ferry-tmp" && mv -f -- "$2.ferry-tmp" "$2"';

export function parseFileRead(text: string): Result<FileContent, FerryError> {
  const nl = text.indexOf('\n');
  const head = nl < 0 ? text : text.slice(0, nl);
  if (head === 'absent' && text.slice(head.length).trim() === '') return ok({ present: false });
  if (head === 'present') return ok({ present: true, content: nl < 0 ? '' : text.slice(nl + 1) });
  return fail('parse.unrecognised', 'The file probe did not say present or absent.', head);
}

/** Reads a file if it exists: `sh -c '...' ferry-read PATH`. */
export function readConfFile(path: string): Result<Command<FileContent>, FerryError> {
  const p = checkConfPath(path);
  if (!p.ok) return p;
  return ok(command(`read ${p.value}`, ['sh', '-c', READ_SCRIPT, 'ferry-read', p.value], parseFileRead, 5_000));
}

/** Writes CONTENT to PATH through a temporary file and a rename; the content is a positional parameter. */
export function writeConfFile(path: string, content: string): Result<Command<true>, FerryError> {
  const p = checkConfPath(path);
  if (!p.ok) return p;
  if (content.includes('\0')) return err(ferryError('input.invalid', 'A sysctl file cannot contain a NUL byte.'));
  const what = `write ${p.value}`;
  return ok(command(what, ['sh', '-c', WRITE_SCRIPT, 'ferry-write', content, p.value], (t, e) => parseSilentSuccess(what, t, e), WRITE_MS));
}

/** `rm -f -- PATH`. */
export function removeConfFile(path: string): Result<Command<true>, FerryError> {
  const p = checkConfPath(path);
  if (!p.ok) return p;
  const what = `remove ${p.value}`;
  return ok(command(what, ['rm', '-f', '--', p.value], (t, e) => parseSilentSuccess(what, t, e), WRITE_MS));
}
