/**
 * The migration slice's saved option profiles: what the slice adds to MigrationData / MigrationSlice for them, and
 * the pure helpers the dialog uses. The store's state is declared in store/types.ts; these members are declared
 * here (TypeScript merges them into those interfaces) so the profile feature lives in one place.
 */
import type { FerryError } from '../../../shared/errors';
import { builtInProfileNamed, profileIdFor, type MigrationProfile } from '../../../shared/migration/options';
import type { Result } from '../../../shared/result';

declare module './types' {
  interface MigrationData {
    /** What main met reading the saved profiles (a torn file kept aside, profiles dropped); shown in the dialog. */
    readonly profileProblems: readonly FerryError[];
  }
  interface MigrationSlice {
    /**
     * Saves the dialog's options as the user profile `name` (replacing one with the same name only with
     * `replace`); on success the list is re-read and the draft shows that profile as chosen.
     */
    saveProfile(name: string, replace: boolean): Promise<Result<MigrationProfile, FerryError>>;
    /** Removes a user profile; a draft that used it keeps its options as custom ones. */
    removeProfile(id: string): Promise<Result<object, FerryError>>;
  }
}

/** What the dialog says about a name typed into "Save as profile…", before anything is sent (main decides the same way). */
export type ProfileNameCheck =
  | { readonly kind: 'empty' }
  | { readonly kind: 'built-in'; readonly name: string }
  | { readonly kind: 'replaces'; readonly existing: MigrationProfile }
  | { readonly kind: 'new'; readonly id: string };

export function checkProfileName(name: string, profiles: readonly MigrationProfile[]): ProfileNameCheck {
  const trimmed = name.trim();
  if (trimmed === '') return { kind: 'empty' };
  const builtIn = builtInProfileNamed(trimmed);
  if (builtIn !== undefined) return { kind: 'built-in', name: builtIn.name };
  const id = profileIdFor(trimmed);
  const existing = profiles.find((p) => !p.builtIn && p.id === id);
  return existing !== undefined ? { kind: 'replaces', existing } : { kind: 'new', id };
}
