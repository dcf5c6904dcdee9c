/**
 * Live subscriptions, per client. A subscription starts its stream handler's work and holds the function that
 * stops it; unsubscribing, the client going away, an invalid event or the handler ending it all stop that work
 * exactly once. Events are validated against the stream's schema before they reach the transport.
 */
import { findStream } from '../../../shared/ipc/contract';
import { describeSchemaError, type AnyStream } from '../../../shared/ipc/define';
import { ferryError, type FerryError } from '../../../shared/errors';
import type { Caller, StreamContext } from './handlers';
import { internalError, unknownChannel } from '../../../shared/ipc/errors';
import { describeThrown, type IpcLogger } from './log';

/** Where a subscription's frames go (a webContents, a socket). Called only while the subscription is live. */
export interface StreamSink {
  event(event: unknown): void;
  end(error?: FerryError): void;
}

type LooseStreamHandler = (params: unknown, emit: (event: unknown) => void, ctx: StreamContext) => unknown;

interface Live {
  readonly def: AnyStream;
  readonly sink: StreamSink;
  stop: (() => void) | undefined;
  ended: boolean;
}

export interface SubscriptionsDeps {
  readonly handlerOf: (channelId: string) => LooseStreamHandler;
  readonly logger: IpcLogger;
  readonly maxPerClient: number;
}

const internal = (channel: string) => internalError(`the ${channel} stream`);

export function createSubscriptions(deps: SubscriptionsDeps) {
  const { logger } = deps;
  const clients = new Map<string, Map<string, Live>>();

  function safely(what: string, fields: Record<string, unknown>, fn: () => void): void {
    try {
      fn();
    } catch (thrown) {
      logger.error(what, { ...fields, error: describeThrown(thrown) });
    }
  }

  /** Removes a subscription and stops its work; tells the client only when main ended it. */
  function finish(clientId: string, id: string, live: Live, notify: boolean, error?: FerryError): void {
    if (live.ended) return;
    live.ended = true;
    const subs = clients.get(clientId);
    if (subs?.get(id) === live) subs.delete(id);
    if (subs?.size === 0) clients.delete(clientId);
    const stop = live.stop;
    if (stop) safely('ipc.stream-stop-threw', { channel: live.def.id }, stop);
    if (notify) safely('ipc.sink-threw', { channel: live.def.id }, () => live.sink.end(error));
  }

  function refuse(sink: StreamSink, error: FerryError): void {
    safely('ipc.sink-threw', {}, () => sink.end(error));
  }

  function subscribe(caller: Caller, id: string, channelId: unknown, params: unknown, sink: StreamSink): void {
    const { clientId } = caller;
    const def = typeof channelId === 'string' ? findStream(channelId) : undefined;
    if (!def) return refuse(sink, unknownChannel(channelId, 'stream'));
    const subs = clients.get(clientId) ?? new Map<string, Live>();
    if (subs.has(id)) {
      // Ending it would end the live one of the same id: the client's bug stays in the log.
      logger.warn('ipc.duplicate-subscription', { channel: def.id, client: clientId });
      return;
    }
    if (subs.size >= deps.maxPerClient) {
      return refuse(sink, ferryError('ipc.bad-payload', `Too many live subscriptions (at most ${deps.maxPerClient} per window).`));
    }
    const parsed = def.params.safeParse(params);
    if (!parsed.success) return refuse(sink, describeSchemaError(`The parameters of ${def.id}`, parsed.error));

    const live: Live = { def, sink, stop: undefined, ended: false };
    subs.set(id, live);
    clients.set(clientId, subs);
    const emit = (event: unknown) => {
      if (live.ended) return;
      const checked = def.event.safeParse(event);
      if (!checked.success) {
        logger.error('ipc.bad-event', { channel: def.id, problem: describeSchemaError('The event', checked.error).message });
        return finish(clientId, id, live, true, internal(def.id));
      }
      safely('ipc.sink-threw', { channel: def.id }, () => sink.event(checked.data));
    };
    const ctx: StreamContext = { ...caller, subscription: id, end: (error) => finish(clientId, id, live, true, error) };
    let stop: unknown;
    try {
      stop = deps.handlerOf(def.id)(parsed.data, emit, ctx);
    } catch (thrown) {
      logger.error('ipc.handler-threw', { channel: def.id, client: clientId, error: describeThrown(thrown) });
      return finish(clientId, id, live, true, internal(def.id));
    }
    if (typeof stop !== 'function') {
      logger.error('ipc.handler-no-stop', { channel: def.id });
      return finish(clientId, id, live, true, internal(def.id));
    }
    live.stop = stop as () => void;
    // Ended while the handler was still starting (an invalid first event, ctx.end): stop what it just started.
    if (live.ended) safely('ipc.stream-stop-threw', { channel: def.id }, live.stop);
  }

  function unsubscribe(clientId: string, id: string): void {
    const live = clients.get(clientId)?.get(id);
    if (live) finish(clientId, id, live, false);
  }

  function dropClient(clientId: string): void {
    for (const [id, live] of [...(clients.get(clientId) ?? [])]) finish(clientId, id, live, false);
  }

  function count(clientId?: string): number {
    if (clientId !== undefined) return clients.get(clientId)?.size ?? 0;
    let n = 0;
    for (const subs of clients.values()) n += subs.size;
    return n;
  }

  function dispose(): void {
    for (const clientId of [...clients.keys()]) dropClient(clientId);
  }

  return { subscribe, unsubscribe, dropClient, count, dispose };
}
