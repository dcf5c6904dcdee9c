// Where each VM of a host goes when it is emptied: memory counted with what the plan already sends, CPU verdicts,
// maintenance and unreachable hosts refused with a sentence, problems first, nothing dropped.
import { describe, expect, it } from 'vitest';
import { freeBytes, planRows, reservedBytes, type PlacementInput } from '../../shared/evacuation/placement';
import type { PlanRow, RowPrediction } from '../../shared/evacuation/schema';
import type { HostView, VmSummary } from '../../shared/inventory/types';
import { BUILT_IN_PROFILES } from '../../shared/migration/options';
import { hostView } from './ipc-harness';

const GiB = 1024 ** 3;
const FAST_LAN = BUILT_IN_PROFILES[0]!.options;

function host(id: string, memoryGiB: number, vms: VmSummary[] = [], patch: Partial<HostView> = {}): HostView {
  const v = hostView(id);
  return {
    ...v,
    record: { ...v.record, name: id },
    facts: { hostname: id, libvirtVersion: '9.0.0', hypervisor: 'QEMU 7.2', cpuModel: 'x', cpuCount: 4, memoryBytes: memoryGiB * GiB, nics: [], collectedAt: '' },
    vms,
    ...patch,
  };
}
const vm = (name: string, memGiB: number, state: VmSummary['state'] = 'running', persistent = true): VmSummary => ({ name, state, memoryBytes: memGiB * GiB, persistent });
const predicted = (totalMs: number, extra: Partial<RowPrediction> = {}): RowPrediction => ({ converges: 'yes', totalMs, text: `about ${totalMs} ms`, ...extra });

/** Every VM compatible with every host and predicted at `ms[vm]` (1 s when not given). */
function input(source: HostView, others: HostView[], ms: Record<string, number> = {}, patch: Partial<PlacementInput> = {}): PlacementInput {
  const cpu: Record<string, Record<string, 'compatible'>> = {};
  const predictions: Record<string, Record<string, RowPrediction>> = {};
  for (const v of source.vms ?? []) {
    cpu[v.name] = Object.fromEntries(others.map((h) => [h.record.id, 'compatible' as const]));
    predictions[v.name] = Object.fromEntries(others.map((h) => [h.record.id, predicted(ms[v.name] ?? 1000)]));
  }
  return { source, others, cpu, predictions, defaultOptions: FAST_LAN, profiles: BUILT_IN_PROFILES, ...patch };
}
const byVm = (rows: PlanRow[], name: string): PlanRow => {
  const r = rows.find((x) => x.vm === name);
  if (!r) throw new Error(`no row for ${name}`);
  return r;
};

describe('freeBytes', () => {
  it('is memory minus running guests minus the reserve', () => {
    const h = host('B', 16, [vm('a', 2), vm('off', 4, 'shut-off'), vm('p', 1, 'paused')]);
    expect(freeBytes(h)).toBe(16 * GiB - 3 * GiB - reservedBytes(16 * GiB));
    expect(reservedBytes(4 * GiB)).toBe(GiB);
    expect(reservedBytes(64 * GiB)).toBe(Math.round(6.4 * GiB));
  });
});

describe('planRows', () => {
  it('two VMs that each fit a host but not together go to two hosts', () => {
    // B and C: 10 GiB each, 1 GiB reserved -> 9 GiB free; two 5 GiB VMs cannot share one.
    const src = host('A', 32, [vm('x', 5), vm('y', 5)]);
    const rows = planRows(input(src, [host('B', 10), host('C', 10)]));
    expect(new Set(rows.map((r) => r.destinationId))).toEqual(new Set(['B', 'C']));
    // The second one placed sees the first: its candidate list says the other host has no room left.
    const second = rows.find((r) => r.candidates.some((c) => c.refusal?.startsWith('not enough memory')));
    expect(second).toBeDefined();
  });

  it('picks the least loaded host, counting the plan so far', () => {
    const src = host('A', 64, [vm('big', 8), vm('small', 3)]);
    const B = host('B', 24);
    const C = host('C', 16, []);
    const rows = planRows(input(src, [B, C]));
    // B free: 24 - 2.4 = 21.6; C free: 16 - 1.6 = 14.4. big -> B (13.6 left); small -> C (11.4) over B (10.6).
    expect(byVm(rows, 'big').destinationId).toBe('B');
    expect(byVm(rows, 'small').destinationId).toBe('C');
    const freeC = byVm(rows, 'small').candidates.find((c) => c.hostId === 'C')?.freeBytesAfter;
    expect(freeC).toBe(16 * GiB - reservedBytes(16 * GiB) - 3 * GiB);
  });

  it('refuses a CPU-incompatible host with libvirt reason, and marks an unknown verdict', () => {
    const src = host('A', 32, [vm('v', 1)]);
    const B = host('B', 64);
    const C = host('C', 16);
    const rows = planRows(input(src, [B, C], {}, { cpu: { v: { B: { incompatible: 'Host CPU does not provide required features: avx512f' }, C: 'compatible' } } }));
    const r = byVm(rows, 'v');
    expect(r.destinationId).toBe('C');
    expect(r.candidates.find((c) => c.hostId === 'B')?.refusal).toBe('CPU incompatible: Host CPU does not provide required features: avx512f');
    expect(r.problem).toBeUndefined();

    const unknown = planRows(input(src, [B], {}, { cpu: {} }));
    expect(unknown[0]?.destinationId).toBe('B');
    expect(unknown[0]?.problem?.kind).toBe('cpu-unknown');
  });

  it('prefers a host whose CPU is known compatible over a roomier one not checked', () => {
    const src = host('A', 32, [vm('v', 1)]);
    const rows = planRows(input(src, [host('B', 64), host('C', 8)], {}, { cpu: { v: { C: 'compatible' } } }));
    expect(rows[0]?.destinationId).toBe('C');
  });

  it('never sends to a host in maintenance, to an unreachable host, or back to the source', () => {
    const src = host('A', 32, [vm('v', 1)]);
    const B = host('B', 64, [], { record: { ...hostView('B').record, name: 'B', maintenance: { since: '2026-01-01T00:00:00Z' } } });
    const C = host('C', 64, [], { connection: { state: 'unreachable', reason: 'connection refused' } });
    const D = host('D', 8);
    const rows = planRows(input(src, [src, B, C, D]));
    const r = byVm(rows, 'v');
    expect(r.destinationId).toBe('D');
    expect(r.candidates.map((c) => [c.hostId, c.refusal])).toEqual([
      ['B', 'in maintenance'],
      ['C', 'not connected (unreachable: connection refused)'],
      ['D', undefined],
    ]);
  });

  it('a VM that fits nowhere is kept, first, with every reason', () => {
    const src = host('A', 64, [vm('huge', 30), vm('ok', 1)]);
    const rows = planRows(input(src, [host('B', 16)], { ok: 500 }));
    expect(rows.map((r) => r.vm)).toEqual(['huge', 'ok']);
    expect(rows[0]?.problem?.kind).toBe('no-destination');
    expect(rows[0]?.problem?.message).toMatch(/^No host can take huge: B: not enough memory/);
    expect(rows[0]?.destinationId).toBeUndefined();
    expect(rows[0]?.action).toBe('skip');
  });

  it('orders problems first, then quickest predicted first', () => {
    const src = host('A', 64, [vm('slow', 1), vm('quick', 1), vm('stuck', 1), vm('unknown', 1), vm('off', 1, 'shut-off')]);
    const B = host('B', 64);
    const base = input(src, [B], { slow: 9000, quick: 1000 });
    const predictions = {
      ...base.predictions,
      stuck: { B: { converges: 'no' as const, text: 'dirties memory faster than the link' } },
      unknown: { B: { converges: 'uncertain' as const, text: 'cannot predict: no history' } },
    };
    const rows = planRows({ ...base, predictions });
    expect(rows.map((r) => [r.vm, r.problem?.kind])).toEqual([
      ['stuck', 'will-not-converge'],
      ['unknown', 'not-predictable'],
      ['off', 'stopped'],
      ['quick', undefined],
      ['slow', undefined],
    ]);
  });

  it('offers --offline for a stopped persistent VM, which takes no memory where it lands', () => {
    const src = host('A', 64, [vm('off', 12, 'shut-off')]);
    const rows = planRows(input(src, [host('B', 8)]));
    expect(rows[0]).toMatchObject({ action: 'offline', destinationId: 'B', options: { offline: true, persistent: true, p2p: true, undefineSource: true } });
    expect(rows[0]?.problem?.kind).toBe('stopped');
  });

  it("uses the recommended profile's options, and keeps a transient VM transient", () => {
    const src = host('A', 64, [vm('t', 1, 'running', false), vm('p', 1)]);
    const B = host('B', 64);
    const base = input(src, [B]);
    const wan = BUILT_IN_PROFILES.find((p) => p.id === 'wan-tls')!;
    const rows = planRows({ ...base, predictions: { ...base.predictions, p: { B: predicted(2000, { profile: wan.name }) } } });
    expect(byVm(rows, 'p').options).toEqual(wan.options);
    expect(byVm(rows, 't').options).toEqual({ live: true, p2p: true, autoConverge: true });
    expect(byVm(rows, 't').action).toBe('live');
  });
});
