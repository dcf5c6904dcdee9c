/**
 * `dmesg -x` (util-linux 2.38): the kernel log with its facility and level, one record per line:
 *
 *   kern  :warn  : [ 1234.567890] e1000e 0000:00:19.0 eth0: Detected Hardware Unit Hang:
 *
 * A record may continue on lines without the prefix (the kernel's own line breaks); those are joined to the record
 * before them. `dmesg: read kernel buffer failed: Operation not permitted` (kernel.dmesg_restrict and a user that
 * is not root) is the typed error command.failed, never an empty log.
 */
import { ok, err, type Result } from '../result';
import { ferryError, type FerryError } from '../errors';
import { parseDecimal } from '../units';
import { compact, fail, splitLines } from './text';

export type KernelLogLevel = 'emerg' | 'alert' | 'crit' | 'err' | 'warn' | 'notice' | 'info' | 'debug';
const LEVELS: ReadonlySet<string> = new Set<KernelLogLevel>(['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug']);

export interface KernelLogRecord {
  readonly facility: string;
  readonly level: KernelLogLevel;
  /** Seconds since boot as printed in the brackets; absent when the kernel printed no timestamp. */
  readonly seconds?: number;
  readonly text: string;
}

const RECORD = /^([a-z]+)\s*:([a-z]+)\s*: (?:\[\s*([0-9.]+)\] )?(.*)$/;

export function parseDmesg(text: string): Result<KernelLogRecord[], FerryError> {
  const lines = splitLines(text);
  const denied = lines.find((l) => /^dmesg: /.test(l));
  if (denied !== undefined) {
    return err(ferryError('command.failed', `Ferry could not read the kernel log: ${denied.slice('dmesg: '.length)}.`, denied));
  }
  const out: { facility: string; level: KernelLogLevel; seconds?: number | undefined; text: string }[] = [];
  for (const line of lines) {
    if (line.trim() === '') continue;
    const m = RECORD.exec(line);
    if (m) {
      const level = m[2] ?? '';
      if (!LEVELS.has(level)) return fail('parse.bad-value', `Unknown kernel log level "${level}".`, line);
      let seconds: number | undefined;
      if (m[3] !== undefined) {
        seconds = parseDecimal(m[3]);
        if (seconds === undefined) return fail('parse.bad-value', 'A kernel log timestamp is not a number.', line);
      }
      out.push({ facility: m[1] ?? '', level: level as KernelLogLevel, seconds, text: m[4] ?? '' });
      continue;
    }
    const last = out[out.length - 1];
    if (last === undefined) return fail('parse.unrecognised', 'This is not `dmesg -x` output: no "facility:level:" prefix.', line);
    last.text = `${last.text} ${line.trim()}`;
  }
  return ok(out.map((r) => compact<KernelLogRecord>(r)));
}
