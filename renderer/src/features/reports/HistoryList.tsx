/**
 * Every migration, the journal's and imported ones: filter (text, result, host), sort by any column, select several
 * (a host evacuation) to export or compare. Rows are virtualised: a long history keeps a screenful in the DOM.
 */
import { useMemo, useRef, type ChangeEvent } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { MIGRATION_STATES, migrationStateLabel } from '../../../../shared/migration/state';
import { formatBytes, formatMilliseconds } from '../../../../shared/units';
import { utc } from '../../../../shared/reports/html';
import { ExportButtons } from './ExportButtons';
import { filterRows, hostsOf, sortRows, toRows, type Row, type SortKey } from './rows';
import { useReports, useReportsActions } from './reportsStore';
import { countOf, formatCount } from '../../../../shared/count';

const COLUMNS: readonly { key: SortKey; label: string; num?: boolean }[] = [
  { key: 'vm', label: 'VM' },
  { key: 'route', label: 'Source → destination' },
  { key: 'started', label: 'Started (UTC)' },
  { key: 'total', label: 'Total time', num: true },
  { key: 'downtime', label: 'Downtime', num: true },
  { key: 'data', label: 'Data sent', num: true },
  { key: 'result', label: 'Result' },
  { key: 'options', label: 'Options' },
];
const ROW_HEIGHT = 34;
const dash = (v: number | undefined, f: (n: number) => string) => (v === undefined ? '—' : f(v));

export function HistoryList() {
  const items = useReports((s) => s.items);
  const loading = useReports((s) => s.loading);
  const filter = useReports((s) => s.filter);
  const sort = useReports((s) => s.sort);
  const selected = useReports((s) => s.selected);
  const { setFilter, sortBy, toggle, setSelection, openDetail, openCompare, importFile } = useReportsActions();
  const rows = useMemo(() => sortRows(filterRows(toRows(items), filter), sort.key, sort.dir), [items, filter, sort]);
  const hosts = useMemo(() => hostsOf(items), [items]);
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 8 });
  const chosen = rows.filter((r) => selected.has(r.key));
  const selectedKeys = [...selected];
  const pair = chosen.length === 2 && chosen[0] && chosen[1] && chosen[0].item.record.vm === chosen[1].item.record.vm ? ([chosen[0], chosen[1]] as const) : undefined;
  const vItems = virtual.getVirtualItems();
  const padTop = vItems[0]?.start ?? 0;
  const padBottom = virtual.getTotalSize() - (vItems.at(-1)?.end ?? 0);
  const allShown = rows.length > 0 && rows.every((r) => selected.has(r.key));

  const onImport = (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (file) void importFile(file);
  };

  return (
    <section className="reports__list" aria-label="Migration history browser">
      <div className="reports__toolbar" role="search">
        <input type="search" placeholder="Filter: VM, host, option…" aria-label="Filter migrations" value={filter.text} onChange={(e) => setFilter({ text: e.target.value })} />
        <select aria-label="Result" value={filter.result} onChange={(e) => setFilter({ result: e.target.value })}>
          <option value="">All results</option>
          {MIGRATION_STATES.map((s) => (
            <option key={s} value={s}>
              {migrationStateLabel(s).text}
            </option>
          ))}
        </select>
        <select aria-label="Host" value={filter.host} onChange={(e) => setFilter({ host: e.target.value })}>
          <option value="">All hosts</option>
          {hosts.map((h) => (
            <option key={h} value={h}>
              {h}
            </option>
          ))}
        </select>
        <span className="muted" aria-live="polite">
          {loading ? 'Loading…' : `${formatCount(rows.length)} of ${countOf(items.length, 'migration')}`}
        </span>
        <span className="reports__spacer" />
        <label className="button">
          Import report (JSON)…
          <input type="file" accept=".json,application/json" className="visually-hidden" aria-label="Import report (JSON)" onChange={onImport} />
        </label>
      </div>
      <div className="reports__toolbar">
        <span>{selected.size} selected</span>
        <ExportButtons keys={selectedKeys} what="selected" />
        <button
          type="button"
          className="button"
          disabled={pair === undefined}
          title={pair ? undefined : 'Select two migrations of the same VM'}
          onClick={() => pair && void openCompare(pair[0].key, pair[1].key)}
        >
          Compare selected
        </button>
      </div>
      <div className="reports__scroll" ref={scroller}>
        <table className="history reports__table" aria-label="Migrations" aria-rowcount={rows.length + 1}>
          <thead>
            <tr>
              <th>
                <input type="checkbox" aria-label="Select all shown" checked={allShown} onChange={() => setSelection(allShown ? [] : rows.map((r) => r.key))} />
              </th>
              {COLUMNS.map((c) => (
                <th key={c.key} aria-sort={sort.key === c.key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'} className={c.num ? 'num' : undefined}>
                  <button type="button" className="button--link reports__sort" onClick={() => sortBy(c.key)}>
                    {c.label}
                    {sort.key === c.key ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {padTop > 0 && <tr style={{ height: padTop }} aria-hidden="true" />}
            {vItems.map((v) => {
              const r = rows[v.index] as Row;
              return <HistoryRow key={r.key} row={r} index={v.index} checked={selected.has(r.key)} onToggle={toggle} onOpen={openDetail} />;
            })}
            {padBottom > 0 && <tr style={{ height: padBottom }} aria-hidden="true" />}
          </tbody>
        </table>
        {!loading && items.length === 0 && <p className="muted reports__empty">No migrations yet. Every migration Ferry runs is recorded here; reports from elsewhere can be imported.</p>}
      </div>
    </section>
  );
}

function HistoryRow({ row, index, checked, onToggle, onOpen }: { row: Row; index: number; checked: boolean; onToggle: (k: string) => void; onOpen: (k: string) => Promise<void> }) {
  const rec = row.item.record;
  const started = utc(rec.startedAt);
  const state = migrationStateLabel(rec.state);
  return (
    <tr className="history__row" aria-rowindex={index + 2} style={{ height: ROW_HEIGHT }}>
      <td>
        <input type="checkbox" checked={checked} onChange={() => onToggle(row.key)} aria-label={`Select ${rec.vm} ${rec.source.name} → ${rec.destination.name} at ${started}`} />
      </td>
      <td>
        <button type="button" className="button--link" onClick={() => void onOpen(row.key)} aria-label={`Open ${rec.vm} ${rec.source.name} → ${rec.destination.name} at ${started}`}>
          {rec.vm}
        </button>
        {rec.purpose === 'trial' && (
          <span className="reports__tag" title="A trial pre-copy: aborted on purpose after a few passes, to measure the VM">
            trial
          </span>
        )}
        {row.item.origin === 'imported' && (
          <span className="reports__tag" title={row.item.importedFrom ? `Imported from ${row.item.importedFrom}` : 'Imported'}>
            imported
          </span>
        )}
      </td>
      <td>{row.route}</td>
      <td>{started.replace(' UTC', '')}</td>
      <td className="num">{dash(rec.result.totalTimeMs, formatMilliseconds)}</td>
      <td className="num">{dash(rec.result.downtimeMs, formatMilliseconds)}</td>
      <td className="num">{dash(rec.result.dataBytes, (b) => formatBytes(b))}</td>
      <td className={`tone-${state.tone}`} title={rec.result.error?.message}>
        {state.text}
      </td>
      <td className="reports__options" title={row.options}>
        {row.options}
      </td>
    </tr>
  );
}
