/**
 * The evacuation channels answered honestly while this build has no evacuation behind them: every request is an
 * error a person understands and the watch shows no evacuation. Stand-ins that must serve the whole contract but
 * not this part (test harnesses) use it; the composition root serves the planner's and the runner's handlers.
 */
import type { IpcHandlers } from '../ipc/handlers';
import {
  evacuationControl,
  evacuationExport,
  evacuationPlan,
  evacuationStart,
  evacuationsWatch,
  setMaintenance,
} from '../../../shared/ipc/evacuation-contract';
import { ferryError } from '../../../shared/errors';
import { err } from '../../../shared/result';

type Ids =
  | typeof setMaintenance.id
  | typeof evacuationPlan.id
  | typeof evacuationStart.id
  | typeof evacuationControl.id
  | typeof evacuationExport.id
  | typeof evacuationsWatch.id;
export type EvacuationHandlers = Pick<IpcHandlers, Ids>;

export function evacuationUnavailable(): EvacuationHandlers {
  const unavailable = async () => err(ferryError('ipc.internal', 'Host evacuation is not available in this build.'));
  return {
    [setMaintenance.id]: unavailable,
    [evacuationPlan.id]: unavailable,
    [evacuationStart.id]: unavailable,
    [evacuationControl.id]: unavailable,
    [evacuationExport.id]: unavailable,
    [evacuationsWatch.id]: (_params, emit) => (emit({ evacuations: [] }), () => undefined),
  };
}
