/**
 * The reports channels' handlers over their stores (browser-safe: the dev fake serves them too; main's node-only
 * defaults are filled in by handlers.ts). Main's handlers for the reports channels (shared/ipc/reports-contract.ts): the history browser's list and detail
 * over the migration journal (read through the migration channels' own handlers, so the browser sees exactly what
 * ferry.migrations.list/get answer) and the imported reports (imported-store.ts, a file of its own), exports built
 * here by the pure builders of shared/reports/, and imports.
 *
 * Where an export goes is decided here by the transport, never by a path from the renderer: on the desktop a save
 * dialog (the `save` seam from the composition root), in web mode the bytes go back for the browser to download.
 */
import { migrationsGet, migrationsList } from '../../../shared/ipc/contract';
import {
  reportsExport,
  reportsGet,
  reportsImport,
  reportsList,
  type ReportExportResult,
  type ReportFormat,
  type ReportListItem,
  type ReportRef,
} from '../../../shared/ipc/reports-contract';
import type { REPORTS_REQUESTS, REPORTS_STREAMS } from '../../../shared/ipc/reports-contract';
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import { buildSamplesCsv } from '../../../shared/reports/csv';
import { buildHtmlReport } from '../../../shared/reports/html';
import { buildJsonReport, parseJsonReport, type ReportEntry } from '../../../shared/reports/schema';
import type { Caller, IpcHandlers } from '../ipc/handlers';
import type { PdfRenderer } from './chromium-pdf';
import type { SaveFile } from './electron-seams';
import type { ImportedStore } from './imported-store';

type Ids = (typeof REPORTS_REQUESTS)[number]['id'] | (typeof REPORTS_STREAMS)[number]['id'];
export type ReportsHandlers = Pick<IpcHandlers, Extract<keyof IpcHandlers, Ids>>;

/** The migration channels the reports read the journal through. */
export type MigrationReader = Pick<IpcHandlers, typeof migrationsList.id | typeof migrationsGet.id>;

/** What the channels need of the imported reports' store (imported-store.ts). */
export type ImportedReports = Pick<ImportedStore, 'list' | 'get' | 'add'>;

export interface ReportChannelDeps {
  readonly wallClock: () => number;
  /** The migration channels' handlers (a function: the composition root builds them in the same map). */
  readonly migrations: () => MigrationReader;
  /** "Ferry 0.1.0", printed in every report. */
  readonly generator: string;
  /** HTML -> PDF: headless Chromium (web mode), Electron's printToPDF (desktop). */
  readonly pdf: PdfRenderer;
  /** Desktop only: a save dialog. Absent (web mode): exports are answered as a download. */
  readonly save?: SaveFile;
  readonly store: ImportedReports;
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Base64 with what both Node and a browser have, in chunks a call's arguments can hold. */
export function base64Of(data: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < data.length; i += 0x8000) binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
  return btoa(binary);
}

const FORMATS: Readonly<Record<ReportFormat, { mime: string; ext: string; filter: string }>> = {
  html: { mime: 'text/html;charset=utf-8', ext: 'html', filter: 'HTML report' },
  pdf: { mime: 'application/pdf', ext: 'pdf', filter: 'PDF report' },
  csv: { mime: 'text/csv;charset=utf-8', ext: 'csv', filter: 'CSV of the samples' },
  json: { mime: 'application/json', ext: 'json', filter: 'Ferry migration report (JSON)' },
};

/** `ferry-vm1-hvA-hvB-20261125-1203.pdf`, or `ferry-3-migrations-<time>.csv`: only [A-Za-z0-9._-]. */
export function reportFileName(entries: readonly ReportEntry[], format: ReportFormat, now: number): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 60) || 'x';
  const stamp = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  const one = entries.length === 1 ? entries[0] : undefined;
  const base = one
    ? `ferry-${safe(one.record.vm)}-${safe(one.record.source.name)}-${safe(one.record.destination.name)}-${stamp(one.record.startedAt)}`
    : `ferry-${entries.length}-migrations-${stamp(now)}`;
  return `${base}.${FORMATS[format].ext}`;
}

/**
 * Where an export's bytes go: on the desktop through the save dialog (the path the user chose), otherwise back to
 * the browser as a download. `filterName`: the save dialog's file type (default the migration report's).
 */
export async function deliverExport(
  save: SaveFile | undefined,
  ctx: Caller,
  format: ReportFormat,
  fileName: string,
  data: Uint8Array,
  filterName?: string,
): Promise<Result<ReportExportResult, FerryError>> {
  const f = FORMATS[format];
  if (ctx.transport === 'electron' && save) {
    const saved = await save({ suggestedName: fileName, filterName: filterName ?? f.filter, extension: f.ext, data });
    if (!saved.ok) return saved;
    return ok(saved.value === null ? { delivery: 'cancelled' as const } : { delivery: 'saved' as const, path: saved.value.path, bytes: data.byteLength });
  }
  const binary = format === 'pdf';
  return ok({
    delivery: 'download' as const,
    fileName,
    mimeType: f.mime,
    encoding: binary ? ('base64' as const) : ('utf8' as const),
    data: binary ? base64Of(data) : new TextDecoder().decode(data),
    bytes: data.byteLength,
  });
}

export function reportChannels(d: ReportChannelDeps): ReportsHandlers {
  const { store, pdf } = d;

  async function read(ref: ReportRef, ctx: Caller): Promise<Result<ReportEntry & { importedAt?: number; importedFrom?: string }, FerryError>> {
    if (ref.origin === 'imported') {
      const e = await store.get(ref.id);
      return e ? ok(e) : err(ferryError('inventory.not-found', `No imported migration report has the id ${ref.id}.`));
    }
    const r = await d.migrations()[migrationsGet.id]({ id: ref.id }, ctx);
    return r.ok ? ok({ record: r.value.record, samples: r.value.samples }) : r;
  }

  return {
    [reportsList.id]: async (_input, ctx) => {
      const problems: FerryError[] = [];
      const journal = await d.migrations()[migrationsList.id]({}, ctx);
      if (!journal.ok) problems.push(journal.error);
      const imported = await store.list();
      problems.push(...imported.problems);
      const items: ReportListItem[] = [
        ...(journal.ok ? journal.value.map((record) => ({ origin: 'journal' as const, record })) : []),
        ...imported.entries.map((e) => ({
          origin: 'imported' as const,
          record: e.record,
          importedAt: e.importedAt,
          ...(e.importedFrom === undefined ? {} : { importedFrom: e.importedFrom }),
        })),
      ];
      return ok({ items, problems });
    },

    [reportsGet.id]: async (ref, ctx) => {
      const r = await read(ref, ctx);
      if (!r.ok) return r;
      const { record, samples, importedAt, importedFrom } = r.value;
      return ok({
        origin: ref.origin,
        record,
        samples: [...samples],
        ...(importedAt === undefined ? {} : { importedAt }),
        ...(importedFrom === undefined ? {} : { importedFrom }),
      });
    },

    [reportsExport.id]: async ({ refs, format }, ctx) => {
      const entries: ReportEntry[] = [];
      for (const ref of refs) {
        const r = await read(ref, ctx);
        if (!r.ok) return r;
        entries.push({ record: r.value.record, samples: r.value.samples });
      }
      const now = d.wallClock();
      const meta = { generatedAt: now, exportedAt: now, generator: d.generator };
      let data: Uint8Array;
      if (format === 'json') data = utf8(buildJsonReport(entries, meta));
      else if (format === 'csv') data = utf8(buildSamplesCsv(entries));
      else {
        const html = buildHtmlReport(entries, meta);
        if (format === 'html') data = utf8(html);
        else {
          const printed = await pdf(html);
          if (!printed.ok) return printed;
          data = printed.value;
        }
      }
      return deliverExport(d.save, ctx, format, reportFileName(entries, format, now), data);
    },
    [reportsImport.id]: async ({ text, fileName }) => {
      const doc = parseJsonReport(text);
      if (!doc.ok) return doc;
      const added = await store.add(doc.value.migrations, fileName);
      if (!added.ok) return added;
      return ok({ imported: added.value.ids.map((id) => ({ origin: 'imported' as const, id })), replaced: added.value.replaced });
    },
  };
}
