/**
 * Storage behind a VM's disks, for a latency figure like iostat's `await` and `%util` without the sysstat package:
 *
 * 1. the backing probe (shared/commands/audit.ts, BACKING_PROBE_SCRIPT) maps each disk source to a block device:
 *      @@ferry path block /dev/sdb            then `stat -L -c %t:%T` (major:minor in hex) of the device node
 *      @@ferry path file /var/lib/img.qcow2   then `findmnt -n -P -o MAJ:MIN,SOURCE,FSTYPE,TARGET -T PATH`
 *      @@ferry path missing /nowhere
 * 2. the diskstats probe reads /proc/diskstats twice about a second apart, each preceded by `@@ferry uptime S`
 *    (/proc/uptime's first field, so the interval is measured, not assumed).
 *
 * /proc/diskstats fields (Documentation/admin-guide/iostats.rst): major minor name, then reads completed, merged,
 * sectors read, ms reading, writes completed, merged, sectors written, ms writing, I/Os in progress, ms doing I/O,
 * weighted ms; kernels 4.18+ add four discard fields, 5.5+ two flush fields.
 */
import { ok, type Result } from '../result';
import type { FerryError } from '../errors';
import { parseCount, parseDecimal } from '../units';
import { compact, fail, splitLines } from './text';

export type BackingState =
  | { readonly path: string; readonly kind: 'missing' }
  | { readonly path: string; readonly kind: 'block'; readonly major: number; readonly minor: number }
  | {
      readonly path: string;
      readonly kind: 'file';
      readonly major: number;
      readonly minor: number;
      /** findmnt's SOURCE: `/dev/vda`, `/dev/vda[/sub/dir]` for a bind mount, `tmpfs`, `server:/export`. */
      readonly source: string;
      readonly fstype: string;
      readonly mountpoint: string;
    };

function pairs(line: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  const re = /([A-Z_:]+)="((?:[^"\\]|\\.)*)"/g;
  let rest = line;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) {
    out[m[1] ?? ''] = (m[2] ?? '').replace(/\\x([0-9a-fA-F]{2})/g, (_s, h: string) => String.fromCharCode(parseInt(h, 16)));
    rest = rest.replace(m[0], '');
  }
  return rest.trim() === '' && Object.keys(out).length > 0 ? out : undefined;
}

function majMin(text: string, radix: 10 | 16): { major: number; minor: number } | undefined {
  const re = radix === 10 ? /^(\d+):(\d+)$/ : /^([0-9a-f]+):([0-9a-f]+)$/;
  const m = re.exec(text.trim());
  if (!m) return undefined;
  return { major: parseInt(m[1] ?? '', radix), minor: parseInt(m[2] ?? '', radix) };
}

export function parseBackingProbe(text: string): Result<BackingState[], FerryError> {
  const out: BackingState[] = [];
  const lines = splitLines(text).filter((l) => l.trim() !== '');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const h = /^@@ferry path (block|file|missing) (.+)$/.exec(line);
    if (!h) return fail('parse.unrecognised', 'This is not the backing probe\'s output (expected "@@ferry path KIND PATH").', line);
    const kind = h[1];
    const path = h[2] ?? '';
    if (kind === 'missing') {
      out.push({ path, kind: 'missing' });
      continue;
    }
    const next = lines[i + 1];
    if (next === undefined || next.startsWith('@@ferry ')) {
      return fail('parse.missing-field', `The backing probe printed nothing about ${path}.`, line);
    }
    i++;
    if (kind === 'block') {
      const mm = majMin(next, 16);
      if (!mm) return fail('parse.bad-value', `The device number of ${path} is not "major:minor" in hex.`, next);
      out.push({ path, kind: 'block', ...mm });
      continue;
    }
    const p = pairs(next);
    const mm = p?.['MAJ:MIN'] === undefined ? undefined : majMin(p['MAJ:MIN'], 10);
    if (!p || !mm || p.SOURCE === undefined || p.FSTYPE === undefined || p.TARGET === undefined) {
      return fail('parse.unrecognised', `findmnt printed no MAJ:MIN, SOURCE, FSTYPE and TARGET for ${path}.`, next);
    }
    out.push({ path, kind: 'file', ...mm, source: p.SOURCE, fstype: p.FSTYPE, mountpoint: p.TARGET });
  }
  return ok(out);
}

export interface DiskCounters {
  readonly major: number;
  readonly minor: number;
  readonly name: string;
  readonly readsCompleted: number;
  readonly readMs: number;
  readonly writesCompleted: number;
  readonly writeMs: number;
  readonly inFlight: number;
  /** Time the device had I/O in flight (the basis of %util). */
  readonly ioMs: number;
  readonly sectorsRead: number;
  readonly sectorsWritten: number;
  readonly discardsCompleted?: number;
  readonly discardMs?: number;
  readonly flushesCompleted?: number;
  readonly flushMs?: number;
}

export interface DiskstatsSnapshot {
  /** Seconds since boot when this snapshot was read. */
  readonly uptimeSeconds: number;
  readonly disks: readonly DiskCounters[];
}

function diskLine(line: string): Result<DiskCounters, FerryError> {
  const f = line.trim().split(/\s+/);
  if (f.length < 14) return fail('parse.unrecognised', 'A /proc/diskstats line has fewer than 14 fields.', line);
  const nums = f.map((x, i) => (i === 2 ? 0 : parseCount(x)));
  if (nums.some((n) => n === undefined)) return fail('parse.bad-value', 'A /proc/diskstats counter is not a whole number.', line);
  const n = (i: number) => nums[i] as number;
  return ok(
    compact<DiskCounters>({
      major: n(0),
      minor: n(1),
      name: f[2] ?? '',
      readsCompleted: n(3),
      sectorsRead: n(5),
      readMs: n(6),
      writesCompleted: n(7),
      sectorsWritten: n(9),
      writeMs: n(10),
      inFlight: n(11),
      ioMs: n(12),
      discardsCompleted: f.length >= 18 ? n(14) : undefined,
      discardMs: f.length >= 18 ? n(17) : undefined,
      flushesCompleted: f.length >= 20 ? n(18) : undefined,
      flushMs: f.length >= 20 ? n(19) : undefined,
    }),
  );
}

/** The diskstats probe: two (or more) snapshots, each after its `@@ferry uptime S` line. */
export function parseDiskstatsSnapshots(text: string): Result<DiskstatsSnapshot[], FerryError> {
  const snaps: { uptimeSeconds: number; disks: DiskCounters[] }[] = [];
  for (const line of splitLines(text)) {
    if (line.trim() === '') continue;
    const h = /^@@ferry uptime (\S+)$/.exec(line);
    if (h) {
      const s = parseDecimal(h[1] ?? '');
      if (s === undefined) return fail('parse.bad-value', 'The uptime before a diskstats read is not a number.', line);
      snaps.push({ uptimeSeconds: s, disks: [] });
      continue;
    }
    const cur = snaps[snaps.length - 1];
    if (cur === undefined) return fail('parse.unrecognised', 'This is not the diskstats probe\'s output (no "@@ferry uptime" line first).', line);
    const d = diskLine(line);
    if (!d.ok) return d;
    cur.disks.push(d.value);
  }
  if (snaps.length < 2) return fail('parse.missing-field', `The diskstats probe printed ${snaps.length} reads, not two.`, text.slice(0, 200));
  return ok(snaps);
}
