/**
 * The controls of a running migration: which virsh command each one is, and how it is said in the history. A
 * control acts on the domain, whoever started its job (a run re-attached after a restart takes them too).
 */
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, type Result } from '../../../shared/result';
import type { Command } from '../../../shared/commands';
import { domjobAbort, migratePostcopy, migrateSetMaxDowntime, migrateSetSpeed } from '../../../shared/commands/migrate';
import type { MigrationControl } from './record';
import type { Running } from './run';

/** The command of a control for this run, or why it does not apply to it. */
export function controlCommand(run: Pick<Running, 'vm' | 'options'>, control: MigrationControl): Result<Command<void>, FerryError> {
  switch (control.kind) {
    case 'set-speed':
      return migrateSetSpeed(run.vm, control.mibPerSecond);
    case 'set-max-downtime':
      return migrateSetMaxDowntime(run.vm, control.ms);
    case 'postcopy':
      return run.options.postcopy === true
        ? migratePostcopy(run.vm)
        : err(ferryError('input.invalid', 'Switching to post-copy needs a migration started with the post-copy option.'));
    case 'abort':
      return domjobAbort(run.vm);
    case 'resume-postcopy':
      // A run being followed is not interrupted: there is nothing to resume.
      return err(ferryError('input.invalid', 'Only a migration interrupted in post-copy can be resumed; this one is running.'));
  }
}

export function describeControl(c: MigrationControl): string {
  switch (c.kind) {
    case 'set-speed':
      return `Bandwidth cap set to ${c.mibPerSecond} MiB/s`;
    case 'set-max-downtime':
      return `Max downtime set to ${c.ms} ms`;
    case 'postcopy':
      return 'Switched to post-copy';
    case 'abort':
      return 'Abort requested';
    case 'resume-postcopy':
      return 'Post-copy resume requested';
  }
}
