/** The browser's rows: filter and sort over the list items. Pure (unit-tested). */
import type { ReportListItem, ReportRef } from '../../../../shared/ipc/reports-contract';
import { describeOptions } from '../../../../shared/migration/options';
import { migrationStateLabel } from '../../../../shared/migration/state';

export type SortKey = 'vm' | 'route' | 'started' | 'total' | 'downtime' | 'data' | 'result' | 'options';

export const refKey = (r: { readonly origin: ReportRef['origin']; readonly id?: string; readonly record?: { readonly id: string } }): string =>
  `${r.origin}:${r.id ?? r.record?.id ?? ''}`;

export interface Row {
  readonly key: string;
  readonly item: ReportListItem;
  readonly route: string;
  readonly options: string;
}

export function toRows(items: readonly ReportListItem[]): Row[] {
  return items.map((item) => ({
    key: refKey(item),
    item,
    route: `${item.record.source.name} → ${item.record.destination.name}`,
    options: describeOptions(item.record.options),
  }));
}

export interface RowFilter {
  readonly text: string;
  /** A record state, or '' for all. */
  readonly result: string;
  /** A host name (source or destination), or '' for all. */
  readonly host: string;
}

export function filterRows(rows: readonly Row[], f: RowFilter): Row[] {
  // "hvA → hvB" (or "hvA->hvB") is one word: a route, in that direction.
  const arrows = (t: string) => t.toLowerCase().replace(/\s*(?:→|->)\s*/g, '→');
  const words = arrows(f.text).split(/\s+/).filter(Boolean);
  return rows.filter((r) => {
    const rec = r.item.record;
    if (f.result !== '' && rec.state !== f.result) return false;
    if (f.host !== '' && rec.source.name !== f.host && rec.destination.name !== f.host) return false;
    const hay = arrows(`${rec.vm} ${r.route} ${rec.state} ${migrationStateLabel(rec.state).text} ${r.options} ${rec.id} ${r.item.origin === 'imported' ? 'imported' : ''}`);
    return words.every((w) => hay.includes(w));
  });
}

const value = (r: Row, key: SortKey): string | number | undefined => {
  const rec = r.item.record;
  switch (key) {
    case 'vm':
      return rec.vm.toLowerCase();
    case 'route':
      return r.route.toLowerCase();
    case 'started':
      return rec.startedAt;
    case 'total':
      return rec.result.totalTimeMs;
    case 'downtime':
      return rec.result.downtimeMs;
    case 'data':
      return rec.result.dataBytes;
    case 'result':
      return migrationStateLabel(rec.state).text;
    case 'options':
      return r.options;
  }
};

/** Unknown values (a failed run has no downtime) sort last in either direction; ties keep the newest first. */
export function sortRows(rows: readonly Row[], key: SortKey, dir: 'asc' | 'desc'): Row[] {
  const sign = dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const va = value(a, key);
    const vb = value(b, key);
    if (va === undefined || vb === undefined) {
      if (va !== vb) return va === undefined ? 1 : -1;
    } else if (va !== vb) return (va < vb ? -1 : 1) * sign;
    return b.item.record.startedAt - a.item.record.startedAt;
  });
}

export function hostsOf(items: readonly ReportListItem[]): string[] {
  return [...new Set(items.flatMap((i) => [i.record.source.name, i.record.destination.name]))].sort();
}
