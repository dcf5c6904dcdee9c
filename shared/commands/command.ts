/**
 * A command Ferry runs on a hypervisor host, described as data: the argv (a string array, never a shell line: the
 * SSH layer quotes each element with its one quoting function), the parser for its output, a short name for people,
 * and how long it may take. Pure: building a command runs nothing.
 */
import { ok, err, type Result } from '../result';
import { ferryError, type FerryError } from '../errors';

export interface Command<T> {
  /** Short human name, e.g. "migration job statistics". */
  readonly name: string;
  /** argv[0] is the program; user-provided values always come after an option or keyword that takes them. */
  readonly argv: readonly string[];
  /**
   * Environment the command must run with. Every command asks for `LC_ALL=C`: the parsers read the untranslated
   * texts (virsh, ping and tracepath translate their output under other locales).
   */
  readonly env: Readonly<Record<string, string>>;
  /** Upper bound for the run, after which the runner cancels it (command.timeout). */
  readonly timeoutMs: number;
  /**
   * Parses what the command printed: stdout followed by stderr (`stdoutThenStderr`). Most parsers read the text
   * alone: these tools say in text what went wrong, and some exit non-zero on a valid answer (ping's 1 for "no
   * reply", ethtool's 1 for "not supported"). Where success must be certain (virsh migrate), the parser also takes
   * the exit status (null when a signal ended the command or the runner cannot tell).
   */
  readonly parse: (text: string, exit?: { readonly code: number | null }) => Result<T, FerryError>;
}

export const C_LOCALE: Readonly<Record<string, string>> = Object.freeze({ LC_ALL: 'C' });

/** The parser input for a finished command: stdout, then stderr. */
export function stdoutThenStderr(out: { readonly stdout: string; readonly stderr: string }): string {
  if (out.stderr === '') return out.stdout;
  if (out.stdout === '' || out.stdout.endsWith('\n')) return out.stdout + out.stderr;
  return `${out.stdout}\n${out.stderr}`;
}

export function command<T>(
  name: string,
  argv: readonly string[],
  parse: (text: string, exit?: { readonly code: number | null }) => Result<T, FerryError>,
  timeoutMs = 10_000,
): Command<T> {
  return { name, argv: Object.freeze([...argv]), env: C_LOCALE, timeoutMs, parse };
}

// ---- validation of values that end up in an argv -------------------------------------------------------------

/**
 * A Linux interface name as iproute2 accepts it: 1-15 bytes, no '/', ':', whitespace, not `.`/`..`. We also refuse a
 * leading '-' (ethtool takes the name as a positional argument, where it would read as an option).
 */
export function checkInterfaceName(name: string): Result<string, FerryError> {
  const okName =
    name.length >= 1 && name.length <= 15 && /^[A-Za-z0-9_.@+-]+$/.test(name) && !name.startsWith('-') && name !== '.' && name !== '..';
  return okName
    ? ok(name)
    : err(ferryError('input.invalid', `"${name}" is not a network interface name (1-15 characters, no spaces, '/', ':' or leading '-').`));
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(s: string): boolean {
  return IPV4.test(s);
}

export function isIpv6(s: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || !s.includes(':')) return false;
  const [head = '', tail, ...extra] = s.split('::');
  if (extra.length > 0) return false;
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const all = [...groups(head), ...(tail === undefined ? [] : groups(tail))];
  const last = all[all.length - 1];
  const v4 = last !== undefined && last.includes('.');
  if (v4 && !isIpv4(last)) return false;
  const hex = v4 ? all.slice(0, -1) : all;
  if (!hex.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  const count = hex.length + (v4 ? 2 : 0);
  return tail === undefined ? count === 8 : count < 8;
}

/** An RFC 1123 host name (letters, digits, '-', dots; labels not starting or ending in '-'). */
export function isHostname(s: string): boolean {
  if (s.length === 0 || s.length > 253) return false;
  const labels = s.replace(/\.$/, '').split('.');
  // An all-digit last label is a mistyped IPv4 address (10.77.0.256), not a name.
  if (/^\d+$/.test(labels[labels.length - 1] ?? '')) return false;
  return labels.every((label) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}

/** An address or host name to probe: an IPv4/IPv6 literal or a host name. Never starts with '-'. */
export function checkDestination(dest: string): Result<string, FerryError> {
  return isIpv4(dest) || isIpv6(dest) || isHostname(dest)
    ? ok(dest)
    : err(ferryError('input.invalid', `"${dest}" is neither an IP address nor a host name.`));
}

export function checkIpAddress(addr: string): Result<string, FerryError> {
  return isIpv4(addr) || isIpv6(addr) ? ok(addr) : err(ferryError('input.invalid', `"${addr}" is not an IP address.`));
}

export function checkWholeNumber(what: string, n: number, min: number, max: number): Result<number, FerryError> {
  return Number.isInteger(n) && n >= min && n <= max
    ? ok(n)
    : err(ferryError('input.invalid', `${what} must be a whole number from ${min} to ${max}, not ${String(n)}.`));
}
