/**
 * One evacuation on screen: counts by state, overall progress and main's ETA, each VM's row with its state and a link
 * to its migration's live view, the controls (pause, resume, cancel the rest, abort all: abort asks first) and the
 * report's exports (HTML, PDF, CSV, JSON). Web mode hands an export's bytes to `download` (the layer passes the
 * browser download of the reports, so this view stays free of DOM calls).
 */
import { memo, useState, type CSSProperties } from 'react';
import { EVACUATION_ROW_STATES, type EvacuationRow, type EvacuationView as View } from '../../../../shared/evacuation/schema';
import { REPORT_FORMATS } from '../../../../shared/ipc/reports-contract';
import { useActions, useFerry } from '../../store/react';
import { countOf, formatMemory } from '../../view/format';
import { ErrorBanner } from '../common/ErrorBanner';
import { fmtMs } from '../migrate/runView';
import type { ReportExportResult } from '../../../../shared/ipc/reports-contract';
import { ExportFormatButtons } from '../common/ExportFormatButtons';
import { ACTION_LABELS, countRows, endsInPostcopy, headline, progressOf } from './evacuationView';
import { VirtualRows } from './VirtualRows';
import './evacuate.css';

const RUN_ROW_HEIGHT = 40;

export type Download = (r: Extract<ReportExportResult, { delivery: 'download' }>) => void;

export function EvacuationView({ id, download }: { id: string; download?: Download }) {
  const view = useFerry((s) => s.evacuation.list[id]);
  const { openEvacuation } = useActions();
  if (view === undefined) {
    return (
      <section className="evac-view" aria-label="Evacuation">
        <p className="empty-note" role="status">
          This evacuation is not in main’s list (yet, or any more).
        </p>
        <button type="button" className="button" onClick={() => openEvacuation(null)}>
          Back to inventory
        </button>
      </section>
    );
  }
  const counts = countRows(view);
  const progress = progressOf(view);
  return (
    <section className="evac-view" aria-labelledby="evacuation-title">
      <header className="migration-view__head">
        <h2 id="evacuation-title">Evacuation of {view.hostName}</h2>
        <button type="button" className="button button--quiet" onClick={() => openEvacuation(null)}>
          Back to inventory
        </button>
      </header>
      <p className={`evac-view__headline tone-${view.state === 'ended' ? (view.outcome === 'completed' ? 'ok' : 'warn') : 'pending'}`} role="status" data-testid="evacuation-state">
        {headline(view)}
      </p>
      <progress className="evac-view__progress" max={1} value={progress} aria-label={`Evacuation progress of ${view.hostName}`} />
      <dl className="evac-view__counts" aria-label="Rows by state">
        {EVACUATION_ROW_STATES.map((s) => (
          <div key={s} className={`evac-count evac-count--${s}`}>
            <dt>{s}</dt>
            <dd data-testid={`count-${s}`}>{counts[s]}</dd>
          </div>
        ))}
      </dl>
      <p className="muted">
        {countOf(view.rows.length, 'VM')} · at most {view.limits.perSource} at once from {view.hostName}, {view.limits.perDestination} into each destination
      </p>
      <Controls view={view} />
      <Exports id={view.id} {...(download ? { download } : {})} />
      <RowsTable view={view} />
    </section>
  );
}

function Controls({ view }: { view: View }) {
  const controlling = useFerry((s) => s.evacuation.controlling[view.id]);
  const { controlEvacuation } = useActions();
  const [confirming, setConfirming] = useState(false);
  if (view.state === 'ended') return null;
  const busy = controlling !== undefined;
  const queued = view.rows.some((r) => r.runState === 'queued');
  return (
    <div className="evac-view__controls" role="group" aria-label="Evacuation controls">
      {view.state === 'running' ? (
        <button type="button" className="button" disabled={busy} onClick={() => void controlEvacuation(view.id, 'pause')} title="Running migrations finish; nothing new starts">
          Pause
        </button>
      ) : (
        <button type="button" className="button button--primary" disabled={busy} onClick={() => void controlEvacuation(view.id, 'resume')}>
          Resume
        </button>
      )}
      <button type="button" className="button" disabled={busy || !queued} onClick={() => void controlEvacuation(view.id, 'cancel-rest')} title="Queued VMs stay where they are; running ones finish">
        Cancel the rest
      </button>
      {confirming ? (
        <ErrorBanner tone="warning" message="Abort every running migration (each VM stays on its source) and cancel the rest?">
          <button
            type="button"
            className="button button--danger"
            disabled={busy}
            onClick={() => {
              setConfirming(false);
              void controlEvacuation(view.id, 'abort-all');
            }}
          >
            Abort all
          </button>
          <button type="button" className="button" onClick={() => setConfirming(false)}>
            Keep running
          </button>
        </ErrorBanner>
      ) : (
        <button type="button" className="button button--danger-quiet" disabled={busy} onClick={() => setConfirming(true)}>
          Abort all…
        </button>
      )}
    </div>
  );
}

function Exports({ id, download }: { id: string; download?: Download }) {
  const exporting = useFerry((s) => s.evacuation.exporting);
  const { exportEvacuation } = useActions();
  return (
    <ExportFormatButtons
      what="this evacuation"
      formats={REPORT_FORMATS}
      disabled={exporting !== undefined}
      onExport={async (format) => {
        const r = await exportEvacuation(id, format);
        if (r?.delivery === 'download') download?.(r);
      }}
    />
  );
}

/** Short headers so the narrow columns read whole; the title says the rest. */
const RUN_COLUMNS = [
  { label: 'VM' },
  { label: 'RAM', title: 'Memory of the VM' },
  { label: 'Destination' },
  { label: 'Action' },
  { label: 'State' },
  { label: 'Predicted', title: 'Predicted total time' },
  { label: 'Actual', title: 'Actual total time' },
  { label: 'Downtime', title: 'Time the guest was paused at the switch-over' },
  { label: 'Migration' },
] as const;

function RowsTable({ view }: { view: View }) {
  const names = useFerry((s) => s.inventory.hosts);
  return (
    <div className="evac-table evac-table--run" role="table" aria-label="Evacuation rows" aria-rowcount={view.rows.length + 1}>
      <div role="rowgroup">
        <div role="row" className="evac-row evac-row--run evac-row--head">
          {RUN_COLUMNS.map((c) => (
            <div role="columnheader" key={c.label} className="cell" {...('title' in c ? { title: c.title } : {})}>
              {c.label}
            </div>
          ))}
        </div>
      </div>
      <VirtualRows
        count={view.rows.length}
        keyOf={(i) => view.rows[i]?.vm ?? String(i)}
        heightOf={() => RUN_ROW_HEIGHT}
        row={(i, style) => {
          const r = view.rows[i];
          return r === undefined ? null : <RunRow key={r.vm} row={r} index={i} destination={r.destinationId === undefined ? '—' : (names[r.destinationId]?.record.name ?? r.destinationId)} {...(style ? { style } : {})} />;
        }}
      />
    </div>
  );
}

const RunRow = memo(function RunRow({ row, index, destination, style }: { row: EvacuationRow; index: number; destination: string; style?: CSSProperties }) {
  const { openRun } = useActions();
  return (
    <div role="row" aria-rowindex={index + 2} className={`evac-row evac-row--run state-${row.runState}`} data-state={row.runState} style={style}>
      <div role="cell" className="cell cell--name">
        <span className="mono">{row.vm}</span>
        {row.reason !== undefined && <span className="evac-row__reason">{row.reason}</span>}
      </div>
      <div role="cell" className="cell cell--num">
        {formatMemory(row.memoryBytes)}
      </div>
      <div role="cell" className="cell">
        {destination}
      </div>
      <div role="cell" className="cell">
        {ACTION_LABELS[row.action]}
        {row.action === 'live' && endsInPostcopy(row) && ', post-copy'}
      </div>
      <div role="cell" className={`cell evac-state evac-state--${row.runState}`}>
        {row.runState}
      </div>
      <div role="cell" className="cell cell--num">
        {fmtMs(row.prediction?.totalMs)}
      </div>
      <div role="cell" className="cell cell--num">
        {fmtMs(row.totalTimeMs)}
      </div>
      <div role="cell" className="cell cell--num">
        {fmtMs(row.downtimeMs)}
      </div>
      <div role="cell" className="cell">
        {row.migrationId !== undefined ? (
          <button type="button" className="button button--quiet" onClick={() => openRun(row.migrationId ?? null)} aria-label={`Live view of ${row.vm}`}>
            {row.runState === 'running' ? 'Live view' : 'Details'}
          </button>
        ) : (
          '—'
        )}
      </div>
    </div>
  );
});
