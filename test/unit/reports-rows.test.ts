// The history browser's rows: filter by text, result and host; sort by each column with unknown values last.
import { describe, expect, it } from 'vitest';
import type { ReportListItem } from '../../shared/ipc/reports-contract';
import { filterRows, hostsOf, sortRows, toRows } from '../../renderer/src/features/reports/rows';

function item(id: string, vm: string, src: string, dst: string, state: ReportListItem['record']['state'], startedAt: number, total?: number, origin: ReportListItem['origin'] = 'journal'): ReportListItem {
  return {
    origin,
    record: {
      id,
      vm,
      source: { id: src, name: src },
      destination: { id: dst, name: dst },
      options: id === 'm3' ? { live: true, tls: true } : { live: true },
      commandLine: '',
      preflight: [],
      state,
      startedAt,
      result: total === undefined ? {} : { totalTimeMs: total },
      events: [],
    },
  };
}

const items = [
  item('m1', 'vm1', 'hvA', 'hvB', 'completed', 100, 6000),
  item('m2', 'vmd', 'hvA', 'hvC', 'failed', 200),
  item('m3', 'web-01', 'hvB', 'hvC', 'completed', 300, 2000),
  item('m1', 'vm1', 'hvA', 'hvB', 'completed', 100, 6000, 'imported'),
];
const rows = toRows(items);
const ids = (rs: ReturnType<typeof toRows>) => rs.map((r) => r.key);

describe('history rows', () => {
  it('keys the same id from the journal and from an import apart', () => {
    expect(ids(rows)).toEqual(['journal:m1', 'journal:m2', 'journal:m3', 'imported:m1']);
  });

  it('filters by words (VM, host, option, "imported"), by result and by host', () => {
    expect(ids(filterRows(rows, { text: 'hvc', result: '', host: '' }))).toEqual(['journal:m2', 'journal:m3']);
    expect(ids(filterRows(rows, { text: 'tls', result: '', host: '' }))).toEqual(['journal:m3']);
    expect(ids(filterRows(rows, { text: 'hvB → hvC', result: '', host: '' }))).toEqual(['journal:m3']);
    expect(ids(filterRows(rows, { text: 'hva->hvb', result: '', host: '' }))).toEqual(['journal:m1', 'imported:m1']);
    expect(ids(filterRows(rows, { text: 'vm1 imported', result: '', host: '' }))).toEqual(['imported:m1']);
    expect(ids(filterRows(rows, { text: '', result: 'failed', host: '' }))).toEqual(['journal:m2']);
    expect(ids(filterRows(rows, { text: '', result: 'completed', host: 'hvB' }))).toEqual(['journal:m1', 'journal:m3', 'imported:m1']);
  });

  it('sorts each way; a run without a total time sorts last either way', () => {
    expect(ids(sortRows(rows, 'total', 'asc'))).toEqual(['journal:m3', 'journal:m1', 'imported:m1', 'journal:m2']);
    expect(ids(sortRows(rows, 'total', 'desc'))).toEqual(['journal:m1', 'imported:m1', 'journal:m3', 'journal:m2']);
    expect(ids(sortRows(rows, 'started', 'desc'))[0]).toBe('journal:m3');
    expect(ids(sortRows(rows, 'vm', 'asc')).at(-1)).toBe('journal:m3');
  });

  it('lists every host once, sorted', () => {
    expect(hostsOf(items)).toEqual(['hvA', 'hvB', 'hvC']);
  });
});
