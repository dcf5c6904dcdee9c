/** React access to the store: a provider, and `useFerry(selector)` for narrow selections. */
import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import { apiOf, type FerryStore } from './index';
import type { FerryApi } from './ports';
import type { FerryState } from './types';

const StoreContext = createContext<FerryStore | null>(null);

export function StoreProvider({ store, children }: { store: FerryStore; children: ReactNode }) {
  return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>;
}

function useStoreApi(): FerryStore {
  const store = useContext(StoreContext);
  if (store === null) throw new Error('Ferry: component rendered outside <StoreProvider>');
  return store;
}

/** One field (or a stable reference) of the state. */
export function useFerry<T>(selector: (s: FerryState) => T): T {
  return useStore(useStoreApi(), selector);
}

/** A derived object or list compared shallowly, so a new array with the same items does not re-render. */
export function useFerryShallow<T>(selector: (s: FerryState) => T): T {
  return useStore(useStoreApi(), useShallow(selector));
}

/** The actions never change; components take them from here without subscribing to anything. */
export function useActions(): FerryState {
  return useStoreApi().getState();
}

/** The back end the store was built with (the real client, or the dev fake), for features outside the slices. */
export function useApi(): FerryApi {
  return apiOf(useStoreApi());
}
