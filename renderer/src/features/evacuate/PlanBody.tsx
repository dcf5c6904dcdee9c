/**
 * The plan before anything moves. Rows as main planned them (the ones needing a decision first,
 * highlighted with their reason); per row the VM, its memory, the destination (hosts that cannot take it disabled,
 * with why), the action, the options' profile, the predicted time and whether it converges. The limits per source
 * and per destination (the plan is made again for new ones, keeping the rows the admin changed), the overall
 * estimate, then Start. Hosts can carry thousands of VMs: past a few hundred rows only the visible ones are drawn
 * (VirtualRows.tsx).
 */
import { memo, useId, useState, type CSSProperties } from 'react';
import type { EvacuationLimits, EvacuationPlan, PlanRow } from '../../../../shared/evacuation/schema';
import { describeOptions } from '../../../../shared/migration/options';
import { useActions, useFerry } from '../../store/react';
import { countOf, formatMemory } from '../../view/format';
import { ErrorBanner } from '../common/ErrorBanner';
import { fmtMs } from '../migrate/runView';
import { ACTION_LABELS, actionsFor, CONVERGES_TEXT, endsInPostcopy, planEstimate, POSTCOPY_CONVERGES_TEXT, predictionText, profileOf, startBlockers, UNPREDICTED_MS } from './evacuationView';
import { VirtualRows } from './VirtualRows';
import './evacuate.css';

/** A field's value, read without the DOM's types (this file is also rendered in Node tests). */
const valueOf = (e: { readonly target: unknown }): string => String((e.target as { value?: unknown }).value ?? '');
const ROW_HEIGHT = 38;
const PROBLEM_ROW_HEIGHT = 58;

/** The dialog's content (PlanDialog.tsx puts it in the modal). */
export function PlanBody() {
  const draft = useFerry((s) => s.evacuation.planDraft);
  const { closeEvacuationPlan, startEvacuation } = useActions();
  if (draft === null) return null;
  const plan = draft.plan;
  const blockers = plan === undefined ? [] : startBlockers(plan);
  const problems = plan?.rows.filter((r) => r.problem !== undefined).length ?? 0;
  const busy = draft.phase !== 'ready';
  return (
    <div className="evac-plan">
      <Limits limits={draft.limits} disabled={draft.phase === 'starting'} hostName={draft.hostName} />
      {draft.phase === 'loading' && (
        <p className="loading" role="status">
          <span className="spinner" aria-hidden="true" /> Making the plan…
        </p>
      )}
      {plan !== undefined && (
        <>
          <p className="evac-plan__estimate" data-testid="evacuation-estimate">
            <strong>{countOf(plan.rows.length, 'VM')}</strong>
            {' · '}
            {draft.changed.length === 0 ? plan.estimateText : <EditedEstimate plan={plan} changed={draft.changed.length} />}
          </p>
          {problems > 0 && <ErrorBanner tone="warning" message={`${countOf(problems, 'VM')} need${problems === 1 ? 's' : ''} your decision: listed first, each with the reason.`} />}
          <PlanTable rows={plan.rows} disabled={busy} />
        </>
      )}
      {blockers.length > 0 && (
        <ul className="problems" aria-label="What keeps the plan from starting">
          {blockers.map((b) => (
            <li key={b} className="problem problem--error">
              {b}
            </li>
          ))}
        </ul>
      )}
      {draft.error !== undefined && <ErrorBanner message={draft.error.message} code={draft.error.code} {...(draft.error.detail !== undefined ? { detail: draft.error.detail } : {})} />}
      <div className="dialog__actions">
        <button type="button" className="button" onClick={closeEvacuationPlan}>
          Cancel
        </button>
        <button type="button" className="button button--primary" disabled={busy || plan === undefined || blockers.length > 0} onClick={() => void startEvacuation()}>
          {draft.phase === 'starting' ? 'Starting…' : 'Start evacuation'}
        </button>
      </div>
    </div>
  );
}

/** The estimate for the rows as the admin changed them; main's sentence for its own plan beside it. */
function EditedEstimate({ plan, changed }: { plan: EvacuationPlan; changed: number }) {
  const e = planEstimate(plan);
  return (
    <>
      about {fmtMs(e.ms)} with your changes to {countOf(changed, 'row')}
      {e.postcopy > 0 && `, ${countOf(e.postcopy, 'VM')} ending in post-copy after the first pass`}
      {e.unpredicted > 0 && `, ${countOf(e.unpredicted, 'VM')} without a prediction counted at ${fmtMs(UNPREDICTED_MS)}`}
      <span className="muted"> (Ferry’s plan: {plan.estimateText})</span>
    </>
  );
}

function Limits({ limits, disabled, hostName }: { limits: EvacuationLimits; disabled: boolean; hostName: string }) {
  const { setEvacuationLimits } = useActions();
  // Typed text is kept until it is a valid limit (1..64), so clearing a field to type a new figure works.
  const [text, setText] = useState({ perSource: String(limits.perSource), perDestination: String(limits.perDestination) });
  const change = (key: keyof EvacuationLimits, value: string) => {
    setText((t) => ({ ...t, [key]: value }));
    const n = Number(value);
    if (Number.isInteger(n) && n >= 1 && n <= 64 && n !== limits[key]) void setEvacuationLimits({ ...limits, [key]: n });
  };
  return (
    <fieldset className="evac-plan__limits" disabled={disabled}>
      <legend>At once</legend>
      <label className="field field--inline">
        <span className="field__label">Migrations from {hostName}</span>
        <input className="input input--narrow" type="number" min={1} max={64} value={text.perSource} onChange={(e) => change('perSource', valueOf(e))} />
      </label>
      <label className="field field--inline">
        <span className="field__label">Migrations into each destination</span>
        <input className="input input--narrow" type="number" min={1} max={64} value={text.perDestination} onChange={(e) => change('perDestination', valueOf(e))} />
      </label>
    </fieldset>
  );
}

/** Short headers so the narrow columns read whole; the title says the rest. */
const COLUMNS = [
  { label: 'VM' },
  { label: 'RAM', title: 'Memory of the VM' },
  { label: 'Destination' },
  { label: 'Action' },
  { label: 'Options', title: 'The options’ profile and what differs for this VM; post-copy after the first pass for a live row' },
  { label: 'Predicted', title: 'Predicted total time of the migration' },
  { label: 'Converges' },
] as const;

function PlanTable({ rows, disabled }: { rows: readonly PlanRow[]; disabled: boolean }) {
  return (
    <div className="evac-table" role="table" aria-label="Evacuation plan" aria-rowcount={rows.length + 1}>
      <div role="rowgroup">
        <div role="row" className="evac-row evac-row--head">
          {COLUMNS.map((c) => (
            <div role="columnheader" key={c.label} className="cell" {...('title' in c ? { title: c.title } : {})}>
              {c.label}
            </div>
          ))}
        </div>
      </div>
      <VirtualRows
        count={rows.length}
        keyOf={(i) => rows[i]?.vm ?? String(i)}
        heightOf={(i) => (rows[i]?.problem !== undefined ? PROBLEM_ROW_HEIGHT : ROW_HEIGHT)}
        row={(i, style) => {
          const row = rows[i];
          return row === undefined ? null : <PlanRowView key={row.vm} row={row} index={i} disabled={disabled} {...(style ? { style } : {})} />;
        }}
      />
    </div>
  );
}

const PlanRowView = memo(function PlanRowView({ row, index, disabled, style }: { row: PlanRow; index: number; disabled: boolean; style?: CSSProperties }) {
  const { editPlanRow } = useActions();
  const reasonId = useId();
  const noDestination = row.destinationId === undefined;
  const postcopy = endsInPostcopy(row);
  // A live row that will not converge with any option is the case post-copy exists for: the reason says so.
  const suggest = row.problem?.kind === 'will-not-converge' && row.action === 'live' && !postcopy;
  return (
    <div role="row" aria-rowindex={index + 2} className={`evac-row${row.problem !== undefined ? ' evac-row--problem' : ''}`} style={style} {...(row.problem !== undefined ? { 'aria-describedby': reasonId } : {})}>
      <div role="cell" className="cell cell--name">
        <span className="mono">{row.vm}</span>
        {row.problem !== undefined && (
          <span className="evac-row__reason" id={reasonId}>
            {row.problem.message}
            {suggest && ' Post-copy after the first pass would finish it (Options).'}
          </span>
        )}
      </div>
      <div role="cell" className="cell cell--num">
        {formatMemory(row.memoryBytes)}
      </div>
      <div role="cell" className="cell">
        <select className="input" aria-label={`Destination for ${row.vm}`} value={row.destinationId ?? ''} disabled={disabled} onChange={(e) => editPlanRow(row.vm, { destinationId: valueOf(e) })}>
          {noDestination && <option value="">No destination</option>}
          {row.candidates.map((c) => (
            <option key={c.hostId} value={c.hostId} disabled={c.refusal !== undefined}>
              {c.hostName}
              {c.refusal !== undefined ? ` — ${c.refusal}` : c.freeBytesAfter !== undefined ? ` (${formatMemory(c.freeBytesAfter)} free after)` : ''}
            </option>
          ))}
        </select>
      </div>
      <div role="cell" className="cell">
        <select className="input" aria-label={`Action for ${row.vm}`} value={row.action} disabled={disabled} onChange={(e) => editPlanRow(row.vm, { action: valueOf(e) as PlanRow['action'] })}>
          {actionsFor(row).map((a) => (
            <option key={a} value={a}>
              {ACTION_LABELS[a]}
            </option>
          ))}
        </select>
      </div>
      <div role="cell" className="cell evac-row__options" title={describeOptions(row.options)}>
        <span className="evac-row__profile">{profileOf(row)}</span>
        {row.action === 'live' && (
          <label className="evac-row__postcopy">
            <input type="checkbox" aria-label={`Post-copy for ${row.vm}`} checked={postcopy} disabled={disabled} onChange={() => editPlanRow(row.vm, { postcopy: !postcopy })} />
            post-copy
          </label>
        )}
      </div>
      <div role="cell" className="cell cell--num" title={predictionText(row)}>
        {postcopy ? 'after 1st pass' : row.prediction?.totalMs !== undefined ? fmtMs(row.prediction.totalMs) : '—'}
      </div>
      <div role="cell" className={`cell tone-${postcopy || row.prediction?.converges === 'yes' ? 'ok' : row.prediction?.converges === 'no' ? 'danger' : 'warn'}`} title={predictionText(row)}>
        {postcopy ? POSTCOPY_CONVERGES_TEXT : row.prediction === undefined ? 'not predicted' : CONVERGES_TEXT[row.prediction.converges]}
      </div>
    </div>
  );
});
