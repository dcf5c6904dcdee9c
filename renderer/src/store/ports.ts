/**
 * The store's one seam to main: the two calls of the renderer-side client (renderer/src/api). The store is built
 * around this interface so it runs in plain Node tests against an in-memory fake (renderer/src/dev/fakeApi) and in
 * the app against the real client, which satisfies it structurally.
 */
import type { RequestDef, StreamDef } from '../../../shared/ipc/define';
import type { FerryError } from '../../../shared/errors';
import type { Result } from '../../../shared/result';

export interface FerryApi {
  /** One request; expected failures come back as `{ ok: false, error }`, never as a rejection. */
  invoke<I, O>(def: RequestDef<I, O>, input: I): Promise<Result<O, FerryError>>;
  /** Opens a subscription; the returned function ends it. `onEnd` fires when main ends it first. */
  subscribe<P, E>(def: StreamDef<P, E>, params: P, onEvent: (event: E) => void, onEnd?: (error?: FerryError) => void): () => void;
}

/** A thrown error or rejected promise from a transport, as the FerryError every other failure already is. */
export function transportError(cause: unknown): FerryError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return { code: 'ipc.transport', message: `Ferry lost contact with its back end: ${message}` };
}

/** `api.invoke` that never rejects: a transport that throws is turned into an `ipc.transport` error. */
export async function call<I, O>(api: FerryApi, def: RequestDef<I, O>, input: I): Promise<Result<O, FerryError>> {
  try {
    return await api.invoke(def, input);
  } catch (cause) {
    return { ok: false, error: transportError(cause) };
  }
}
