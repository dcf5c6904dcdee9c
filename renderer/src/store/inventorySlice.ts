/** Hosts and their VMs, live from inventoryWatch while a view watches, plus the per-host actions. */
import { hostsRefresh, hostsTrustKey, hostsUnlock, inventoryWatch, type InventoryEvent } from '../../../shared/ipc/contract';
import type { FerryError } from '../../../shared/errors';
import { call } from './ports';
import { reduceInventory } from './reduceInventory';
import type { FerryState, HostOp, InventorySlice, SliceCreator } from './types';

/** Applies one event; also drops a selection that pointed at a host that is gone. */
export function applyInventoryEvent(s: FerryState, event: InventoryEvent): Partial<FerryState> {
  const hosts = reduceInventory(s.inventory.hosts, event);
  const inventory = { ...s.inventory, hosts, loaded: s.inventory.loaded || event.type === 'snapshot' };
  const sel = s.ui.selectedHostId;
  return sel !== null && !(sel in hosts) ? { inventory, ui: { ...s.ui, selectedHostId: null, tab: 'vms' } } : { inventory };
}

function withPending(s: FerryState, id: string, op: HostOp | null): Partial<FerryState> {
  const pending = { ...s.inventory.pending };
  if (op === null) delete pending[id];
  else pending[id] = op;
  return { inventory: { ...s.inventory, pending } };
}

export const createInventorySlice: SliceCreator<InventorySlice> = (set, get, { api }) => {
  let watchers = 0;
  let unsubscribe: (() => void) | null = null;

  const open = () => {
    set((s) => ({ inventory: { ...s.inventory, watch: { status: 'watching' } } }));
    let ended = false;
    const stop = api.subscribe(
      inventoryWatch,
      {},
      (event) => {
        if (!ended) set((s) => applyInventoryEvent(s, event));
      },
      (error?: FerryError) => {
        ended = true;
        unsubscribe = null;
        set((s) => ({ inventory: { ...s.inventory, watch: error === undefined ? { status: 'ended' } : { status: 'ended', error } } }));
      },
    );
    unsubscribe = () => {
      ended = true;
      stop();
    };
  };

  const close = () => {
    unsubscribe?.();
    unsubscribe = null;
    set((s) => ({ inventory: { ...s.inventory, watch: { status: 'idle' } } }));
  };

  return {
    inventory: { hosts: {}, loaded: false, watch: { status: 'idle' }, pending: {} },

    watchInventory() {
      watchers += 1;
      if (watchers === 1 && unsubscribe === null) open();
      let released = false;
      return () => {
        if (released) return;
        released = true;
        watchers -= 1;
        // Deferred: React's StrictMode unmounts and mounts again at once; that should not close and reopen the stream.
        queueMicrotask(() => {
          if (watchers === 0 && unsubscribe !== null) close();
        });
      };
    },

    reconnectInventory() {
      if (watchers > 0 && unsubscribe === null) open();
    },

    async refreshHost(id) {
      const key = id ?? '*';
      if (get().inventory.pending[key] !== undefined) return;
      set((s) => withPending(s, key, 'refreshing'));
      const r = await call(api, hostsRefresh, id === undefined ? {} : { id });
      set((s) => withPending(s, key, null));
      if (!r.ok) get().notifyError(r.error, 'Refresh failed');
    },

    async unlockHost(id, passphrase) {
      set((s) => withPending(s, id, 'unlocking'));
      const r = await call(api, hostsUnlock, { id, passphrase });
      set((s) => withPending(s, id, null));
      if (!r.ok) return r.error;
      void get().refreshHost(id);
      return null;
    },

    async trustSavedHostKey(id) {
      const h = get().inventory.hosts[id];
      if (h === undefined || h.connection.state !== 'host-key-unknown') return;
      const { key } = h.connection;
      set((s) => withPending(s, id, 'trusting'));
      const r = await call(api, hostsTrustKey, { host: key.host, port: key.port, keyType: key.keyType, fingerprint: key.fingerprint });
      set((s) => withPending(s, id, null));
      if (!r.ok) {
        get().notifyError(r.error, 'The key was not trusted');
        return;
      }
      await get().refreshHost(id);
    },
  };
};
