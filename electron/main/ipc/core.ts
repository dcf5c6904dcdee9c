/**
 * The transport-neutral half of IPC: given a channel id and an untrusted payload, find the channel, validate the
 * payload, run the handler, validate what it answers, and never throw. The Electron adapter and the WebSocket
 * server are thin layers over this one object, so both transports behave the same by construction.
 */
import type { z } from 'zod';
import { REQUESTS, STREAMS, findRequest } from '../../../shared/ipc/contract';
import { describeSchemaError, resultSchema, type AnyRequest } from '../../../shared/ipc/define';
import type { FerryError } from '../../../shared/errors';
import { err, type Result } from '../../../shared/result';
import type { Caller, IpcHandlers } from './handlers';
import { internalError, unknownChannel } from '../../../shared/ipc/errors';
import { describeThrown, silentIpcLogger, type IpcLogger } from './log';
import { createSubscriptions, type StreamSink } from './subscriptions';

export type { StreamSink } from './subscriptions';

export interface IpcCore {
  /** Answers a Result for any input, including garbage; a handler's bug becomes `ipc.internal`. */
  invoke(channelId: unknown, input: unknown, caller?: Caller): Promise<Result<unknown, FerryError>>;
  /** Starts a subscription; refusals (unknown channel, bad params) arrive as `sink.end(error)`. */
  subscribe(caller: Caller, subscriptionId: string, channelId: unknown, params: unknown, sink: StreamSink): void;
  /** Stops a subscription at its caller's request (no `end` is sent). Unknown ids are ignored. */
  unsubscribe(clientId: string, subscriptionId: string): void;
  /** A window closed or a socket dropped: ends every subscription it held. */
  dropClient(clientId: string): void;
  subscriptionCount(clientId?: string): number;
  /** Ends every subscription (shutdown). */
  dispose(): void;
}

export interface IpcCoreOptions {
  readonly logger?: IpcLogger;
  /** Live subscriptions one client may hold; more is a runaway renderer. Default 64. */
  readonly maxSubscriptionsPerClient?: number;
}

type LooseRequestHandler = (input: unknown, caller: Caller) => Promise<unknown>;

const LOCAL_CALLER: Caller = { clientId: 'local', transport: 'electron' };

/** Refuses to start with a hole in the handler map (a cast or plain JS can get past the type). */
function assertComplete(handlers: IpcHandlers): void {
  const table = handlers as unknown as Record<string, unknown>;
  const missing = [...REQUESTS, ...STREAMS].filter((d) => typeof table[d.id] !== 'function').map((d) => d.id);
  if (missing.length) throw new Error(`IPC handlers missing for: ${missing.join(', ')}`);
}

export function createIpcCore(handlers: IpcHandlers, options: IpcCoreOptions = {}): IpcCore {
  assertComplete(handlers);
  const logger = options.logger ?? silentIpcLogger;
  const table = handlers as unknown as Record<string, (...args: never[]) => unknown>;
  const answerSchemas = new Map<string, z.ZodType<Result<unknown, FerryError>>>();
  const answerSchemaOf = (def: AnyRequest) => {
    let schema = answerSchemas.get(def.id);
    if (!schema) answerSchemas.set(def.id, (schema = resultSchema(def.output)));
    return schema;
  };
  const subscriptions = createSubscriptions({
    handlerOf: (id) => table[id] as never,
    logger,
    maxPerClient: options.maxSubscriptionsPerClient ?? 64,
  });

  async function invoke(channelId: unknown, input: unknown, caller: Caller = LOCAL_CALLER): Promise<Result<unknown, FerryError>> {
    const def = typeof channelId === 'string' ? findRequest(channelId) : undefined;
    if (!def) return err(unknownChannel(channelId, 'request'));
    const parsed = def.input.safeParse(input);
    if (!parsed.success) return err(describeSchemaError(`The input of ${def.id}`, parsed.error));
    let answer: unknown;
    try {
      answer = await (table[def.id] as LooseRequestHandler)(parsed.data, caller);
    } catch (thrown) {
      logger.error('ipc.handler-threw', { channel: def.id, client: caller.clientId, error: describeThrown(thrown) });
      return err(internalError(def.id));
    }
    const checked = answerSchemaOf(def).safeParse(answer);
    if (!checked.success) {
      logger.error('ipc.bad-answer', { channel: def.id, problem: describeSchemaError('The answer', checked.error).message });
      return err(internalError(def.id));
    }
    return checked.data;
  }

  return {
    invoke,
    subscribe: subscriptions.subscribe,
    unsubscribe: subscriptions.unsubscribe,
    dropClient: subscriptions.dropClient,
    subscriptionCount: subscriptions.count,
    dispose: subscriptions.dispose,
  };
}
