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
import type { InventoryWatch } from './watch';

/** The channels this module serves, named by area: a feature added elsewhere in the contract needs no edit here. */
export type InventoryHandlers = Pick<IpcHandlers, Extract<keyof IpcHandlers, `ferry.hosts.${string}` | `ferry.settings.${string}` | 'ferry.sshConfig.read' | 'ferry.inventory.watch'>>;

/** What the channels use of the service (service.ts; the dev fake has its own). */
export type InventoryPort = Pick<
  InventoryService,
  'views' | 'test' | 'trustKey' | 'add' | 'update' | 'remove' | 'refreshOne' | 'refreshAll' | 'unlock' | 'settings' | 'updateSettings'
>;

export interface InventoryHandlerDeps {
  readonly service: InventoryPort;
  readonly watch: Pick<InventoryWatch, 'subscribe'>;
  /** Reads an ssh_config (absent: ~/.ssh/config); a seam, so this module stays free of the file system. */
  readonly readSshConfig: HandlerOf<typeof sshConfigImport.id>;
}

type HandlerOf<K extends keyof IpcHandlers> = IpcHandlers[K];

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
    [sshConfigImport.id]: d.readSshConfig,
    [settingsGet.id]: async () => ok(service.settings()),
    [settingsSet.id]: (input) => service.updateSettings(input),
    [inventoryWatch.id]: (_params, emit) => watch.subscribe(emit),
  };
}
