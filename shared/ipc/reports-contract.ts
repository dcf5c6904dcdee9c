/**
 * The reports channels of the contract (spread into REQUESTS / STREAMS of shared/ipc/contract.ts): the history
 * browser's list and detail over the migration journal AND the imported reports (a separate store: an imported
 * record never enters the journal and is marked as imported), exports built in main, and imports.
 */
import { z } from 'zod';
import type { AnyRequest, AnyStream } from './define';
import { REPORTS_REQUEST_IDS } from './reports-ids';
import { ferryErrorSchema, request } from './define';
import { migrationRecordSchema, migrationSampleSchema } from '../migration/record-schema';
import { REPORT_MAX_MIGRATIONS } from '../reports/limits';

export const REPORT_ORIGINS = ['journal', 'imported'] as const;
export type ReportOrigin = (typeof REPORT_ORIGINS)[number];
export const REPORT_FORMATS = ['html', 'pdf', 'csv', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Which migration: one of this Ferry's journal, or one imported from a report file (the same id can be in both). */
export const reportRefSchema = z.object({ origin: z.enum(REPORT_ORIGINS), id: z.string().min(1).max(100) }).strict();
export type ReportRef = z.infer<typeof reportRefSchema>;

const importedMark = {
  /** Set on imported entries only: when (ms since the epoch) and from which file name the admin gave. */
  importedAt: z.number().optional(),
  importedFrom: z.string().max(255).optional(),
};

export const reportListItemSchema = z.object({ origin: z.enum(REPORT_ORIGINS), record: migrationRecordSchema, ...importedMark });
export type ReportListItem = z.infer<typeof reportListItemSchema>;

/** Every migration the browser can show: the journal's, then the imported ones; problems reading either. */
export const reportsList = request(
  REPORTS_REQUEST_IDS.reportsList,
  z.object({}).strict(),
  z.object({ items: z.array(reportListItemSchema), problems: z.array(ferryErrorSchema) }),
);

/** One migration with all its samples (the detail page, a comparison). */
export const reportsGet = request(
  REPORTS_REQUEST_IDS.reportsGet,
  reportRefSchema,
  z.object({ origin: z.enum(REPORT_ORIGINS), record: migrationRecordSchema, samples: z.array(migrationSampleSchema), ...importedMark }),
);

/**
 * Builds a report of one migration or a selection in main, from the journal (or the imported store). Where it goes
 * is main's choice, never a path from the renderer: the desktop app asks with a save dialog (`saved`, or
 * `cancelled`); web mode answers the bytes for the browser to download (`download`: text as utf8, a PDF as base64).
 */
export const reportsExport = request(
  REPORTS_REQUEST_IDS.reportsExport,
  z.object({ refs: z.array(reportRefSchema).min(1).max(REPORT_MAX_MIGRATIONS), format: z.enum(REPORT_FORMATS) }).strict(),
  z.discriminatedUnion('delivery', [
    z.object({
      delivery: z.literal('download'),
      fileName: z.string().min(1).max(255),
      mimeType: z.string(),
      encoding: z.enum(['utf8', 'base64']),
      data: z.string(),
      bytes: z.number().int().nonnegative(),
    }),
    z.object({ delivery: z.literal('saved'), path: z.string(), bytes: z.number().int().nonnegative() }),
    z.object({ delivery: z.literal('cancelled') }),
  ]),
);
export type ReportExportResult = z.infer<(typeof reportsExport)['output']>;

/**
 * The text of a `ferry.migration-report/1` JSON file (what `export` with format json gives). Validated in main;
 * its migrations go to the imported store (same id again: replaced, not duplicated).
 */
export const REPORT_IMPORT_MAX_CHARS = 64 * 1024 * 1024;
export const reportsImport = request(
  REPORTS_REQUEST_IDS.reportsImport,
  z.object({ text: z.string().min(1).max(REPORT_IMPORT_MAX_CHARS), fileName: z.string().max(255).optional() }).strict(),
  z.object({ imported: z.array(reportRefSchema), replaced: z.number().int().nonnegative() }),
);

export const REPORTS_REQUESTS = [reportsList, reportsGet, reportsExport, reportsImport] as const satisfies readonly AnyRequest[];
export const REPORTS_STREAMS = [] as const satisfies readonly AnyStream[];
