/**
 * The JSON export: a versioned document (`ferry.migration-report/1`) that carries each migration's record and every
 * sample exactly as the IPC contract types them, so an import validated by this schema gives back the same values
 * (deep-equal) that were exported. Pure: main builds and parses it, tests round-trip it.
 */
import { z } from 'zod';
import { migrationRecordSchema, migrationSampleSchema, type MigrationRecordView, type MigrationSample } from '../migration/record-schema';
import { ferryError, type FerryError } from '../errors';
import { err, ok, type Result } from '../result';
import { REPORT_MAX_MIGRATIONS, REPORT_SCHEMA_ID } from './limits';

export { REPORT_MAX_MIGRATIONS, REPORT_SCHEMA_ID };

/** One migration as reports use it: its record and all its samples. */
export interface ReportEntry {
  readonly record: MigrationRecordView;
  readonly samples: readonly MigrationSample[];
}

export const reportEntrySchema = z.object({
  record: migrationRecordSchema,
  samples: z.array(migrationSampleSchema),
});

export const reportDocumentSchema = z
  .object({
    schema: z.literal(REPORT_SCHEMA_ID),
    /** ms since the epoch. */
    exportedAt: z.number(),
    /** "Ferry 0.1.0". */
    generator: z.string().max(200),
    migrations: z.array(reportEntrySchema).min(1).max(REPORT_MAX_MIGRATIONS),
  })
  .strict();
export type ReportDocument = z.infer<typeof reportDocumentSchema>;

export function buildJsonReport(entries: readonly ReportEntry[], meta: { readonly exportedAt: number; readonly generator: string }): string {
  const doc = {
    schema: REPORT_SCHEMA_ID,
    exportedAt: meta.exportedAt,
    generator: meta.generator,
    migrations: entries.map((e) => ({ record: e.record, samples: e.samples })),
  };
  // Compact: ~830 bytes a sample, so web mode's 1 MiB import message holds a ~20-minute migration at 1 Hz.
  return `${JSON.stringify(doc)}\n`;
}

/** Text -> a validated document, or an error that says what is wrong and where (first few schema issues). */
export function parseJsonReport(text: string): Result<ReportDocument, FerryError> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return err(ferryError('parse.unrecognised', 'This file is not JSON, so it is not a Ferry migration report.', String(e)));
  }
  const schema = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)['schema'] : undefined;
  if (schema !== REPORT_SCHEMA_ID) {
    return err(
      ferryError(
        'parse.unrecognised',
        typeof schema === 'string' && schema.startsWith('ferry.migration-report/')
          ? `This report uses schema ${schema}; this Ferry reads ${REPORT_SCHEMA_ID} only.`
          : `This JSON is not a Ferry migration report (its "schema" is not ${REPORT_SCHEMA_ID}).`,
      ),
    );
  }
  const parsed = reportDocumentSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    return err(ferryError('parse.bad-value', `The migration report does not match ${REPORT_SCHEMA_ID}: ${issues.join('; ')}.`));
  }
  return ok(parsed.data);
}
