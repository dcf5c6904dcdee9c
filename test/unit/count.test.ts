// Counts read the same everywhere: grouped digits and the right number of the noun.
import { describe, expect, it } from 'vitest';
import { countOf, formatCount } from '../../shared/count';
import { summaryParts } from '../../renderer/src/view/hosts';

describe('counts in words', () => {
  it('says "1 VM", "0 VMs" and "5,000 VMs", with irregular plurals given', () => {
    expect(countOf(1, 'VM')).toBe('1 VM');
    expect(countOf(0, 'VM')).toBe('0 VMs');
    expect(countOf(5000, 'VM')).toBe('5,000 VMs');
    expect(countOf(1, 'pass', 'passes')).toBe('1 pass');
    expect(countOf(20, 'pass', 'passes')).toBe('20 passes');
    expect(countOf(1_234_567, 'sample')).toBe('1,234,567 samples');
  });

  it('groups digits without the machine locale, keeps fractions and signs, and shows a dash for no number', () => {
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1000)).toBe('1,000');
    expect(formatCount(-12345)).toBe('-12,345');
    expect(formatCount(1234.5)).toBe('1,234.5');
    expect(formatCount(Number.NaN)).toBe('—');
  });

  it("the host list reads '1 VM (1 on)' and '5,000 VMs (5,000 on)'", () => {
    const parts = (n: number) => summaryParts({ vmCount: n, running: n, vcpusUsed: 0, cpuCount: undefined, memoryUsed: 0, memoryBytes: undefined }).vms;
    expect(parts(1)).toBe('1 VM (1 on)');
    expect(parts(5000)).toBe('5,000 VMs (5,000 on)');
  });
});
