import { describe, expect, it } from 'vitest';
import { byUrgency } from '../../renderer/src/features/migrate/PreflightList';

describe('pre-flight list order', () => {
  it('puts failures, then warnings, before passes, keeping the checks order within each', () => {
    const checks = [
      { id: 'p2p', status: 'pass' },
      { id: 'cpu', status: 'warn' },
      { id: 'versions', status: 'pass' },
      { id: 'tls', status: 'fail' },
      { id: 'mtu', status: 'warn' },
      { id: 'ports', status: 'fail' },
    ] as const;
    expect(byUrgency(checks).map((c) => c.id)).toEqual(['tls', 'ports', 'cpu', 'mtu', 'p2p', 'versions']);
    expect(checks.map((c) => c.id)).toEqual(['p2p', 'cpu', 'versions', 'tls', 'mtu', 'ports']); // not sorted in place
  });
});
