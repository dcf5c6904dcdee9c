/** Ferry's window: the action bar, notices, the inventory, the status bar, and the one dialog on screen. */
import { useEffect } from 'react';
import { AddHostDialog } from './features/add-host/AddHostDialog';
import { Notices } from './features/common/Notices';
import { StatusBar } from './features/common/StatusBar';
import { ConfirmRemoveDialog } from './features/host/ConfirmRemoveDialog';
import { ImportDialog } from './features/import/ImportDialog';
import { ConsoleView } from './features/inventory/ConsoleView';
import { ReportsButton } from './features/reports/ReportsButton';
import { SettingsDialog } from './features/settings/SettingsDialog';
import { useActions, useFerry } from './store/react';
import { BAD_TOKEN_MESSAGE } from './api/ws-bridge';
import iconUrl from '../../assets/icon.svg';

export function App() {
  const { loadAppInfo, openAddHost, openImport, openSettings } = useActions();
  useEffect(() => void loadAppInfo(), [loadAppInfo]);
  return (
    <div className="app">
      <header className="app-header">
        <span className="brand">
          <img src={iconUrl} alt="" width={20} height={20} /> Ferry
        </span>
        <nav className="app-header__actions" aria-label="Main actions">
          <button type="button" className="button button--primary" onClick={openAddHost}>
            Add host
          </button>
          <button type="button" className="button" onClick={openImport}>
            Import from SSH config
          </button>
          <ReportsButton />
          <button type="button" className="button button--quiet" onClick={() => void openSettings()}>
            Settings
          </button>
        </nav>
      </header>
      <TransportBanner />
      <Notices />
      <main className="app-main">
        <ConsoleView />
      </main>
      <StatusBar />
      <Dialogs />
    </div>
  );
}

function Dialogs() {
  const kind = useFerry((s) => s.dialog?.kind);
  switch (kind) {
    case 'add-host':
      return <AddHostDialog />;
    case 'import':
      return <ImportDialog />;
    case 'confirm-remove':
      return <ConfirmRemoveDialog />;
    case 'settings':
      return <SettingsDialog />;
    case undefined:
      return null;
  }
}

function TransportBanner() {
  const t = useFerry((s) => s.app.transport);
  if (t === 'open' || t === 'connecting') return null;
  const message =
    t === 'no-token'
      ? 'This page has no access token. Open the URL that `npm run web` printed (it carries the token).'
      : t === 'rejected'
        ? BAD_TOKEN_MESSAGE
        : t === 'reconnecting'
        ? 'Lost the connection to Ferry’s back end; reconnecting…'
        : 'The connection to Ferry’s back end is closed. Is `npm run web` still running? Reload the page once it is.';
  return (
    <div className={`banner banner--${t === 'reconnecting' ? 'warning' : 'error'} banner--bar`} role="alert">
      <p className="banner__message">{message}</p>
    </div>
  );
}
