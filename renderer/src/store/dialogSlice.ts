/** The dialog on screen (one at a time): add host and import (addHostSlice.ts), remove confirmation, settings. */
import { hostsRemove, settingsGet, settingsSet } from '../../../shared/ipc/contract';
import { createAddHostActions, createImportActions } from './addHostSlice';
import { applyInventoryEvent } from './inventorySlice';
import { call } from './ports';
import type { ConfirmRemoveDialog, DialogSlice, FerryState, SetState, SettingsDialog, SliceCreator } from './types';

function update<K extends 'confirm-remove' | 'settings'>(
  set: SetState,
  kind: K,
  f: (d: Extract<ConfirmRemoveDialog | SettingsDialog, { kind: K }>) => ConfirmRemoveDialog | SettingsDialog,
) {
  set((s: FerryState) => (s.dialog?.kind === kind ? { dialog: f(s.dialog as Extract<ConfirmRemoveDialog | SettingsDialog, { kind: K }>) } : {}));
}

export const createDialogSlice: SliceCreator<DialogSlice> = (set, get, deps) => ({
  dialog: null,
  closeDialog() {
    set(() => ({ dialog: null }));
  },
  ...createAddHostActions(set, get, deps),
  ...createImportActions(set, get, deps),

  openRemoveHost(hostId) {
    if (get().inventory.hosts[hostId] === undefined) return;
    set(() => ({ dialog: { kind: 'confirm-remove', hostId, busy: false } }));
  },

  async confirmRemoveHost() {
    const d = get().dialog;
    if (d?.kind !== 'confirm-remove' || d.busy) return;
    const name = get().inventory.hosts[d.hostId]?.record.name ?? d.hostId;
    update(set, 'confirm-remove', ({ error: _e, ...x }) => ({ ...x, busy: true }));
    const r = await call(deps.api, hostsRemove, { id: d.hostId });
    if (!r.ok) {
      update(set, 'confirm-remove', (x) => ({ ...x, busy: false, error: r.error }));
      return;
    }
    set((s) => ({ ...applyInventoryEvent(s, { type: 'removed', id: d.hostId }), dialog: s.dialog === d || s.dialog?.kind === 'confirm-remove' ? null : s.dialog }));
    get().notify({ tone: 'info', message: `Removed ${name} from Ferry. Nothing was changed on the host.` });
  },

  async openSettings() {
    set(() => ({ dialog: { kind: 'settings', phase: 'loading' } }));
    const r = await call(deps.api, settingsGet, {});
    update(set, 'settings', (x) => (r.ok ? { kind: 'settings', phase: 'ready', settings: r.value } : { ...x, phase: 'ready', error: r.error }));
  },

  async saveSettings(next) {
    update(set, 'settings', ({ error: _e, ...x }) => ({ ...x, phase: 'saving' }));
    const r = await call(deps.api, settingsSet, next);
    if (!r.ok) {
      update(set, 'settings', (x) => ({ ...x, phase: 'ready', error: r.error }));
      return;
    }
    set((s) => (s.dialog?.kind === 'settings' ? { dialog: null } : {}));
    get().notify({ tone: 'info', message: 'Settings saved.' });
  },
});
