/**
 * Everything migration around the console: drag-to-migrate over the panes, the running-migrations tray (with the
 * "Migrate…" button for the selected VM, the keyboard path), the migrate dialog and the migration view.
 */
import { useEffect, type ReactNode } from 'react';
import { useActions, useFerry } from '../../store/react';
import { MigrateDialog } from './MigrateDialog';
import { MigrationView } from './MigrationView';
import { MigrationTray } from './MigrationTray';
import { MigrateDnd } from './dnd';
import './migrate.css';

export function MigrateLayer({ children }: { children: ReactNode }) {
  const { watchMigrations } = useActions();
  const hasDraft = useFerry((s) => s.migration.draft !== null);
  const openRunId = useFerry((s) => s.migration.openRunId);
  useEffect(() => watchMigrations(), [watchMigrations]);
  return (
    <MigrateDnd>
      <div className="migrate-layer">
        {openRunId !== null ? <MigrationView id={openRunId} /> : children}
        <MigrationTray />
      </div>
      {hasDraft && <MigrateDialog />}
    </MigrateDnd>
  );
}
