/**
 * Imported migration reports: `imported-reports.json` in the data directory, apart from the migration journal
 * (which only the engine writes). One JSON document, rewritten atomically (electron/main/atomic-file.ts) on each
 * import; a file that no longer validates is reported and left untouched (never overwritten, so nothing imported is
 * lost to a bug or a hand edit), and imports are refused until it is dealt with.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { migrationRecordSchema, migrationSampleSchema } from '../../../shared/ipc/contract';
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import type { ReportEntry } from '../../../shared/reports/schema';
import { writeFileAtomic, type AtomicFileOps, nodeAtomicFileOps } from '../atomic-file';

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
  readonly readText?: (path: string) => Promise<string | undefined>;
  readonly fileOps?: AtomicFileOps;
}

async function readIfThere(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export class ImportedStore {
  private entries: ImportedEntry[] | undefined;
  private problem: FerryError | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  readonly path: string;

  constructor(private readonly d: ImportedStoreDeps) {
    this.path = join(d.dataDir, IMPORTED_FILE);
  }

  /** Loaded once, on first use. */
  private async load(): Promise<ImportedEntry[]> {
    if (this.entries) return this.entries;
    let text: string | undefined;
    try {
      text = await (this.d.readText ?? readIfThere)(this.path);
    } catch (e) {
      this.problem = ferryError('inventory.io', `Ferry could not read its imported reports (${this.path}).`, String(e));
      return (this.entries = []);
    }
    if (text === undefined) return (this.entries = []);
    let parsed;
    try {
      parsed = storedSchema.safeParse(JSON.parse(text));
    } catch (e) {
      parsed = { success: false as const, error: e };
    }
    if (!parsed.success) {
      this.problem = ferryError(
        'inventory.corrupt',
        `The imported reports file ${this.path} is not readable; it was left as it is, and imports are refused until it is moved away.`,
        String(parsed.error).slice(0, 500),
      );
      return (this.entries = []);
    }
    return (this.entries = parsed.data.entries.map(({ importedFrom, ...e }) => ({ ...e, ...(importedFrom === undefined ? {} : { importedFrom }) })));
  }

  async list(): Promise<{ entries: readonly ImportedEntry[]; problems: FerryError[] }> {
    const entries = await this.load();
    return { entries, problems: this.problem ? [this.problem] : [] };
  }

  async get(id: string): Promise<ImportedEntry | undefined> {
    return (await this.load()).find((e) => e.record.id === id);
  }

  /** Adds (or replaces, by migration id) and writes the file; imports run one at a time. */
  add(items: readonly ReportEntry[], importedFrom?: string): Promise<Result<{ ids: string[]; replaced: number }, FerryError>> {
    const run = this.queue.then(async () => {
      const current = await this.load();
      if (this.problem) return err(this.problem);
      const at = this.d.wallClock();
      const incoming = new Map(items.map((e) => [e.record.id, e]));
      const replaced = current.filter((e) => incoming.has(e.record.id)).length;
      const next: ImportedEntry[] = [
        ...current.filter((e) => !incoming.has(e.record.id)),
        ...[...incoming.values()].map((e) => ({ record: e.record, samples: e.samples, importedAt: at, ...(importedFrom === undefined ? {} : { importedFrom }) })),
      ];
      try {
        await writeFileAtomic(this.path, JSON.stringify({ v: 1, entries: next }), this.d.fileOps ?? nodeAtomicFileOps);
      } catch (e) {
        return err(ferryError('inventory.io', `Ferry could not save the imported reports to ${this.path}.`, String(e)));
      }
      this.entries = next;
      return ok({ ids: [...incoming.keys()], replaced });
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
