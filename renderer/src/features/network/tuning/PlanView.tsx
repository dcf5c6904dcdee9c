/** The dry-run diff of a tuning plan: the figures it rests on, one row per change (checkbox, current -> proposed, why, the exact commands), and what was not proposed. */
import type { ReactNode } from 'react';
import type { TuningContext, TuningPlan } from '../../../../../shared/tuning/types';
import { shJoin } from '../../../../../shared/shell/quote';
import { formatBitsPerSecond, formatBytes } from '../../../../../shared/units';

export function contextLine(c: TuningContext): string {
  const parts: string[] = [];
  if (c.peer) parts.push(`towards ${c.peer.name} (${c.peer.address})`);
  if (c.pathMtu) parts.push(`path MTU ${c.pathMtu.value} bytes (${c.pathMtu.source}: ${c.pathMtu.detail})`);
  if (c.rttMs) parts.push(`RTT ${Number(c.rttMs.value.toPrecision(3))} ms (${c.rttMs.source}: ${c.rttMs.detail})`);
  if (c.linkSpeedMbps) parts.push(`link ${formatBitsPerSecond(c.linkSpeedMbps.value)} (${c.linkSpeedMbps.source}: ${c.linkSpeedMbps.detail})`);
  if (c.bdpBytes !== undefined) parts.push(`bandwidth-delay product ${formatBytes(c.bdpBytes)}`);
  return parts.length === 0 ? 'No peer and no figures: MTU and buffers are not planned.' : parts.join('; ');
}

export function PlanView({
  plan,
  chosen,
  onToggle,
  disabled,
  children,
}: {
  plan: TuningPlan;
  chosen: ReadonlySet<string>;
  onToggle: (id: string, on: boolean) => void;
  disabled: boolean;
  children: ReactNode;
}) {
  return (
    <div className="tuning-plan" role="region" aria-label="Tuning plan">
      <p className="tuning__context">
        {plan.hostName}: {plan.nics.map((n) => `${n.ifname} (${n.reason})`).join(', ')}. {contextLine(plan.context)}
      </p>
      {plan.changes.length === 0 ? (
        <p className="empty-note" role="status">
          Nothing to change: every setting Ferry tunes already helps as much as it can here.
        </p>
      ) : (
        <table className="table tuning-table" aria-label="Proposed changes">
          <thead>
            <tr>
              <th scope="col">Apply</th>
              <th scope="col">Change</th>
              <th scope="col">Current → proposed</th>
              <th scope="col">Why</th>
              <th scope="col">Commands</th>
            </tr>
          </thead>
          <tbody>
            {plan.changes.map((c) => (
              <tr key={c.id} data-change={c.id} className={c.blocked ? 'tuning-row--blocked' : undefined}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Choose ${c.title}`}
                    checked={chosen.has(c.id)}
                    disabled={disabled || c.blocked !== undefined}
                    onChange={(e) => onToggle(c.id, e.target.checked)}
                  />
                </td>
                <td>{c.title}</td>
                <td className="mono">
                  {c.current} → {c.proposed}
                </td>
                <td>
                  {c.why}
                  {c.blocked && <p className="tuning__blocked">Cannot be applied here: {c.blocked}</p>}
                </td>
                <td className="tuning__cmds">
                  <code>{shJoin(c.applyArgv)}</code>
                  <span className="muted">undo:</span> <code>{shJoin(c.undoArgv)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {plan.notes.length > 0 && (
        <details className="tuning__notes">
          <summary>Not proposed ({plan.notes.length})</summary>
          <ul aria-label="Not proposed">
            {plan.notes.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        </details>
      )}
      {plan.changes.length > 0 && <div className="tuning__actions">{children}</div>}
    </div>
  );
}
