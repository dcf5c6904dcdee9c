/**
 * Imported migration reports: `imported-reports.json` in the data directory, apart from the migration journal
 * (which only the engine writes). A JsonDocument like the inventory and the profiles: rewritten atomically on each
 * import; a file that no longer validates is kept aside (`.corrupt-<time>`, never overwritten, so nothing imported
 * is lost to a bug or a hand edit) and reported, and imports go on into a new file.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { migrationRecordSchema, migrationSampleSchema } from '../../../shared/migration/record-schema';
import type { FerryError } from '../../../shared/errors';
import { ok, type Result } from '../../../shared/result';
import type { ReportEntry } from '../../../shared/reports/schema';
import type { AtomicFileOps } from '../atomic-file';
import { JsonDocument, type DocumentMessages, type DocumentSpec } from '../storage/json-document';

export const IMPORTED_FILE = 'imported-reports.json';

const storedSchema = z.object({
  v: z.literal(1),
  entries: z.array(
    z.object({
      importedAt: z.number(),
      importedFrom: z.string().max(255).optional(),
      record: migrationRecordSchema,
      samples: z.array(migrationSampleSchema),
    }),
  ),
});

export interface ImportedEntry extends ReportEntry {
  readonly importedAt: number;
  readonly importedFrom?: string;
}

export interface ImportedStoreDeps {
  readonly dataDir: string;
  readonly wallClock: () => number;
  readonly fileOps?: AtomicFileOps;
}

const IMPORTED_MESSAGES: DocumentMessages = {
  cannotCreateDir: (dir) => `Ferry cannot create its data folder ${dir}, so imported reports cannot be saved.`,
  unreadable: (path) => `Ferry could not read its imported reports (${path}); imports are refused until it can (saving would overwrite a file it could not read).`,
  cannotSetAside: (path, why) =>
    `The imported reports file ${path} is not readable because ${why}, and it could not be set aside either; imports are refused until it is moved away.`,
  setAside: (why, aside) => `The imported reports file is not readable because ${why}. It was kept as ${aside}, and Ferry started with no imported reports; nothing was deleted.`,
  // The file is taken whole or not at all.
  partial: (dropped, aside) => `Some imported reports could not be used (${dropped.join('; ')}); the whole file was copied to ${aside}.`,
  cannotCopyPartial: (path, dropped) => `Some imported reports in ${path} could not be used (${dropped.join('; ')}), and a copy could not be kept; imports are refused.`,
  saveFailed: (path) => `Ferry could not save the imported reports to ${path}.`,
};

const importedDocument: DocumentSpec<readonly ImportedEntry[]> = {
  file: IMPORTED_FILE,
  empty: [],
  parse: (text) => {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      return { kind: 'unusable', why: `it is not valid JSON (${e instanceof Error ? e.message : String(e)}); a write was probably cut short` };
    }
    const parsed = storedSchema.safeParse(json);
    if (!parsed.success) return { kind: 'unusable', why: `it does not match the imported reports schema (${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')})` };
    return { kind: 'whole', value: parsed.data.entries.map(({ importedFrom, ...e }) => ({ ...e, ...(importedFrom === undefined ? {} : { importedFrom }) })) };
  },
  serialize: (entries) => JSON.stringify({ v: 1, entries }),
  messages: IMPORTED_MESSAGES,
};

/** The imported reports (a JsonDocument, ../storage/json-document.ts), opened on first use. */
export class ImportedStore {
  private doc: Promise<JsonDocument<readonly ImportedEntry[]>> | undefined;
  readonly path: string;

  constructor(private readonly d: ImportedStoreDeps) {
    this.path = join(d.dataDir, IMPORTED_FILE);
  }

  private open(): Promise<JsonDocument<readonly ImportedEntry[]>> {
    this.doc ??= JsonDocument.open(importedDocument, { dataDir: this.d.dataDir, now: this.d.wallClock, ...(this.d.fileOps ? { ops: this.d.fileOps } : {}) });
    return this.doc;
  }

  async list(): Promise<{ entries: readonly ImportedEntry[]; problems: FerryError[] }> {
    const doc = await this.open();
    return { entries: doc.value, problems: [...doc.problems] };
  }

  async get(id: string): Promise<ImportedEntry | undefined> {
    return (await this.open()).value.find((e) => e.record.id === id);
  }

  /** Adds (or replaces, by migration id) and writes the file; imports run one at a time. */
  async add(items: readonly ReportEntry[], importedFrom?: string): Promise<Result<{ ids: string[]; replaced: number }, FerryError>> {
    const doc = await this.open();
    return doc.update((current) => {
      const at = this.d.wallClock();
      const incoming = new Map(items.map((e) => [e.record.id, e]));
      const replaced = current.filter((e) => incoming.has(e.record.id)).length;
      const next: ImportedEntry[] = [
        ...current.filter((e) => !incoming.has(e.record.id)),
        ...[...incoming.values()].map((e) => ({ record: e.record, samples: e.samples, importedAt: at, ...(importedFrom === undefined ? {} : { importedFrom }) })),
      ];
      return ok({ next, value: { ids: [...incoming.keys()], replaced } });
    });
  }
}
