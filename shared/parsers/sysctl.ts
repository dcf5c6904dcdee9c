/**
 * `sysctl KEY...` (lines `key = value`) and `sysctl -n KEY...` (values only, in the order asked). A key the kernel
 * does not have (`sysctl: cannot stat /proc/sys/...: No such file or directory` on stderr, exit 1 or 255) is listed
 * in `missing`, not turned into 0. The socket-buffer keys Ferry checks for migration throughput are also read into
 * typed fields (bytes); `tcp_rmem`/`tcp_wmem` are min/default/max triples.
 */
import { ok, err, type Result } from '../result';
import { ferryError, type FerryError } from '../errors';
import { parseCount } from '../units';
import { compact, contentLines, fail } from './text';

export interface TcpBufferBytes {
  readonly min: number;
  readonly default: number;
  readonly max: number;
}

export interface SysctlValues {
  /** Every key that was printed, value verbatim (tabs between the numbers of a triple become single spaces). */
  readonly values: Readonly<Record<string, string>>;
  /** Keys the kernel does not have (from `cannot stat /proc/sys/...`), dotted. */
  readonly missing?: readonly string[];
  readonly coreRmemMaxBytes?: number;
  readonly coreWmemMaxBytes?: number;
  readonly tcpRmemBytes?: TcpBufferBytes;
  readonly tcpWmemBytes?: TcpBufferBytes;
  /** 0 off, 1 when an ICMP black hole is detected, 2 always. */
  readonly tcpMtuProbing?: number;
}

const MISSING = /^sysctl: cannot stat \/proc\/sys\/(\S+): No such file or directory$/;

function triple(v: string, line: string): Result<TcpBufferBytes, FerryError> {
  const parts = v.split(' ').map(parseCount);
  const [min, def, max] = parts;
  if (parts.length !== 3 || min === undefined || def === undefined || max === undefined) {
    return fail('parse.bad-value', 'Expected three whole numbers (min default max).', line);
  }
  return ok({ min, default: def, max });
}

function typed(values: Record<string, string>, lineOf: (k: string) => string, missing: string[]): Result<SysctlValues, FerryError> {
  const single = (k: string): Result<number | undefined, FerryError> => {
    const v = values[k];
    if (v === undefined) return ok(undefined);
    const n = parseCount(v);
    return n === undefined ? fail('parse.bad-value', `${k} is not a whole number.`, lineOf(k)) : ok(n);
  };
  const three = (k: string): Result<TcpBufferBytes | undefined, FerryError> => {
    const v = values[k];
    return v === undefined ? ok(undefined) : triple(v, lineOf(k));
  };
  const rmem = single('net.core.rmem_max');
  if (!rmem.ok) return rmem;
  const wmem = single('net.core.wmem_max');
  if (!wmem.ok) return wmem;
  const probing = single('net.ipv4.tcp_mtu_probing');
  if (!probing.ok) return probing;
  const tcpR = three('net.ipv4.tcp_rmem');
  if (!tcpR.ok) return tcpR;
  const tcpW = three('net.ipv4.tcp_wmem');
  if (!tcpW.ok) return tcpW;
  return ok(
    compact<SysctlValues>({
      values,
      missing: missing.length > 0 ? missing : undefined,
      coreRmemMaxBytes: rmem.value,
      coreWmemMaxBytes: wmem.value,
      tcpRmemBytes: tcpR.value,
      tcpWmemBytes: tcpW.value,
      tcpMtuProbing: probing.value,
    }),
  );
}

function missingKey(line: string): string | undefined {
  const m = MISSING.exec(line.trim());
  return m ? (m[1] ?? '').replace(/\//g, '.') : undefined;
}

/** `sysctl net.core.rmem_max net.ipv4.tcp_rmem ...` */
export function parseSysctl(text: string): Result<SysctlValues, FerryError> {
  const values: Record<string, string> = {};
  const lines: Record<string, string> = {};
  const missing: string[] = [];
  for (const line of contentLines(text)) {
    const gone = missingKey(line);
    if (gone !== undefined) {
      missing.push(gone);
      continue;
    }
    const m = /^([A-Za-z0-9_.\-/]+) = (.*)$/.exec(line);
    if (!m) return fail('parse.unrecognised', 'A sysctl line is not "key = value".', line);
    const key = m[1] ?? '';
    values[key] = (m[2] ?? '').trim().split(/\s+/).join(' ');
    lines[key] = line;
  }
  if (Object.keys(values).length === 0 && missing.length === 0) {
    return err(ferryError('parse.unrecognised', 'sysctl printed nothing.', ''));
  }
  return typed(values, (k) => lines[k] ?? '', missing);
}

/**
 * `sysctl -n KEY...`: one value line per key that exists, in the order asked. With a missing key the values no longer
 * line up with the keys by position alone, so the missing ones are read from the error lines first.
 */
export function parseSysctlN(text: string, keys: readonly string[]): Result<SysctlValues, FerryError> {
  const missing: string[] = [];
  const valueLines: string[] = [];
  for (const line of contentLines(text)) {
    const gone = missingKey(line);
    if (gone !== undefined) missing.push(gone);
    else if (line.startsWith('sysctl: ')) return fail('command.failed', 'sysctl failed.', line);
    else valueLines.push(line);
  }
  const present = keys.filter((k) => !missing.includes(k));
  if (valueLines.length !== present.length) {
    return fail(
      'parse.unrecognised',
      `sysctl -n printed ${valueLines.length} values for ${present.length} keys.`,
      valueLines.join('\n'),
    );
  }
  if (present.length === 0 && missing.length === 0) return fail('parse.unrecognised', 'sysctl -n printed nothing.', '');
  const values: Record<string, string> = {};
  const lines: Record<string, string> = {};
  present.forEach((k, i) => {
    const line = valueLines[i] ?? '';
    values[k] = line.trim().split(/\s+/).join(' ');
    lines[k] = line;
  });
  return typed(values, (k) => lines[k] ?? '', missing);
}
