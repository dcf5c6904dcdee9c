import { describe, expect, it } from 'vitest';
import {
  bytesPerSecondToMegabitsPerSecond,
  formatBitsPerSecond,
  formatBytes,
  formatBytesPerSecond,
  formatMilliseconds,
  megabitsPerSecondToBytesPerSecond,
  mibPerSecondToBytesPerSecond,
  pagesPerSecondToBytesPerSecond,
  parseByteRate,
  parseCount,
  parseDecimal,
  parseMilliseconds,
  parseSize,
} from '../../shared/units';

describe('parseSize', () => {
  it('reads the sizes virsh prints, in whole bytes', () => {
    expect(parseSize('86.941 MiB')).toEqual({ ok: true, value: { bytes: Math.round(86.941 * 1048576) } });
    expect(parseSize('0.000 B')).toEqual({ ok: true, value: { bytes: 0 } });
    expect(parseSize('511.116 KiB')).toEqual({ ok: true, value: { bytes: 523383 } });
    expect(parseSize('1.2 GiB')).toEqual({ ok: true, value: { bytes: Math.round(1.2 * 1024 ** 3) } });
    expect(parseSize('2 TiB')).toEqual({ ok: true, value: { bytes: 2 * 1024 ** 4 } });
    expect(parseSize('1.5GiB')).toEqual({ ok: true, value: { bytes: 1610612736 } });
  });
  it('rounds virsh\'s 3 decimals to within one byte of libvirt\'s exact figure', () => {
    // domjobinfo-stalled: 511.116 KiB printed, memory_processed 523383 in --rawstats
    const r = parseSize('511.116 KiB');
    expect(r.ok && Math.abs(r.value.bytes - 523383)).toBeLessThanOrEqual(1);
  });
  it('refuses an unknown unit, naming it', () => {
    const r = parseSize('12.3 XiB');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('parse.bad-value');
    expect(!r.ok && r.error.message).toContain('XiB');
    expect(!r.ok && r.error.detail).toBe('12.3 XiB');
  });
  it('refuses decimal (SI) units, a missing unit, signs, exponents and words', () => {
    for (const bad of ['12 MB', '12', '-1 MiB', '1e3 MiB', 'lots MiB', '', 'MiB', '1,5 MiB', '12 mib']) {
      expect(parseSize(bad).ok, bad).toBe(false);
    }
  });
});

describe('parseByteRate', () => {
  it('reads bandwidths in bytes per second', () => {
    expect(parseByteRate('234.008 MiB/s')).toEqual({ ok: true, value: { bytesPerSecond: Math.round(234.008 * 1048576) } });
    expect(parseByteRate('570.712 KiB/s')).toEqual({ ok: true, value: { bytesPerSecond: Math.round(570.712 * 1024) } });
  });
  it('refuses a size without /s and a rate in an unknown unit', () => {
    expect(parseByteRate('234.008 MiB').ok).toBe(false);
    const r = parseByteRate('12.3 XiB/s');
    expect(!r.ok && r.error.detail).toBe('12.3 XiB/s');
  });
});

describe('parseMilliseconds, parseCount, parseDecimal', () => {
  it('reads padded virsh durations', () => {
    expect(parseMilliseconds('209          ms')).toEqual({ ok: true, value: { ms: 209 } });
    expect(parseMilliseconds('209 s').ok).toBe(false);
    expect(parseMilliseconds('2.5 ms').ok).toBe(false);
  });
  it('accepts plain non-negative integers only', () => {
    expect(parseCount('4096')).toBe(4096);
    expect(parseCount('0')).toBe(0);
    for (const bad of ['', '-1', '1.0', '1e3', '0x10', '012', '12abc', '9007199254740993']) {
      expect(parseCount(bad), bad).toBeUndefined();
    }
  });
  it('accepts plain non-negative decimals only', () => {
    expect(parseDecimal('0.061')).toBe(0.061);
    expect(parseDecimal('100')).toBe(100);
    for (const bad of ['', '.5', '5.', '-0.1', '1e3', 'NaN', 'Infinity']) expect(parseDecimal(bad), bad).toBeUndefined();
  });
});

describe('conversions', () => {
  it('converts virsh --bandwidth MiB/s to bytes per second', () => {
    expect(mibPerSecondToBytesPerSecond(5)).toBe(5 * 1048576);
  });
  it('converts between bytes per second and QEMU/ethtool megabits per second', () => {
    expect(bytesPerSecondToMegabitsPerSecond(20 * 1048576)).toBeCloseTo(167.772, 3);
    expect(megabitsPerSecondToBytesPerSecond(10000)).toBe(1.25e9);
  });
  it('turns a dirty rate in pages/s into bytes per second with the page size', () => {
    expect(pagesPerSecondToBytesPerSecond(1272, 4096)).toBe(5210112);
  });
});

describe('format helpers', () => {
  it('formats bytes with binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.00 KiB');
    expect(formatBytes(91163000)).toBe('86.94 MiB');
    expect(formatBytes(1.5 * 1024 ** 3, 1)).toBe('1.5 GiB');
    expect(formatBytes(-1)).toBe('-');
    expect(formatBytes(Number.NaN)).toBe('-');
  });
  it('formats rates, link speeds and durations', () => {
    expect(formatBytesPerSecond(245375000)).toBe('234.01 MiB/s');
    expect(formatBitsPerSecond(10000)).toBe('10 Gbit/s');
    expect(formatBitsPerSecond(2500)).toBe('2.5 Gbit/s');
    expect(formatBitsPerSecond(100)).toBe('100 Mbit/s');
    expect(formatMilliseconds(209)).toBe('209 ms');
    expect(formatMilliseconds(1060)).toBe('1.06 s');
    expect(formatMilliseconds(123_000)).toBe('2 min 03 s');
    expect(formatMilliseconds(-5)).toBe('-');
  });
});
