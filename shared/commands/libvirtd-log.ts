/**
 * The tail of the source host's libvirtd log. p2p migration errors often reach virsh only as "End of file while
 * reading data: : Input/output error"; the real cause (a TLS certificate refused, QEMU failing on the
 * destination...) is in the source libvirtd's log. The migration engine reads its last lines after such a failure
 * and attaches the error lines to the failure's detail.
 */
import { ok, type Result } from '../result';
import type { FerryError } from '../errors';
import { command, checkWholeNumber, type Command } from './command';

export const LIBVIRTD_LOG = '/var/log/libvirt/libvirtd.log';

export function libvirtdLogTail(lines = 200, path = LIBVIRTD_LOG): Result<Command<string>, FerryError> {
  const n = checkWholeNumber('Lines', lines, 1, 10_000);
  if (!n.ok) return n;
  // `--` so that a path can never be read as an option; tail prints nothing (and an error on stderr) without the file.
  return ok(command('libvirtd log tail', ['tail', '-n', String(n.value), '--', path], (text) => ok(text), 10_000));
}

const STAMP = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3})([+-]\d{4}):/;

/** The time of a libvirtd log line (`2026-11-25 10:27:03.162+0000: PID: ...`), ms since the epoch. */
export function libvirtdLogTime(line: string): number | undefined {
  const m = STAMP.exec(line);
  if (!m) return undefined;
  const zone = m[3] ?? '+0000';
  const t = Date.parse(`${m[1]}T${m[2]}${zone.slice(0, 3)}:${zone.slice(3)}`);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * The lines of a libvirtd log excerpt that explain a failure: its `error :` lines (libvirt's log format is
 * `TIME: PID: error : FUNCTION:LINE : MESSAGE`) logged at or after `sinceMs` (other jobs' errors stay out), the
 * last `max` of them, most recent last. Pure.
 */
export function libvirtdErrorLines(logText: string, sinceMs = 0, max = 8): string[] {
  const lines = logText.split('\n').filter((l) => / error : /.test(l) && (libvirtdLogTime(l) ?? 0) >= sinceMs);
  return lines.slice(-max).map((l) => l.trim());
}
