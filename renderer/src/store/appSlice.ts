/** Facts about the running back end (version, desktop or web mode, data directory) and the transport's state. */
import { appInfo } from '../../../shared/ipc/contract';
import { call } from './ports';
import type { AppSlice, SliceCreator } from './types';

export const createAppSlice: SliceCreator<AppSlice> = (set, get, { api }) => {
  let loading = false;
  return {
    app: { transport: 'open' },

    async loadAppInfo() {
      if (loading) return;
      loading = true;
      const r = await call(api, appInfo, {});
      loading = false;
      if (r.ok) {
        set((s) => ({ app: { ...s.app, info: r.value } }));
        for (const problem of r.value.problems) get().notifyError(problem, 'Ferry’s data');
      } else if (get().app.transport !== 'rejected' && get().app.transport !== 'no-token') {
        // Without a valid token the transport banner already says why and what to do; a notice would repeat it.
        get().notifyError(r.error, 'Could not reach Ferry’s back end');
      }
    },

    setTransportStatus(transport) {
      const before = get().app.transport;
      if (before === transport) return;
      set((s) => ({ app: { ...s.app, transport } }));
      if (transport === 'open' && before !== 'open') {
        if (get().inventory.watch.status === 'ended') get().reconnectInventory();
        if (get().app.info === undefined) void get().loadAppInfo();
      }
    },
  };
};
