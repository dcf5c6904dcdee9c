/** Facts about the running back end (version, desktop or web mode, data directory) for the status bar. */
import { appInfo } from '../../../shared/ipc/contract';
import { call } from './ports';
import type { AppSlice, SliceCreator } from './types';

export const createAppSlice: SliceCreator<AppSlice> = (set, get, { api }) => ({
  app: {},
  async loadAppInfo() {
    const r = await call(api, appInfo, {});
    if (r.ok) set(() => ({ app: { info: r.value } }));
    else get().notifyError(r.error, 'Could not read Ferry’s version');
  },
});
