/**
 * Units as the hypervisor tools print them, and back. Pure: no Node, no DOM.
 *
 * Conventions:
 * - sizes in virsh output are binary (`KiB` = 1024 B) and rounded to 3 decimals by virsh; we turn them into whole bytes;
 * - `Memory bandwidth` is bytes per second printed with a binary size unit and `/s`;
 * - `virsh migrate-setspeed` and `--bandwidth` take MiB/s; QEMU's own `mbps` is megabits (10^6 bit) per second;
 * - ethtool's link speed `10000Mb/s` is megabits (10^6 bit) per second.
 */
import { err, ok, type Result } from './result';
import { ferryError, type FerryError } from './errors';

export const SIZE_UNITS = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
  PiB: 1024 ** 5,
  EiB: 1024 ** 6,
} as const;
export type SizeUnit = keyof typeof SIZE_UNITS;

const SIZE_UNIT_NAMES = Object.keys(SIZE_UNITS) as SizeUnit[];

function isSizeUnit(s: string): s is SizeUnit {
  return Object.prototype.hasOwnProperty.call(SIZE_UNITS, s);
}

/** A plain non-negative decimal: `0`, `86.941`. No sign, exponent, comma or hex. */
const DECIMAL = /^(?:0|[1-9]\d*)(?:\.\d+)?$/;
/** A plain non-negative integer without leading zeros (`0`, `4096`). */
const INTEGER = /^(?:0|[1-9]\d*)$/;

/** Parses a non-negative decimal number written the way these tools write them; undefined for anything else. */
export function parseDecimal(text: string): number | undefined {
  const t = text.trim();
  if (!DECIMAL.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** Parses a non-negative safe integer (`4096`); undefined for `4096.0`, `-1`, `1e3`, `12abc` or beyond 2^53. */
export function parseCount(text: string): number | undefined {
  const t = text.trim();
  if (!INTEGER.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}

function badValue(what: string, text: string): FerryError {
  return ferryError('parse.bad-value', `Not a ${what}: "${text.trim()}".`, text);
}

/**
 * `86.941 MiB`, `0.000 B`, `511.116 KiB`, `1.2 GiB` -> whole bytes (rounded: virsh prints 3 decimals, so the
 * result is within half a unit-thousandth of the real value). One space between number and unit is optional.
 */
export function parseSize(text: string): Result<{ bytes: number }, FerryError> {
  const m = /^\s*(\S+?)\s*([A-Za-z]+)\s*$/.exec(text);
  if (!m) return err(badValue('size', text));
  const [, num = '', unit = ''] = m;
  const value = parseDecimal(num);
  if (value === undefined) return err(badValue('size', text));
  if (!isSizeUnit(unit)) {
    return err(
      ferryError('parse.bad-value', `Unknown size unit "${unit}" (expected one of ${SIZE_UNIT_NAMES.join(', ')}).`, text),
    );
  }
  return ok({ bytes: Math.round(value * SIZE_UNITS[unit]) });
}

/** `234.008 MiB/s`, `570.712 KiB/s` -> bytes per second. */
export function parseByteRate(text: string): Result<{ bytesPerSecond: number }, FerryError> {
  const m = /^(.*)\/s\s*$/.exec(text);
  if (!m) return err(badValue('rate per second', text));
  const size = parseSize(m[1] ?? '');
  if (!size.ok) return err({ ...size.error, detail: text });
  return ok({ bytesPerSecond: size.value.bytes });
}

/** `209 ms`, `209          ms` (virsh pads) -> milliseconds. */
export function parseMilliseconds(text: string): Result<{ ms: number }, FerryError> {
  const m = /^\s*(\S+)\s+ms\s*$/.exec(text);
  const n = m ? parseCount(m[1] ?? '') : undefined;
  return n === undefined ? err(badValue('duration in ms', text)) : ok({ ms: n });
}

/** MiB/s as `virsh migrate-setspeed` and `--bandwidth` take it -> bytes per second. */
export function mibPerSecondToBytesPerSecond(mibPerSecond: number): number {
  return mibPerSecond * SIZE_UNITS.MiB;
}

/** Bytes per second -> megabits (10^6 bit) per second, the unit of QEMU's `mbps` and ethtool's `Mb/s`. */
export function bytesPerSecondToMegabitsPerSecond(bytesPerSecond: number): number {
  return (bytesPerSecond * 8) / 1e6;
}

/** Megabits (10^6 bit) per second -> bytes per second. */
export function megabitsPerSecondToBytesPerSecond(megabitsPerSecond: number): number {
  return (megabitsPerSecond * 1e6) / 8;
}

/** domjobinfo's `Dirty rate` (pages/s) times `Page size` (bytes) -> bytes per second. */
export function pagesPerSecondToBytesPerSecond(pagesPerSecond: number, pageSizeBytes: number): number {
  return pagesPerSecond * pageSizeBytes;
}

/**
 * Whole bytes -> `86.94 MiB`: the largest binary unit that keeps the number at or above 1, `digits` decimals
 * (default 2; none for plain bytes). Negative or non-finite input is shown as `-`.
 */
export function formatBytes(bytes: number, digits = 2): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '-';
  let unit: SizeUnit = 'B';
  for (const u of SIZE_UNIT_NAMES) {
    if (bytes >= SIZE_UNITS[u]) unit = u;
  }
  if (unit === 'B') return `${Math.round(bytes)} B`;
  return `${(bytes / SIZE_UNITS[unit]).toFixed(digits)} ${unit}`;
}

/** Bytes per second -> `234.01 MiB/s`. */
export function formatBytesPerSecond(bytesPerSecond: number, digits = 2): string {
  const s = formatBytes(bytesPerSecond, digits);
  return s === '-' ? s : `${s}/s`;
}

/** Megabits per second -> `10 Gbit/s`, `100 Mbit/s` (decimal units, as link speeds are quoted). */
export function formatBitsPerSecond(megabitsPerSecond: number): string {
  if (!Number.isFinite(megabitsPerSecond) || megabitsPerSecond < 0) return '-';
  if (megabitsPerSecond >= 1000) return `${trimZeros((megabitsPerSecond / 1000).toFixed(2))} Gbit/s`;
  return `${trimZeros(megabitsPerSecond.toFixed(2))} Mbit/s`;
}

/** Milliseconds -> `209 ms` below a second, `1.06 s` below a minute, `2 min 03 s` above. */
export function formatMilliseconds(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${trimZeros((ms / 1000).toFixed(2))} s`;
  const totalSeconds = Math.round(ms / 1000);
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  return `${minutes} min ${String(seconds).padStart(2, '0')} s`;
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}
