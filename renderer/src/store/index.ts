/**
 * Ferry's renderer store: one zustand store built from typed slices. Vanilla (no React) so the logic runs in plain
 * Node tests; components reach it through the hooks in store/react.tsx.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { createAppSlice } from './appSlice';
import { createDialogSlice } from './dialogSlice';
import { createInventorySlice } from './inventorySlice';
import { createMigrationSlice } from './migrationSlice';
import { createEvacuationSlice } from './evacuationSlice';
import { createNoticeSlice } from './noticeSlice';
import type { FerryApi } from './ports';
import type { FerryState, StoreDeps } from './types';
import { createUiSlice } from './uiSlice';

export type FerryStore = StoreApi<FerryState>;

export interface StoreOptions {
  readonly infoNoticeMs?: number;
  readonly now?: () => Date;
}

/** The back end each store was built with: features that talk to main outside the slices use this one, never another. */
const apis = new WeakMap<FerryStore, FerryApi>();

export function apiOf(store: FerryStore): FerryApi {
  const api = apis.get(store);
  if (api === undefined) throw new Error('Ferry: this store was not built by createFerryStore');
  return api;
}

export function createFerryStore(api: FerryApi, options: StoreOptions = {}): FerryStore {
  const deps: StoreDeps = { api, infoNoticeMs: options.infoNoticeMs ?? 5000, now: options.now ?? (() => new Date()) };
  const store = createStore<FerryState>()((set, get) => ({
    ...createInventorySlice(set, get, deps),
    ...createUiSlice(set, get, deps),
    ...createNoticeSlice(set, get, deps),
    ...createDialogSlice(set, get, deps),
    ...createAppSlice(set, get, deps),
    ...createMigrationSlice(set, get, deps),
    ...createEvacuationSlice(set, get, deps),
  }));
  apis.set(store, api);
  return store;
}

export type { FerryApi } from './ports';
export type * from './types';
