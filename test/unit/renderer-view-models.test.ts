import { describe, expect, it } from 'vitest';
import type { ConnectionState, HostView, VmSummary } from '../../shared/inventory/types';
import { connectionBadge } from '../../renderer/src/view/connection';
import { formatAge, formatCount, formatMemory } from '../../renderer/src/view/format';
import { hostSummary, sortHosts, summaryParts } from '../../renderer/src/view/hosts';
import { collectRows, countByState, filterRows, nextSort, sortRows, type VmRow } from '../../renderer/src/view/vmRows';

const GiB = 1024 ** 3;
const key = { host: '10.0.0.1', port: 22, keyType: 'ssh-ed25519', fingerprint: 'SHA256:abc' };

function host(id: string, name: string, vms: VmSummary[] | undefined, extra: Partial<HostView> = {}): HostView {
  const base: HostView = {
    record: { id, name, address: '10.0.0.1', port: 22, user: 'root', auth: { kind: 'agent' }, addedAt: '2026-01-01T00:00:00Z', source: 'manual' },
    connection: { state: 'connected', since: '2026-01-01T00:00:00Z' },
    ...extra,
  };
  return vms === undefined ? base : { ...base, vms };
}
const vm = (name: string, state: VmSummary['state'], memoryBytes?: number, vcpus?: number): VmSummary => ({
  name,
  state,
  ...(memoryBytes === undefined ? {} : { memoryBytes }),
  ...(vcpus === undefined ? {} : { vcpus }),
});

describe('connection badge', () => {
  const cases: [ConnectionState, string, string][] = [
    [{ state: 'connected', since: 'x' }, 'Connected', 'ok'],
    [{ state: 'connecting', since: 'x' }, 'Connecting', 'pending'],
    [{ state: 'idle' }, 'Not connected', 'idle'],
    [{ state: 'unreachable', reason: 'timed out' }, 'Unreachable', 'warn'],
    [{ state: 'auth-failed', reason: 'refused' }, 'Auth failed', 'warn'],
    [{ state: 'host-key-unknown', reason: 'new', key }, 'Key not trusted', 'warn'],
    [{ state: 'host-key-changed', reason: 'changed', key, knownFingerprint: 'SHA256:old' }, 'Host key changed', 'danger'],
    [{ state: 'passphrase-needed', reason: 'encrypted' }, 'Locked', 'warn'],
    [{ state: 'error', reason: 'virsh failed' }, 'Error', 'warn'],
  ];
  it.each(cases)('shows %j as "%s" in tone %s', (state, label, tone) => {
    const b = connectionBadge(state);
    expect(b.label).toBe(label);
    expect(b.tone).toBe(tone);
  });
  it('carries the reason and the raw detail of a failure, and says a changed key needs the admin', () => {
    const b = connectionBadge({ state: 'unreachable', reason: 'No answer within 10 s.', detail: 'connect ETIMEDOUT' });
    expect(b).toMatchObject({ reason: 'No answer within 10 s.', detail: 'connect ETIMEDOUT', needsAction: false });
    expect(connectionBadge({ state: 'host-key-changed', reason: 'r', key, knownFingerprint: 'o' }).needsAction).toBe(true);
    expect(connectionBadge({ state: 'connected', since: 'x' }).reason).toBeUndefined();
  });
});

describe('VM rows', () => {
  const hosts = {
    b: host('b', 'hv10', [vm('web-2', 'running', 2 * GiB, 2), vm('db-1', 'shut-off', 8 * GiB, 4)]),
    a: host('a', 'hv2', [vm('web-10', 'running', 4 * GiB, 8), vm('web-1', 'paused'), vm('Cache', 'crashed', GiB, 1)]),
    c: host('c', 'hv3', undefined),
  };
  const all = collectRows(hosts, null);
  const names = (rows: readonly VmRow[]) => rows.map((r) => r.vm.name);

  it('lists every host’s VMs with host names in natural order and stable keys', () => {
    expect(all.map((r) => r.key)).toEqual(['a/web-10', 'a/web-1', 'a/Cache', 'b/web-2', 'b/db-1']);
    expect(all[3]?.hostName).toBe('hv10');
    expect(names(collectRows(hosts, 'b'))).toEqual(['web-2', 'db-1']);
    expect(collectRows(hosts, 'gone')).toEqual([]);
  });
  it('keeps the row objects of a host that did not change, so its rows do not re-render', () => {
    const again = collectRows({ ...hosts, b: host('b', 'hv10', [vm('web-2', 'paused')]) }, null);
    expect(again[0]).toBe(all[0]);
    expect(again[3]).not.toBe(all[3]);
  });
  it('filters by name case-insensitively and by state', () => {
    expect(names(filterRows(all, { text: ' WEB ', state: 'all' }))).toEqual(['web-10', 'web-1', 'web-2']);
    expect(names(filterRows(all, { text: 'web', state: 'running' }))).toEqual(['web-10', 'web-2']);
    expect(names(filterRows(all, { text: 'nothing', state: 'all' }))).toEqual([]);
    expect(filterRows(all, { text: '', state: 'all' })).toBe(all);
  });
  it('sorts names naturally and numbers with unknown values last in both directions', () => {
    expect(names(sortRows(all, { column: 'name', direction: 'asc' }))).toEqual(['Cache', 'db-1', 'web-1', 'web-2', 'web-10']);
    expect(names(sortRows(all, { column: 'memory', direction: 'desc' }))).toEqual(['db-1', 'web-10', 'web-2', 'Cache', 'web-1']);
    expect(names(sortRows(all, { column: 'memory', direction: 'asc' }))).toEqual(['Cache', 'web-2', 'web-10', 'db-1', 'web-1']);
    expect(names(sortRows(all, { column: 'state', direction: 'asc' }))).toEqual(['web-2', 'web-10', 'web-1', 'Cache', 'db-1']);
    expect(names(sortRows(all, { column: 'host', direction: 'desc' }))).toEqual(['db-1', 'web-2', 'Cache', 'web-1', 'web-10']);
  });
  it('sorts a new column ascending (numbers biggest first) and flips the same column', () => {
    expect(nextSort({ column: 'name', direction: 'asc' }, 'name')).toEqual({ column: 'name', direction: 'desc' });
    expect(nextSort({ column: 'name', direction: 'asc' }, 'vcpus')).toEqual({ column: 'vcpus', direction: 'desc' });
    expect(nextSort({ column: 'vcpus', direction: 'desc' }, 'host')).toEqual({ column: 'host', direction: 'asc' });
  });
  it('counts VMs per state', () => {
    expect(Object.fromEntries(countByState(all))).toEqual({ running: 2, paused: 1, crashed: 1, 'shut-off': 1 });
  });
  it('sorts and filters 5,000 rows in well under a frame budget', () => {
    const many = host('m', 'big', Array.from({ length: 5000 }, (_, i) => vm(`vm-${i}`, i % 3 ? 'running' : 'shut-off', (i % 7) * GiB, i % 9)));
    const rows = collectRows({ m: many }, null);
    const t0 = performance.now();
    const out = sortRows(filterRows(rows, { text: 'vm-1', state: 'running' }), { column: 'memory', direction: 'desc' });
    expect(out.length).toBeGreaterThan(500);
    expect(performance.now() - t0).toBeLessThan(100);
  });
});

describe('host summary and formatting', () => {
  it('counts VMs that hold resources (running, paused, idle) against the host’s CPUs and memory', () => {
    const h = host('a', 'hvA', [vm('a', 'running', 2 * GiB, 2), vm('b', 'paused', GiB, 1), vm('c', 'shut-off', 8 * GiB, 8)], {
      facts: { hostname: 'a', libvirtVersion: '9.0.0', hypervisor: 'QEMU 7.2', cpuModel: 'x', cpuCount: 8, memoryBytes: 32 * GiB, nics: [], collectedAt: 'x' },
    });
    expect(summaryParts(hostSummary(h))).toEqual({ vms: '3 VMs (2 on)', cpu: 'vCPU 3/8', mem: 'Mem 3/32 GiB' });
    expect(summaryParts(hostSummary(host('b', 'hvB', undefined)))).toEqual({ vms: 'VMs —', cpu: 'CPU —', mem: 'Mem —' });
  });
  it('orders hosts by name with numbers compared as numbers', () => {
    expect(sortHosts([host('1', 'hv10', []), host('2', 'hv9', []), host('3', 'HV1', [])]).map((h) => h.record.name)).toEqual(['HV1', 'hv9', 'hv10']);
  });
  it('formats memory, counts and ages for dense tables', () => {
    expect([formatMemory(512 * 1024 ** 2), formatMemory(4 * GiB), formatMemory(31.3 * GiB), formatMemory(undefined)]).toEqual(['512 MiB', '4 GiB', '31.3 GiB', '—']);
    expect(formatCount(1234567)).toBe('1,234,567');
    const now = Date.parse('2026-05-04T12:00:00Z');
    expect(formatAge('2026-05-04T11:59:58Z', now)).toBe('just now');
    expect(formatAge('2026-05-04T11:59:18Z', now)).toBe('42 s ago');
    expect(formatAge('2026-05-04T11:57:00Z', now)).toBe('3 min ago');
    expect(formatAge(undefined, now)).toBe('never');
  });
});
