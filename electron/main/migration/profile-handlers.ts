/** The profile channels over a store (profiles.ts on disk; the dev fake keeps one in memory). */
import type { FerryError } from '../../../shared/errors';
import { ok, type Result } from '../../../shared/result';
import type { MigrationProfile, ProfileSaveRequest } from '../../../shared/migration/options';
import { profilesList, profilesRemove, profilesSave } from '../../../shared/ipc/contract';
import type { IpcHandlers } from '../ipc/handlers';

/** What the channels need of a profile store. */
export interface ProfileSource {
  list(): MigrationProfile[];
  readonly problems: readonly FerryError[];
  save(req: ProfileSaveRequest): Promise<Result<MigrationProfile, FerryError>>;
  remove(id: string): Promise<Result<Record<string, never>, FerryError>>;
}

export type ProfileChannelId = typeof profilesList.id | typeof profilesSave.id | typeof profilesRemove.id;

/** The profile channels over a store. The list carries the store's load problems every time: the dialog shows them. */
export function profileHandlers(store: ProfileSource): Pick<IpcHandlers, ProfileChannelId> {
  return {
    [profilesList.id]: async () => ok({ profiles: store.list(), problems: [...store.problems] }),
    [profilesSave.id]: async (input) => store.save(input),
    [profilesRemove.id]: async (input) => store.remove(input.id),
  };
}
