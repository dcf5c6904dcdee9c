/**
 * The shape main must fill to serve the contract: one handler per channel in shared/ipc/contract.ts, keyed by the
 * channel's id (`[hostsList.id]: async (input, ctx) => ...`). The map type is derived from REQUESTS and STREAMS,
 * so a channel added to the contract and not handled here is a compile error.
 */
import type { EventOf, InputOf, OutputOf, ParamsOf, AnyRequest, AnyStream } from '../../../shared/ipc/define';
import type { REQUESTS, STREAMS } from '../../../shared/ipc/contract';
import type { FerryError } from '../../../shared/errors';
import type { Result } from '../../../shared/result';

export type Transport = 'electron' | 'web';

/** Who is calling: one renderer (a window's webContents, a WebSocket). Its subscriptions end with it. */
export interface Caller {
  readonly clientId: string;
  readonly transport: Transport;
}

export interface StreamContext extends Caller {
  readonly subscription: string;
  /** Ends the subscription from main's side (the work behind it failed for good); the caller is told why. */
  end(error?: FerryError): void;
}

export type RequestHandler<R extends AnyRequest> = (input: InputOf<R>, ctx: Caller) => Promise<Result<OutputOf<R>, FerryError>>;

/** Starts the work behind a stream and returns the function that stops it; main works only while subscribed. */
export type StreamHandler<S extends AnyStream> = (params: ParamsOf<S>, emit: (event: EventOf<S>) => void, ctx: StreamContext) => () => void;

type Requests = (typeof REQUESTS)[number];
type Streams = (typeof STREAMS)[number];

export type IpcHandlers = {
  readonly [R in Requests as R['id']]: RequestHandler<R>;
} & {
  readonly [S in Streams as S['id']]: StreamHandler<S>;
};
