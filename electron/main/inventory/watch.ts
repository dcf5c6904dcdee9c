/**
 * The `inventory.watch` stream: each subscription first gets a snapshot, then the service's change events. Hosts
 * are polled only while at least one subscription is open (Lens's "became observed"): the first subscriber starts
 * the poller, the last one to leave stops it (aborting nothing: a refresh in flight finishes on its own and is
 * bounded by its per-host time budget).
 *
 * A round refreshes every host at once and waits for them at most one interval; the poller re-arms with setTimeout
 * after the round (never setInterval), so rounds never overlap, and a host still busy from the previous round is
 * skipped rather than queued (InventoryService.refresh).
 */
import type { InventoryEvent } from '../../../shared/ipc/contract';
import type { Clock } from '../clock';
import { startPoller, type Poller } from '../sampler/poller';
import type { InventoryService } from './service';

export interface InventoryWatch {
  /** The stream handler's work: returns the unsubscribe. */
  subscribe(emit: (event: InventoryEvent) => void): () => void;
  readonly subscribers: number;
  readonly polling: boolean;
  dispose(): void;
}

/** `onCrash`: a round threw (a bug; expected failures are states). Polling stops until someone subscribes again. */
export function createInventoryWatch(service: InventoryService, clock: Clock, onCrash: (e: unknown) => void): InventoryWatch {
  const subscribers = new Set<(event: InventoryEvent) => void>();
  let poller: Poller | undefined;
  const intervalMs = (): number => service.settings().refreshIntervalSec * 1000;

  const stopEvents = service.onEvent((e) => {
    for (const emit of [...subscribers]) emit(e);
  });

  const start = (): void => {
    poller = startPoller({
      intervalMs: intervalMs(),
      clock,
      poll: () => service.refreshAll({ budgetMs: intervalMs() }),
      // The setting may have changed since the round began.
      onResult: () => poller?.setInterval(intervalMs()),
      onCrash,
    });
  };

  return {
    subscribe(emit) {
      subscribers.add(emit);
      emit({ type: 'snapshot', hosts: service.views() });
      if (!poller?.running) start();
      let open = true;
      return () => {
        if (!open) return;
        open = false;
        subscribers.delete(emit);
        if (subscribers.size === 0) {
          poller?.stop();
          poller = undefined;
        }
      };
    },
    get subscribers() {
      return subscribers.size;
    },
    get polling() {
      return poller?.running === true;
    },
    dispose() {
      stopEvents();
      subscribers.clear();
      poller?.stop();
      poller = undefined;
    },
  };
}
