/**
 * The contract's inventory channels, served by the InventoryService: one handler per channel, keyed by channel id,
 * as the IPC core (electron/main/ipc) takes them. Payloads arrive already validated against the contract's schemas.
 */
import {
  hostsAdd,
  hostsList,
  hostsRefresh,
  hostsRemove,
  hostsTest,
  hostsTrustKey,
  hostsUnlock,
  hostsUpdate,
  inventoryWatch,
  settingsGet,
  settingsSet,
  sshConfigImport,
} from '../../../shared/ipc/contract';
import { ok } from '../../../shared/result';
import type { IpcHandlers } from '../ipc/handlers';
import type { InventoryService } from './service';
import { readSshConfig } from './ssh-config';
import type { InventoryWatch } from './watch';
import { expandHome } from './credentials';

/** The channels this module serves, named by area: a feature added elsewhere in the contract needs no edit here. */
export type InventoryHandlers = Pick<IpcHandlers, Extract<keyof IpcHandlers, `ferry.hosts.${string}` | `ferry.settings.${string}` | 'ferry.sshConfig.read' | 'ferry.inventory.watch'>>;

export interface InventoryHandlerDeps {
  readonly service: InventoryService;
  readonly watch: InventoryWatch;
  readonly homeDir: string;
  readonly localUser: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export function inventoryHandlers(d: InventoryHandlerDeps): InventoryHandlers {
  const { service, watch } = d;
  return {
    [hostsList.id]: async () => ok(service.views()),
    [hostsTest.id]: (input) => service.test(input.draft, input.passphrase),
    [hostsTrustKey.id]: (input) => service.trustKey(input),
    [hostsAdd.id]: (input) => service.add(input.draft, input.source ?? 'manual', input.passphrase),
    [hostsUpdate.id]: (input) => service.update(input.id, input.draft),
    [hostsRemove.id]: (input) => service.remove(input.id),
    [hostsRefresh.id]: async (input) => {
      if (input.id !== undefined) return service.refreshOne(input.id);
      await service.refreshAll({ full: true });
      return ok({});
    },
    [hostsUnlock.id]: (input) => service.unlock(input.id, input.passphrase),
    [sshConfigImport.id]: (input) =>
      readSshConfig({
        path: expandHome(input.path ?? '~/.ssh/config', d.homeDir),
        homeDir: d.homeDir,
        localUser: d.localUser,
        env: d.env,
      }),
    [settingsGet.id]: async () => ok(service.settings()),
    [settingsSet.id]: (input) => service.updateSettings(input),
    [inventoryWatch.id]: (_params, emit) => watch.subscribe(emit),
  };
}
