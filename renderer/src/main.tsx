/**
 * Composition root of the renderer: picks the back end (the real api over window.ferry or web mode's WebSocket;
 * the in-memory fake only in a dev build with `?fake=...`), builds the store and renders the console.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { api, connectionStatus, getBridge, onConnectionStatus } from './api';
import { App } from './App';
import { createFerryStore, type FerryApi, type FerryStore } from './store';
import { StoreProvider } from './store/react';
import './styles/base.css';
import './styles/layout.css';
import './styles/inventory.css';
import './styles/host.css';
import './styles/dialogs.css';

async function boot(): Promise<FerryStore> {
  // import.meta.env.DEV is false in a production build, so this branch and the fake's module are dropped from it.
  if (import.meta.env.DEV && new URLSearchParams(window.location.search).has('fake')) {
    const { createFakeApi, fakeOptionsFromQuery } = await import('./dev/fakeApi');
    return createFerryStore(createFakeApi(fakeOptionsFromQuery(window.location.search)));
  }
  const real: FerryApi = api;
  getBridge(); // opens web mode's socket now, so its status is known before the first request
  const store = createFerryStore(real);
  store.getState().setTransportStatus(connectionStatus());
  onConnectionStatus((s) => store.getState().setTransportStatus(s));
  return store;
}

const root = document.getElementById('root');
if (!root) throw new Error('Ferry: #root element missing from index.html');
void boot().then((store) =>
  createRoot(root).render(
    <StrictMode>
      <StoreProvider store={store}>
        <App />
      </StoreProvider>
    </StrictMode>,
  ),
);
