/** "Evacuate <host>": the plan dialog (its content is PlanBody.tsx). */
import { useActions, useFerry } from '../../store/react';
import { Dialog } from '../common/Dialog';
import { PlanBody } from './PlanBody';

export function PlanDialog() {
  const hostName = useFerry((s) => s.evacuation.planDraft?.hostName);
  const { closeEvacuationPlan } = useActions();
  if (hostName === undefined) return null;
  return (
    <Dialog title={`Evacuate ${hostName}`} subtitle="The plan: nothing moves until you start it." onClose={closeEvacuationPlan} wide>
      <PlanBody />
    </Dialog>
  );
}
