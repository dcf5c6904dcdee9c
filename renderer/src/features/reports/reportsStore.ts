/**
 * The history browser's own state (a zustand store local to this feature): the list of every migration (the
 * journal's and imported ones), filter, sort, selection, the open detail or comparison, and exports/imports through
 * the reports channels. Exports arrive as bytes in web mode (downloaded here) or were saved by main on the desktop.
 * One per back end: it talks to main through the FerryApi the console's store was built with.
 */
import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FerryApi } from '../../store/ports';
import { useApi } from '../../store/react';
import type { FerryError } from '../../../../shared/errors';
import type { MigrationSample } from '../../../../shared/migration/record-schema';
import {
  reportsExport,
  reportsGet,
  reportsImport,
  reportsList,
  type ReportExportResult,
  type ReportFormat,
  type ReportListItem,
  type ReportRef,
} from '../../../../shared/ipc/reports-contract';
import type { ReportEntry } from '../../../../shared/reports/schema';
import { refKey, type SortKey } from './rows';
import { countOf } from '../../../../shared/count';

export type ReportsView = { readonly kind: 'list' } | { readonly kind: 'detail'; readonly key: string } | { readonly kind: 'compare'; readonly a: string; readonly b: string };

export interface LoadedEntry extends ReportEntry {
  readonly origin: ReportListItem['origin'];
  readonly importedAt?: number;
  readonly importedFrom?: string;
}

/** Web mode's WebSocket takes messages up to 1 MiB; an import file must fit in one (the desktop has no such limit). */
export const WEB_IMPORT_MAX_BYTES = 1_000_000;

export interface ReportsState {
  readonly open: boolean;
  readonly view: ReportsView;
  readonly items: readonly ReportListItem[];
  readonly loading: boolean;
  readonly problems: readonly FerryError[];
  readonly error?: FerryError | undefined;
  /** A sentence about the last export or import ("Saved to ...", "Imported 2 migrations."). */
  readonly notice?: string | undefined;
  readonly busy?: string | undefined;
  readonly filter: { readonly text: string; readonly result: string; readonly host: string };
  readonly sort: { readonly key: SortKey; readonly dir: 'asc' | 'desc' };
  readonly selected: ReadonlySet<string>;
  readonly entries: Readonly<Record<string, LoadedEntry>>;
}

export interface ReportsActions {
  show(): void;
  hide(): void;
  load(): Promise<void>;
  setFilter(patch: Partial<ReportsState['filter']>): void;
  sortBy(key: SortKey): void;
  toggle(key: string): void;
  setSelection(keys: readonly string[]): void;
  openDetail(key: string): Promise<void>;
  openCompare(a: string, b: string): Promise<void>;
  back(): void;
  fetchEntry(key: string): Promise<LoadedEntry | undefined>;
  exportRefs(keys: readonly string[], format: ReportFormat): Promise<void>;
  importFile(file: { readonly name: string; readonly size: number; text(): Promise<string> }): Promise<void>;
}

export function parseKey(key: string): ReportRef {
  const i = key.indexOf(':');
  return { origin: key.slice(0, i) === 'imported' ? 'imported' : 'journal', id: key.slice(i + 1) };
}

function isWebMode(): boolean {
  return (globalThis as { ferry?: unknown }).ferry === undefined;
}

/** Web mode: hand the bytes to the browser as a download (a blob URL on an anchor with `download`). */
export function downloadExport(r: Extract<ReportExportResult, { delivery: 'download' }>): void {
  const bytes = r.encoding === 'base64' ? Uint8Array.from(atob(r.data), (c) => c.charCodeAt(0)) : new TextEncoder().encode(r.data);
  const url = URL.createObjectURL(new Blob([bytes], { type: r.mimeType }));
  const a = document.createElement('a');
  a.href = url;
  a.download = r.fileName;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

const FORMAT_NAMES: Record<ReportFormat, string> = { html: 'HTML report', pdf: 'PDF report', csv: 'CSV of the samples', json: 'JSON report' };

export type ReportsStore = StoreApi<ReportsState & ReportsActions>;

export function createReportsStore(api: FerryApi): ReportsStore {
  return createStore<ReportsState & ReportsActions>()((set, get) => ({
    open: false,
    view: { kind: 'list' },
    items: [],
    loading: false,
    problems: [],
    filter: { text: '', result: '', host: '' },
    sort: { key: 'started', dir: 'desc' },
    selected: new Set(),
    entries: {},

    show: () => {
      set({ open: true, view: { kind: 'list' }, error: undefined, notice: undefined });
      void get().load();
    },
    hide: () => set({ open: false }),

    load: async () => {
      set({ loading: true });
      const r = await api.invoke(reportsList, {});
      if (!r.ok) return set({ loading: false, error: r.error });
      const keys = new Set(r.value.items.map((i) => refKey(i)));
      set((s) => ({ loading: false, items: r.value.items, problems: r.value.problems, selected: new Set([...s.selected].filter((k) => keys.has(k))) }));
    },

    setFilter: (patch) => set((s) => ({ filter: { ...s.filter, ...patch } })),
    sortBy: (key) => set((s) => ({ sort: s.sort.key === key ? { key, dir: s.sort.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: key === 'started' ? 'desc' : 'asc' } })),
    toggle: (key) =>
      set((s) => {
        const next = new Set(s.selected);
        if (!next.delete(key)) next.add(key);
        return { selected: next };
      }),
    setSelection: (keys) => set({ selected: new Set(keys) }),

    fetchEntry: async (key) => {
      const have = get().entries[key];
      if (have) return have;
      const r = await api.invoke(reportsGet, parseKey(key));
      if (!r.ok) {
        set({ error: r.error });
        return undefined;
      }
      const { record, samples, origin, importedAt, importedFrom } = r.value;
      const entry: LoadedEntry = {
        record,
        samples: samples as MigrationSample[],
        origin,
        ...(importedAt === undefined ? {} : { importedAt }),
        ...(importedFrom === undefined ? {} : { importedFrom }),
      };
      // A running migration's samples keep coming: only finished ones are kept.
      if (record.endedAt !== undefined) set((s) => ({ entries: { ...s.entries, [key]: entry } }));
      return entry;
    },

    openDetail: async (key) => {
      set({ view: { kind: 'detail', key }, error: undefined, notice: undefined });
      await get().fetchEntry(key);
    },
    openCompare: async (a, b) => {
      set({ view: { kind: 'compare', a, b }, error: undefined, notice: undefined });
      await Promise.all([get().fetchEntry(a), get().fetchEntry(b)]);
    },
    back: () => set({ view: { kind: 'list' }, error: undefined }),

    exportRefs: async (keys, format) => {
      set({ busy: `Exporting ${FORMAT_NAMES[format]}…`, error: undefined, notice: undefined });
      const r = await api.invoke(reportsExport, { refs: keys.map(parseKey), format });
      if (!r.ok) return set({ busy: undefined, error: r.error });
      const v = r.value;
      if (v.delivery === 'download') downloadExport(v);
      set({
        busy: undefined,
        notice:
          v.delivery === 'download'
            ? `Downloaded ${v.fileName} (${v.bytes.toLocaleString('en')} bytes).`
            : v.delivery === 'saved'
              ? `Saved to ${v.path}.`
              : 'Export cancelled.',
      });
    },

    importFile: async (file) => {
      set({ error: undefined, notice: undefined });
      if (isWebMode() && file.size > WEB_IMPORT_MAX_BYTES) {
        return set({
          error: {
            code: 'input.invalid',
            message: `${file.name} is ${file.size.toLocaleString('en')} bytes; web mode imports files up to ${WEB_IMPORT_MAX_BYTES.toLocaleString('en')} bytes (the desktop app has no such limit). Export fewer migrations per file.`,
          },
        });
      }
      set({ busy: `Importing ${file.name}…` });
      const r = await api.invoke(reportsImport, { text: await file.text(), fileName: file.name.slice(0, 255) });
      if (!r.ok) return set({ busy: undefined, error: r.error });
      const n = r.value.imported.length;
      set((s) => {
        const entries = { ...s.entries };
        for (const ref of r.value.imported) delete entries[refKey(ref)];
        return {
          busy: undefined,
          entries,
          notice: `Imported ${countOf(n, 'migration')} from ${file.name}${r.value.replaced ? ` (${r.value.replaced} replaced an earlier import)` : ''}.`,
        };
      });
      await get().load();
    },
  }));
}

const stores = new WeakMap<FerryApi, ReportsStore>();

/** The history browser's store for the console's back end (made on first use). */
export function reportsStoreFor(api: FerryApi): ReportsStore {
  let store = stores.get(api);
  if (store === undefined) stores.set(api, (store = createReportsStore(api)));
  return store;
}

export function useReports<T>(selector: (s: ReportsState & ReportsActions) => T): T {
  return useStore(reportsStoreFor(useApi()), selector);
}

/** The actions never change; components take them from here without subscribing to anything. */
export function useReportsActions(): ReportsActions {
  return reportsStoreFor(useApi()).getState();
}
