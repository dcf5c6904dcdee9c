/**
 * Ferry's inventory on disk: `<dataDir>/inventory.json`, one small JSON document (saved hosts and settings) with a
 * schema version, validated with zod on load. A JsonDocument (../storage/json-document.ts): writes serialised and
 * atomic; a torn, invalid or newer file is renamed to `inventory.json.corrupt-<timestamp>` and Ferry starts empty;
 * a file it cannot read blocks saving.
 */
import { z } from 'zod';
import { hostRecordSchema, type HostRecord } from '../../../shared/inventory/types';
import { settingsSchema, type Settings } from '../../../shared/ipc/contract';
import type { FerryError } from '../../../shared/errors';
import type { Result } from '../../../shared/result';
import type { AtomicFileOps } from '../atomic-file';
import { JsonDocument, type DocumentMessages, type DocumentSpec } from '../storage/json-document';

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

const INVENTORY_MESSAGES: DocumentMessages = {
  cannotCreateDir: (dir) => `Ferry cannot create its data folder ${dir}; nothing will be saved.`,
  unreadable: (path) =>
    `Ferry cannot read its inventory ${path}, so it starts empty and will not save changes (saving would overwrite a file it could not read). Check the file's permissions and restart Ferry.`,
  cannotSetAside: (path, why) =>
    `Ferry's inventory ${path} cannot be read because ${why}, and it could not be set aside either; Ferry starts empty and will not save changes until the file is moved away.`,
  setAside: (why, aside) => `Ferry's inventory could not be used because ${why}. It was kept as ${aside} and Ferry started with an empty inventory; nothing was deleted.`,
  // The inventory's parser takes a file whole or not at all.
  partial: (dropped, aside) => `Parts of Ferry's inventory could not be used (${dropped.join('; ')}); the whole file was copied to ${aside}.`,
  cannotCopyPartial: (path, dropped) => `Parts of Ferry's inventory ${path} could not be used (${dropped.join('; ')}), and a copy could not be kept; saving is off.`,
  saveFailed: (path) => `Ferry could not save its inventory to ${path}; the change was not made.`,
};

const inventoryDocument: DocumentSpec<InventoryData> = {
  file: INVENTORY_FILE,
  empty: EMPTY_INVENTORY,
  parse: (text) => {
    const p = parseInventoryText(text);
    return p.ok ? { kind: 'whole', value: p.data } : { kind: 'unusable', why: p.why };
  },
  serialize: (d) => `${JSON.stringify({ version: INVENTORY_VERSION, hosts: d.hosts, settings: d.settings }, null, 2)}\n`,
  messages: INVENTORY_MESSAGES,
};

/** The inventory document (storage/json-document.ts keeps the rules: serialised atomic writes, bad files kept aside). */
export class InventoryStore {
  private constructor(private readonly doc: JsonDocument<InventoryData>) {}

  /** Opens the store: reads and validates the file, or sets a bad one aside. Never fails: see `problems`. */
  static async open(opts: InventoryStoreOptions): Promise<InventoryStore> {
    return new InventoryStore(await JsonDocument.open(inventoryDocument, opts));
  }

  get path(): string {
    return this.doc.path;
  }

  get value(): InventoryData {
    return this.doc.value;
  }

  /** What went wrong while loading (a file set aside, an unreadable file), for the UI and the log. */
  get problems(): readonly FerryError[] {
    return this.doc.problems;
  }

  /**
   * Applies a change and saves it. Changes run one after another in call order; `change` sees the state the
   * previous one saved and may refuse (its error is returned, nothing is written).
   */
  update<T>(change: (current: InventoryData) => Result<{ next: InventoryData; value: T }, FerryError>): Promise<Result<T, FerryError>> {
    return this.doc.update(change);
  }
}
