/** Main's handlers for the tuning channels (shared/ipc/tuning-contract.ts), over TuningService. */
import type { TUNING_REQUESTS, TUNING_STREAMS } from '../../../shared/ipc/tuning-contract';
import { tuningApply, tuningHistory, tuningPlan, tuningUndo } from '../../../shared/ipc/tuning-contract';
import { compact } from '../../../shared/parsers/text';
import type { IpcHandlers } from '../ipc/handlers';
import type { NetworkDeps } from './deps';
import { TuningService, type PlanRequest, type TuningServiceOptions } from './tuning-service';
import { TuningStore } from './tuning-store';

type Ids = (typeof TUNING_REQUESTS)[number]['id'] | (typeof TUNING_STREAMS)[number]['id'];
export type TuningHandlers = Pick<IpcHandlers, Extract<keyof IpcHandlers, Ids>>;

/**
 * The store opens on first use (the data directory exists by then); a failed open is retried at the next call.
 * `close` closes it if it was opened (main's dispose).
 */
function lazyStore(dataDir: string): { get: () => Promise<TuningStore>; close: () => Promise<void> } {
  let p: Promise<TuningStore> | undefined;
  return {
    get: () => {
      p ??= TuningStore.open({ dataDir }).catch((e: unknown) => {
        p = undefined;
        throw e;
      });
      return p;
    },
    close: async () => {
      const opened = await p?.catch(() => undefined);
      await opened?.close();
    },
  };
}

export function tuningHandlers(d: NetworkDeps, options: TuningServiceOptions = {}): TuningHandlers {
  const store = lazyStore(d.dataDir);
  d.onDispose?.(store.close);
  const service = new TuningService(d, store.get, options);
  return {
    [tuningPlan.id]: (input) => service.plan(compact<PlanRequest>(input)),
    [tuningApply.id]: (input) => service.apply(input),
    [tuningUndo.id]: (input) => service.undo(input),
    [tuningHistory.id]: (input) => service.history(input.hostId),
  };
}
