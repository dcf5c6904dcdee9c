/**
 * The inventory: hosts on the left, the selected host (or all hosts) on the right. Watches inventoryWatch while
 * mounted, so main polls hosts only while someone looks.
 */
import { useEffect } from 'react';
import { useActions, useFerry } from '../../store/react';
import { ErrorBanner } from '../common/ErrorBanner';
import { EmptyInventory } from './EmptyInventory';
import { HostList } from './HostList';
import { MainPane } from './MainPane';
import { MigrateLayer } from '../migrate/MigrateLayer';

export function ConsoleView() {
  const { watchInventory, reconnectInventory } = useActions();
  const loaded = useFerry((s) => s.inventory.loaded);
  const empty = useFerry((s) => Object.keys(s.inventory.hosts).length === 0);
  const watch = useFerry((s) => s.inventory.watch);
  // No token, or one the server refused: nothing will load until the admin opens the right URL (the banner says how).
  const locked = useFerry((s) => s.app.transport === 'rejected' || s.app.transport === 'no-token');

  useEffect(() => watchInventory(), [watchInventory]);

  return (
    <div className="console">
      {watch.status === 'ended' && !locked && (
        <ErrorBanner
          tone="warning"
          message={`Live updates stopped${watch.error ? `: ${watch.error.message}` : '.'} The lists below may be out of date.`}
          {...(watch.error?.detail !== undefined ? { detail: watch.error.detail } : {})}
        >
          <button type="button" className="button" onClick={reconnectInventory}>
            Reconnect
          </button>
        </ErrorBanner>
      )}
      {!loaded && locked ? (
        <p className="empty-note" role="status">
          The inventory is not loaded: this page cannot talk to Ferry without the current access token.
        </p>
      ) : !loaded ? (
        <p className="loading" role="status">
          <span className="spinner" aria-hidden="true" /> Loading inventory…
        </p>
      ) : empty ? (
        <EmptyInventory />
      ) : (
        <MigrateLayer>
          <div className="console__panes">
            <HostList />
            <MainPane />
          </div>
        </MigrateLayer>
      )}
    </div>
  );
}
