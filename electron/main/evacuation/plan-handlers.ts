/**
 * The evacuation channels that move nothing: maintenance mode on a host (saved with it in the inventory) and the
 * plan to empty a host. Typed against the evacuation contract; app.ts spreads them in with the other handlers.
 */
import type { FerryError } from '../../../shared/errors';
import type { HostRecord } from '../../../shared/inventory/types';
import { evacuationPlan, setMaintenance } from '../../../shared/ipc/evacuation-contract';
import { ok, type Result } from '../../../shared/result';
import type { RequestHandler } from '../ipc/handlers';
import { planEvacuation, type PlannerDeps } from './planner';

export interface EvacuationPlanHandlerDeps extends PlannerDeps {
  /** The inventory's setMaintenance (InventoryService.setMaintenance). */
  readonly setMaintenance: (hostId: string, on: boolean) => Promise<Result<HostRecord, FerryError>>;
}

export interface EvacuationPlanHandlers {
  readonly [setMaintenance.id]: RequestHandler<typeof setMaintenance>;
  readonly [evacuationPlan.id]: RequestHandler<typeof evacuationPlan>;
}

export function evacuationPlanHandlers(deps: EvacuationPlanHandlerDeps): EvacuationPlanHandlers {
  return {
    [setMaintenance.id]: async (input) => {
      const r = await deps.setMaintenance(input.hostId, input.on);
      if (!r.ok) return r;
      return ok({ hostId: r.value.id, ...(r.value.maintenance !== undefined ? { maintenance: r.value.maintenance } : {}) });
    },
    [evacuationPlan.id]: async (input) => planEvacuation(input.hostId, input.limits, deps),
  };
}
