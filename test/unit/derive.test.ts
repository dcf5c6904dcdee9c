import { describe, expect, it } from 'vitest';
import { counterRate, deriveJobFigures } from '../../shared/migration/derive';
import type { DomainJobInfo } from '../../shared/parsers/virsh-domjobinfo';

const MiB = 1024 * 1024;
const running = (fields: Partial<DomainJobInfo>): DomainJobInfo => ({
  format: 'human',
  type: 'unbounded',
  operation: 'outgoing-migration',
  ...fields,
});

describe('derived migration figures', () => {
  it('turns the dirty rate from pages/s into bytes/s with the page size', () => {
    const f = deriveJobFigures(running({ timeElapsedMs: 1000, dirtyRatePagesPerSecond: 1279, pageSizeBytes: 4096 }));
    expect(f.dirtyRateBytesPerSecond).toBe(1279 * 4096);
  });

  it('takes the throughput QEMU reports when there is one', () => {
    const f = deriveJobFigures(running({ timeElapsedMs: 1026, memoryBandwidthBytesPerSecond: 10.02 * MiB }));
    expect(f).toMatchObject({ throughputBytesPerSecond: 10.02 * MiB, throughputSource: 'reported' });
  });

  it('computes the throughput from the processed counter when virsh hides the bandwidth line', () => {
    const prev = running({ timeElapsedMs: 40_000, memoryProcessedBytes: 500 * 1024 });
    const cur = running({ timeElapsedMs: 42_000, memoryProcessedBytes: 511 * 1024 });
    expect(deriveJobFigures(cur, prev)).toMatchObject({ throughputBytesPerSecond: 5.5 * 1024, throughputSource: 'counter' });
  });

  it('reports a stall as zero throughput from the counter, not as a missing value', () => {
    const prev = running({ timeElapsedMs: 30_000, memoryProcessedBytes: 523_383 });
    const cur = running({ timeElapsedMs: 31_000, memoryProcessedBytes: 523_383 });
    expect(deriveJobFigures(cur, prev).throughputBytesPerSecond).toBe(0);
  });

  it('gives no throughput without a previous sample of the same job', () => {
    const cur = running({ timeElapsedMs: 2000, memoryProcessedBytes: 10 * MiB });
    expect(deriveJobFigures(cur).throughputBytesPerSecond).toBeUndefined();
    const otherJob = running({ timeElapsedMs: 9000, memoryProcessedBytes: 80 * MiB });
    expect(deriveJobFigures(cur, otherJob).throughputBytesPerSecond).toBeUndefined();
  });

  it('keeps fields virsh did not print absent', () => {
    const f = deriveJobFigures(running({ timeElapsedMs: 4187 }));
    expect(f).toEqual({ elapsedMs: 4187 });
  });

  it('computes the share of memory already sent in this pass', () => {
    const f = deriveJobFigures(running({ memoryTotalBytes: 128 * MiB, memoryRemainingBytes: 32 * MiB }));
    expect(f.passProgress).toBeCloseTo(0.75);
  });
});

describe('counter rate', () => {
  it('is undefined for a missing value, a non-positive time delta or a counter that went backwards', () => {
    expect(counterRate(undefined, { value: 1, atMs: 1 })).toBeUndefined();
    expect(counterRate({ value: 1, atMs: 5 }, { value: 2, atMs: 5 })).toBeUndefined();
    expect(counterRate({ value: 1, atMs: 6 }, { value: 2, atMs: 5 })).toBeUndefined();
    expect(counterRate({ value: 9, atMs: 1 }, { value: 2, atMs: 5 })).toBeUndefined();
    expect(counterRate({ atMs: 1 }, { value: 2, atMs: 5 })).toBeUndefined();
    expect(counterRate({ value: 0, atMs: 0 }, { value: 2000, atMs: 500 })).toBe(4000);
  });
});
