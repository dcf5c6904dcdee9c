/**
 * The admin's own migration profiles: `<dataDir>/profiles.json`, a small JSON document with a schema version, each
 * profile validated with zod on load, kept as a JsonDocument (../storage/json-document.ts). The
 * list the dialog gets is the built-in profiles (shared/migration/options.ts) first, then the user's by name.
 *
 * - Never fatal. A file that is torn, not JSON, not this schema or from a newer Ferry is renamed to
 *   `profiles.json.corrupt-<timestamp>` and Ferry starts with no user profiles; a file whose envelope is fine but
 *   some profiles are not (an option a later Ferry added, a hand edit) keeps the good ones, and a copy of the whole
 *   file is kept aside before anything rewrites it. `problems` says what happened and where the old file is.
 * - A file Ferry cannot read at all (permissions) blocks saving: overwriting what we could not read would lose it.
 * - A built-in profile is never overwritten or removed, and options libvirt would refuse are never saved.
 * - Changes run one after another in call order, each on the state the previous one saved; a failed write changes
 *   nothing in memory either.
 */
import { z } from 'zod';
import type { FerryError } from '../../../shared/errors';
import { ok, type Result } from '../../../shared/result';
import {
  BUILT_IN_PROFILES,
  migrationProfileSchema,
  removeProfileFrom,
  saveProfileInto,
  type MigrationProfile,
  type ProfileSaveRequest,
} from '../../../shared/migration/options';
import type { AtomicFileOps } from '../atomic-file';
import { JsonDocument, type DocumentMessages, type DocumentSpec } from '../storage/json-document';

export const PROFILES_FILE = 'profiles.json';
export const PROFILES_VERSION = 1;

/** What one saved profile looks like on disk (builtIn is not stored: everything in the file is the user's). */
const storedProfileSchema = migrationProfileSchema.omit({ builtIn: true }).strict();
const profilesFileSchema = z.object({ version: z.literal(PROFILES_VERSION), profiles: z.array(z.unknown()) });

export interface ProfileStoreOptions {
  readonly dataDir: string;
  /** Wall-clock time for the name of a file kept aside (ms since the epoch). */
  readonly now?: () => number;
  readonly ops?: AtomicFileOps;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function issuesText(e: z.ZodError): string {
  return e.issues
    .slice(0, 3)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

type Loaded =
  | { readonly kind: 'whole'; readonly profiles: MigrationProfile[] }
  | { readonly kind: 'partial'; readonly profiles: MigrationProfile[]; readonly dropped: string[] }
  | { readonly kind: 'unusable'; readonly why: string };

/** Reads the file's text: every profile that validates, and why the others do not. Pure. */
export function parseProfilesText(text: string): Loaded {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { kind: 'unusable', why: `it is not valid JSON (${errorText(e)}); a write was probably cut short` };
  }
  const version = (json as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version > PROFILES_VERSION) {
    return { kind: 'unusable', why: `it was written by a newer Ferry (profiles version ${version}; this Ferry reads version ${PROFILES_VERSION})` };
  }
  const file = profilesFileSchema.safeParse(json);
  if (!file.success) return { kind: 'unusable', why: `it does not match the profiles schema (${issuesText(file.error)})` };
  const profiles: MigrationProfile[] = [];
  const dropped: string[] = [];
  const seen = new Set<string>();
  file.data.profiles.forEach((raw, i) => {
    const label = typeof (raw as { name?: unknown } | null)?.name === 'string' ? `"${(raw as { name: string }).name}"` : `number ${i + 1}`;
    const p = storedProfileSchema.safeParse(raw);
    if (!p.success) return void dropped.push(`profile ${label}: ${issuesText(p.error)}`);
    if (BUILT_IN_PROFILES.some((b) => b.id === p.data.id)) return void dropped.push(`profile ${label}: it has the id of a built-in profile`);
    if (seen.has(p.data.id)) return void dropped.push(`profile ${label}: a second profile with the id ${p.data.id}`);
    seen.add(p.data.id);
    profiles.push({ ...p.data, builtIn: false });
  });
  return dropped.length === 0 ? { kind: 'whole', profiles } : { kind: 'partial', profiles, dropped };
}

const byName = (a: MigrationProfile, b: MigrationProfile) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' });

const PROFILE_MESSAGES: DocumentMessages = {
  cannotCreateDir: (dir) => `Ferry cannot create its data folder ${dir}, so migration profiles cannot be saved.`,
  unreadable: (path) =>
    `Ferry cannot read its saved migration profiles ${path}, so only the built-in profiles are offered and saving is off (it would overwrite a file Ferry could not read). Check the file's permissions and restart Ferry.`,
  cannotSetAside: (path, why) =>
    `Ferry's saved migration profiles ${path} cannot be used because ${why}, and the file could not be kept aside either; only the built-in profiles are offered and saving is off until the file is moved away.`,
  setAside: (why, aside) =>
    `Ferry's saved migration profiles could not be used because ${why}. The file was kept as ${aside}; only the built-in profiles are offered. Nothing was deleted.`,
  partial: (dropped, aside) => {
    const n = dropped.length;
    return `${n === 1 ? 'One saved migration profile' : `${n} saved migration profiles`} could not be used and ${n === 1 ? 'is' : 'are'} not offered (${dropped.join('; ')}). The other profiles are; the whole file was copied to ${aside}.`;
  },
  cannotCopyPartial: (path, dropped) =>
    `Some saved migration profiles in ${path} cannot be used (${dropped.join('; ')}), and a copy of the file could not be kept; saving is off so they are not lost.`,
  saveFailed: (path) => `Ferry could not save its migration profiles to ${path}; nothing was changed.`,
};

const profilesDocument: DocumentSpec<readonly MigrationProfile[]> = {
  file: PROFILES_FILE,
  empty: [],
  parse: (text) => {
    const p = parseProfilesText(text);
    if (p.kind === 'unusable') return p;
    const value = [...p.profiles].sort(byName);
    return p.kind === 'whole' ? { kind: 'whole', value } : { kind: 'partial', value, dropped: p.dropped };
  },
  serialize: (profiles) => `${JSON.stringify({ version: PROFILES_VERSION, profiles: profiles.map(({ builtIn: _b, ...rest }) => rest) }, null, 2)}\n`,
  messages: PROFILE_MESSAGES,
};

/** The user's profiles (a JsonDocument, ../storage/json-document.ts) behind the built-in ones. */
export class ProfileStore {
  private constructor(private readonly doc: JsonDocument<readonly MigrationProfile[]>) {}

  /** Reads and validates the file, or keeps a bad one aside. Never fails: see `problems`. */
  static async open(o: ProfileStoreOptions): Promise<ProfileStore> {
    return new ProfileStore(await JsonDocument.open(profilesDocument, o));
  }

  get path(): string {
    return this.doc.path;
  }

  /** What went wrong while loading (a file kept aside, profiles dropped, an unreadable file). */
  get problems(): readonly FerryError[] {
    return this.doc.problems;
  }

  /** Built-in profiles first, then the user's by name. */
  list(): MigrationProfile[] {
    return [...BUILT_IN_PROFILES, ...this.doc.value];
  }

  /** Runs changes one after another, each on what the previous one saved. */
  private change<T>(f: (current: readonly MigrationProfile[]) => Result<{ next: readonly MigrationProfile[]; value: T }, FerryError>): Promise<Result<T, FerryError>> {
    return this.doc.update((current) => {
      const r = f(current);
      return r.ok ? ok({ next: [...r.value.next].sort(byName), value: r.value.value }) : r;
    });
  }

  /** Saves a profile under the id its name gives (rules: `saveProfileInto` in shared/migration/options.ts). */
  save(req: ProfileSaveRequest): Promise<Result<MigrationProfile, FerryError>> {
    return this.change((current) => {
      const r = saveProfileInto(current, req);
      return r.ok ? ok({ next: r.value.profiles, value: r.value.saved }) : r;
    });
  }

  /** Removes a user profile; a built-in one or an unknown id is refused. */
  remove(id: string): Promise<Result<Record<string, never>, FerryError>> {
    return this.change((current) => {
      const r = removeProfileFrom(current, id);
      return r.ok ? ok({ next: r.value, value: {} }) : r;
    });
  }
}

export { profileHandlers, type ProfileChannelId } from './profile-handlers';
