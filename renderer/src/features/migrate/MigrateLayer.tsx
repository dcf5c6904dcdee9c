/**
 * Everything migration around the console: drag-to-migrate over the panes, the running-migrations tray (with the
 * "Migrate…" button for the selected VM, the keyboard path), the migrate dialog and the migration view; and the
 * evacuations' plan dialog and view (a migration opened from an evacuation's row shows over it).
 */
import { useEffect, type ReactNode } from 'react';
import { useActions, useFerry } from '../../store/react';
import { MigrateDialog } from './MigrateDialog';
import { MigrationView } from './MigrationView';
import { MigrationTray } from './MigrationTray';
import { MigrateDnd } from './dnd';
import { EvacuationView } from '../evacuate/EvacuationView';
import { PlanDialog } from '../evacuate/PlanDialog';
import { downloadExport } from '../reports/reportsStore';
import './migrate.css';

export function MigrateLayer({ children }: { children: ReactNode }) {
  const { watchMigrations, watchEvacuations } = useActions();
  const hasDraft = useFerry((s) => s.migration.draft !== null);
  const hasPlan = useFerry((s) => s.evacuation.planDraft !== null);
  const openRunId = useFerry((s) => s.migration.openRunId);
  const openEvacuationId = useFerry((s) => s.evacuation.openId);
  useEffect(() => watchMigrations(), [watchMigrations]);
  useEffect(() => watchEvacuations(), [watchEvacuations]);
  return (
    <MigrateDnd>
      <div className="migrate-layer">
        {openRunId !== null ? <MigrationView id={openRunId} /> : openEvacuationId !== null ? <EvacuationView id={openEvacuationId} download={downloadExport} /> : children}
        <MigrationTray />
      </div>
      {hasDraft && <MigrateDialog />}
      {hasPlan && <PlanDialog />}
    </MigrateDnd>
  );
}
