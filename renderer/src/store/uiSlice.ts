/** What the admin is looking at: the selected host (or all), the selected VM, the tab, the VM filter and sort. */
import { nextSort } from '../view/vmRows';
import type { SliceCreator, UiSlice } from './types';

export const createUiSlice: SliceCreator<UiSlice> = (set) => ({
  ui: {
    selectedHostId: null,
    selectedVmKey: null,
    tab: 'vms',
    filter: { text: '', state: 'all' },
    sort: { column: 'name', direction: 'asc' },
  },
  selectHost(id) {
    set((s) => ({ ui: { ...s.ui, selectedHostId: id, tab: id === null ? 'vms' : s.ui.tab } }));
  },
  selectVm(key) {
    set((s) => (s.ui.selectedVmKey === key ? {} : { ui: { ...s.ui, selectedVmKey: key } }));
  },
  setTab(tab) {
    set((s) => ({ ui: { ...s.ui, tab: s.ui.selectedHostId === null ? 'vms' : tab } }));
  },
  setFilterText(text) {
    set((s) => ({ ui: { ...s.ui, filter: { ...s.ui.filter, text } } }));
  },
  setStateFilter(state) {
    set((s) => ({ ui: { ...s.ui, filter: { ...s.ui.filter, state } } }));
  },
  sortBy(column) {
    set((s) => ({ ui: { ...s.ui, sort: nextSort(s.ui.sort, column) } }));
  },
});
