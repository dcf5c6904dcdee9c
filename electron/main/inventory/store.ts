/**
 * Ferry's inventory on disk: `<dataDir>/inventory.json`, one small JSON document (saved hosts and settings) with a
 * schema version, validated with zod on load and written atomically (../atomic-file.ts) after every change.
 *
 * - Writes are serialised: each change is applied to the state the previous write left, in call order, so two
 *   concurrent changes never lose one another. A failed write changes nothing in memory either.
 * - A file that is torn, not JSON, fails the schema or comes from a newer Ferry is not fatal and is never
 *   overwritten: it is renamed to `inventory.json.corrupt-<timestamp>`, Ferry starts empty and `problems` says what
 *   happened and where the old file is.
 * - A file Ferry cannot read at all (permissions) blocks writes instead: overwriting what we could not read would lose it.
 */
import { mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { hostRecordSchema, type HostRecord } from '../../../shared/inventory/types';
import { settingsSchema, type Settings } from '../../../shared/ipc/contract';
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import { nodeAtomicFileOps, removeStaleTemps, writeFileAtomic, type AtomicFileOps } from '../atomic-file';

export const INVENTORY_FILE = 'inventory.json';
export const INVENTORY_VERSION = 1;

export const DEFAULT_SETTINGS: Settings = Object.freeze({ trustUserKnownHosts: false, refreshIntervalSec: 10 });

const inventoryFileSchema = z.object({
  version: z.literal(INVENTORY_VERSION),
  hosts: z.array(hostRecordSchema),
  settings: settingsSchema,
});

export interface InventoryData {
  readonly hosts: readonly HostRecord[];
  readonly settings: Settings;
}

export const EMPTY_INVENTORY: InventoryData = Object.freeze({ hosts: [], settings: DEFAULT_SETTINGS });

export interface InventoryStoreOptions {
  readonly dataDir: string;
  /** Wall-clock time for the quarantine file's name (ms since the epoch). */
  readonly now?: () => number;
  readonly ops?: AtomicFileOps;
}

/** `2025-11-25T09-46-31-123Z`: an ISO time that is also a portable file name. */
export function fileTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[:.]/g, '-');
}

function describeIssues(e: z.ZodError): string {
  return e.issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

type Parsed = { ok: true; data: InventoryData } | { ok: false; why: string; newer: boolean };

export function parseInventoryText(text: string): Parsed {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, why: `it is not valid JSON (${e instanceof Error ? e.message : String(e)}); a write was probably cut short`, newer: false };
  }
  const version = (json as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version > INVENTORY_VERSION) {
    return { ok: false, why: `it was written by a newer Ferry (inventory version ${version}; this Ferry reads version ${INVENTORY_VERSION})`, newer: true };
  }
  const r = inventoryFileSchema.safeParse(json);
  if (!r.success) return { ok: false, why: `it does not match the inventory schema (${describeIssues(r.error)})`, newer: false };
  return { ok: true, data: { hosts: r.data.hosts, settings: r.data.settings } };
}

export class InventoryStore {
  readonly path: string;
  private data: InventoryData = EMPTY_INVENTORY;
  private chain: Promise<unknown> = Promise.resolve();
  private blocked: FerryError | undefined;
  private readonly loadProblems: FerryError[] = [];
  private readonly ops: AtomicFileOps;
  private readonly now: () => number;

  private readonly dir: string;

  private constructor(opts: InventoryStoreOptions) {
    this.dir = opts.dataDir;
    this.path = join(opts.dataDir, INVENTORY_FILE);
    this.ops = opts.ops ?? nodeAtomicFileOps;
    this.now = opts.now ?? Date.now;
  }

  /** Opens the store: reads and validates the file, or sets a bad one aside. Never fails: see `problems`. */
  static async open(opts: InventoryStoreOptions): Promise<InventoryStore> {
    const s = new InventoryStore(opts);
    await s.load();
    return s;
  }

  get value(): InventoryData {
    return this.data;
  }

  /** What went wrong while loading (a file set aside, an unreadable file), for the UI and the log. */
  get problems(): readonly FerryError[] {
    return this.loadProblems;
  }

  private async load(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      this.blocked = ferryError('inventory.io', `Ferry cannot create its data folder ${this.dir}; nothing will be saved.`, e instanceof Error ? e.message : String(e));
      this.loadProblems.push(this.blocked);
      return;
    }
    await removeStaleTemps(this.path, this.ops);
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as { code?: unknown }).code === 'ENOENT') return;
      this.blocked = ferryError(
        'inventory.io',
        `Ferry cannot read its inventory ${this.path}, so it starts empty and will not save changes (saving would overwrite a file it could not read). Check the file's permissions and restart Ferry.`,
        e instanceof Error ? e.message : String(e),
      );
      this.loadProblems.push(this.blocked);
      return;
    }
    const parsed = parseInventoryText(text);
    if (parsed.ok) {
      this.data = parsed.data;
      return;
    }
    const aside = `${this.path}.corrupt-${fileTimestamp(this.now())}`;
    try {
      await rename(this.path, aside);
    } catch (e) {
      this.blocked = ferryError(
        'inventory.io',
        `Ferry's inventory ${this.path} cannot be read because ${parsed.why}, and it could not be set aside either; Ferry starts empty and will not save changes until the file is moved away.`,
        e instanceof Error ? e.message : String(e),
      );
      this.loadProblems.push(this.blocked);
      return;
    }
    this.loadProblems.push(
      ferryError(
        'inventory.corrupt',
        `Ferry's inventory could not be used because ${parsed.why}. It was kept as ${aside} and Ferry started with an empty inventory; nothing was deleted.`,
        text.length > 400 ? `${text.slice(0, 400)}...` : text,
      ),
    );
  }

  /**
   * Applies a change and saves it. Changes run one after another in call order; `change` sees the state the
   * previous one saved and may refuse (its error is returned, nothing is written).
   */
  update<T>(change: (current: InventoryData) => Result<{ next: InventoryData; value: T }, FerryError>): Promise<Result<T, FerryError>> {
    const run = async (): Promise<Result<T, FerryError>> => {
      if (this.blocked) return err(this.blocked);
      const r = change(this.data);
      if (!r.ok) return r;
      const doc = { version: INVENTORY_VERSION, hosts: r.value.next.hosts, settings: r.value.next.settings };
      try {
        await writeFileAtomic(this.path, `${JSON.stringify(doc, null, 2)}\n`, this.ops);
      } catch (e) {
        return err(
          ferryError('inventory.io', `Ferry could not save its inventory to ${this.path}; the change was not made.`, e instanceof Error ? e.message : String(e)),
        );
      }
      this.data = r.value.next;
      return ok(r.value.value);
    };
    const next = this.chain.then(run, run);
    this.chain = next;
    return next;
  }
}
