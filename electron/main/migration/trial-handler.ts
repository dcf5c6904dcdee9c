/**
 * `ferry.migrations.trial` over a trial runner (trial.ts over the engine in the app; the dev fake replays a lab run):
 * host ids resolve to the inventory's hosts, the destination's SSH user and port go into the migrate command as
 * for a start, and the runner's answer is the channel's (every outcome of a trial is an answer, not an error).
 */
import { resolveRoute } from './route';
import { ok } from '../../../shared/result';
import { migrationsTrial } from '../../../shared/ipc/contract';
import { trialDefaultCap } from '../../../shared/migration/trial-schema';
import type { HostView } from '../../../shared/inventory/types';
import type { IpcHandlers } from '../ipc/handlers';
import { hostRef } from './handlers';
import type { TrialRequest, TrialRun } from './trial';

export type TrialHandlers = Pick<IpcHandlers, typeof migrationsTrial.id>;

export interface TrialHandlerDeps {
  readonly hosts: () => readonly HostView[];
  readonly run: (req: TrialRequest) => Promise<TrialRun>;
}

export function trialHandler(d: TrialHandlerDeps): TrialHandlers {
  return {
    [migrationsTrial.id]: async (input) => {
      const route = resolveRoute(d.hosts(), input.sourceHostId, input.destinationHostId);
      if (!route.ok) return route;
      const { source, destination } = route.value;
      // The inventory's figure for the VM's memory picks the cap when none is asked for (trialDefaultCap).
      const memoryBytes = source.vms?.find((v) => v.name === input.vm)?.memoryBytes;
      const capMiBps = input.capMiBps ?? trialDefaultCap(memoryBytes);
      const run = await d.run({
        vm: input.vm,
        source: hostRef(source),
        destination: hostRef(destination),
        destinationUser: destination.record.user,
        destinationPort: destination.record.port,
        capMiBps,
        ...(input.passes !== undefined ? { passes: input.passes } : {}),
      });
      return ok(run.result);
    },
  };
}
