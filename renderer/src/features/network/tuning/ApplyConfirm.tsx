/** "Apply…": the chosen changes with the exact commands, the previous values that undo will restore, and the persistence. */
import { Dialog } from '../../common/Dialog';
import type { TuningPlan } from '../../../../../shared/tuning/types';
import { shJoin } from '../../../../../shared/shell/quote';
import { countOf } from '../../../../../shared/count';

export function ApplyConfirm({ plan, chosen, persist, onCancel, onConfirm }: { plan: TuningPlan; chosen: ReadonlySet<string>; persist: boolean; onCancel: () => void; onConfirm: () => void }) {
  const changes = plan.changes.filter((c) => chosen.has(c.id));
  return (
    <Dialog title={`Apply ${countOf(changes.length, 'change')} on ${plan.hostName}?`} onClose={onCancel} wide>
      <p>
        Ferry records the previous values first, then runs these commands one at a time over SSH, reads each setting back, and stops at the first one that does not take.
      </p>
      <ol className="tuning-confirm">
        {changes.map((c) => (
          <li key={c.id}>
            {c.title}: {c.current} → {c.proposed}
            <br />
            <code>{shJoin(c.applyArgv)}</code>
          </li>
        ))}
      </ol>
      {persist && <p>The sysctls are also written to {plan.sysctlFile} (undo restores what it held before).</p>}
      {changes.some((c) => c.persistence.how === 'manual') && (
        <p className="muted">MTU, ring and offload changes last until the next reboot or link re-creation; Ferry shows what to add to the distribution&apos;s network configuration to keep them.</p>
      )}
      <div className="dialog__footer">
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="button button--primary" data-autofocus onClick={onConfirm}>
          Apply {countOf(changes.length, 'change')}
        </button>
      </div>
    </Dialog>
  );
}
