/**
 * The migration channels of the contract until the migration engine serves them (electron/main/migration/engine.ts;
 * its engineer replaces this file's start/preflight/control/list/get/watch). What needs no engine already works:
 * `ferry.migrations.plan` (validation + the exact command line, no side effects) and `ferry.profiles.list` (the
 * built-in profiles). The rest answer `ipc.internal` "not implemented yet", and the watch stream sends an empty
 * snapshot, so the app type-checks and runs.
 */
import { err, ok } from '../../../shared/result';
import { ferryError } from '../../../shared/errors';
import { commandLine } from '../../../shared/commands/migrate';
import { BUILT_IN_PROFILES, hasErrors, validateMigrationOptions } from '../../../shared/migration/options';
import {
  migrationsControl,
  migrationsGet,
  migrationsList,
  migrationsPlan,
  migrationsPreflight,
  migrationsStart,
  migrationsWatch,
  profilesList,
  profilesSave,
} from '../../../shared/ipc/contract';
import type { HostView } from '../../../shared/inventory/types';
import type { IpcHandlers } from '../ipc/handlers';

export type MigrationChannelId = `ferry.migrations.${string}` | `ferry.profiles.${string}`;
export type MigrationHandlers = Pick<IpcHandlers, Extract<keyof IpcHandlers, MigrationChannelId>>;

export interface PendingMigrationDeps {
  /** The inventory's hosts (for the destination's address and the source's existence). */
  readonly hosts: () => readonly HostView[];
}

const notYet = () => err(ferryError('ipc.internal', 'not implemented yet'));

export function pendingMigrationHandlers(d: PendingMigrationDeps): MigrationHandlers {
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
      const line = commandLine({ domain: input.vm, destinationHost: destination.record.address, destinationUser: destination.record.user, options: input.options });
      if (!line.ok) return ok({ problems: [...problems, { severity: 'error' as const, options: [], message: line.error.message }] });
      return ok({ commandLine: line.value, problems });
    },
    [migrationsPreflight.id]: async () => notYet(),
    [migrationsStart.id]: async () => notYet(),
    [migrationsControl.id]: async () => notYet(),
    [migrationsList.id]: async () => ok([]),
    [migrationsGet.id]: async () => err(ferryError('ipc.internal', 'not implemented yet')),
    [profilesList.id]: async () => ok([...BUILT_IN_PROFILES]),
    [profilesSave.id]: async () => notYet(),
    [migrationsWatch.id]: (_params, emit) => {
      emit({ type: 'snapshot', records: [] });
      return () => undefined;
    },
  };
}
