/**
 * `ferry.migrations.plan`: what the migrate dialog shows while the options change, with no side effects: the
 * problems with the options (shared/migration/options.ts) and, when there is no error, the exact quoted command
 * line(s) that will run on the source (shared/commands/migrate.ts), built with the destination's address and user
 * from the inventory.
 */
import { err, ok } from '../../../shared/result';
import { ferryError } from '../../../shared/errors';
import { commandLine } from '../../../shared/commands/migrate';
import { hasErrors, validateMigrationOptions } from '../../../shared/migration/options';
import { migrationsPlan } from '../../../shared/ipc/contract';
import type { HostView } from '../../../shared/inventory/types';
import type { IpcHandlers } from '../ipc/handlers';

export interface PlanDeps {
  /** The inventory's hosts (the destination's address and user, the source's existence). */
  readonly hosts: () => readonly HostView[];
}

export function planHandler(d: PlanDeps): Pick<IpcHandlers, typeof migrationsPlan.id> {
  return {
    [migrationsPlan.id]: async (input) => {
      const problems = validateMigrationOptions(input.options);
      const hosts = d.hosts();
      const source = hosts.find((h) => h.record.id === input.sourceHostId);
      const destination = hosts.find((h) => h.record.id === input.destinationHostId);
      if (!source || !destination) return err(ferryError('inventory.not-found', `No such host: ${!source ? input.sourceHostId : input.destinationHostId}.`));
      if (source.record.id === destination.record.id) {
        return ok({ problems: [...problems, { severity: 'error' as const, options: [], message: 'The source and the destination are the same host.' }] });
      }
      if (hasErrors(problems)) return ok({ problems });
      const line = commandLine({ domain: input.vm, destinationHost: destination.record.address, destinationUser: destination.record.user, destinationPort: destination.record.port, options: input.options });
      if (!line.ok) return ok({ problems: [...problems, { severity: 'error' as const, options: [], message: line.error.message }] });
      return ok({ commandLine: line.value, problems });
    },
  };
}
