/**
 * The shape of Ferry's one IPC contract. Each channel is declared once as a typed constant that carries its types
 * (phantom-typed through its zod schemas, Lens-style) and its runtime validation; handlers and callers name the
 * constant, never a string.
 *
 * - A request takes an input and answers a Result: expected failures are data (a FerryError with a code and a
 *   message a person understands), because a thrown Error loses everything but its message across a process boundary.
 * - A stream is a subscription: the caller subscribes with params, receives events, and unsubscribes. Main only does
 *   the work behind a stream (polling hosts) while something is subscribed.
 * Transports (Electron IPC, the web mode's WebSocket) carry the wire messages below and nothing else.
 */
import { z } from 'zod';
import type { FerryError, FerryErrorCode } from '../errors';
import type { Result } from '../result';

/** `Id` is the channel id as a literal type, so a handler map can be keyed by `[someDef.id]` and checked for gaps. */
export interface RequestDef<I, O, Id extends string = string> {
  readonly kind: 'request';
  readonly id: Id;
  readonly input: z.ZodType<I>;
  readonly output: z.ZodType<O>;
}

export interface StreamDef<P, E, Id extends string = string> {
  readonly kind: 'stream';
  readonly id: Id;
  readonly params: z.ZodType<P>;
  readonly event: z.ZodType<E>;
}

export type AnyRequest = RequestDef<any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
export type AnyStream = StreamDef<any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export type InputOf<R> = R extends RequestDef<infer I, unknown, string> ? I : never;
export type OutputOf<R> = R extends RequestDef<unknown, infer O, string> ? O : never;
export type ParamsOf<S> = S extends StreamDef<infer P, unknown, string> ? P : never;
export type EventOf<S> = S extends StreamDef<unknown, infer E, string> ? E : never;

/** Channel ids are namespaced (`ferry.<area>.<name>`) so that a transport can refuse anything else at a glance. */
export const CHANNEL_ID = /^ferry\.[a-z][a-zA-Z]*\.[a-z][a-zA-Z]*$/;

export function request<const Id extends string, I, O>(id: Id, input: z.ZodType<I>, output: z.ZodType<O>): RequestDef<I, O, Id> {
  if (!CHANNEL_ID.test(id)) throw new Error(`bad channel id ${id}`);
  return Object.freeze({ kind: 'request', id, input, output });
}

export function stream<const Id extends string, P, E>(id: Id, params: z.ZodType<P>, event: z.ZodType<E>): StreamDef<P, E, Id> {
  if (!CHANNEL_ID.test(id)) throw new Error(`bad channel id ${id}`);
  return Object.freeze({ kind: 'stream', id, params, event });
}

// ---- errors and results on the wire ----------------------------------------------------------------------------

/**
 * Any non-empty code is accepted, not only this build's list: a journal or a saved report may carry a code that a
 * later version renamed or dropped, and refusing the whole record for it would lose the rest.
 */
export const ferryErrorSchema: z.ZodType<FerryError> = z.object({
  code: z.custom<FerryErrorCode>((v) => typeof v === 'string' && v !== ''),
  message: z.string(),
  detail: z.string().exactOptional(),
});

/** Discriminated on `ok`, so a rejected answer names the path that failed (`value.0.record.id`). */
export function resultSchema<T>(value: z.ZodType<T>): z.ZodType<Result<T, FerryError>> {
  return z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), value }),
    z.object({ ok: z.literal(false), error: ferryErrorSchema }),
  ]);
}

/** A payload that failed its schema, described for a person (first few issues, with their paths). */
export function describeSchemaError(what: string, error: z.ZodError): FerryError {
  const issues = error.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  return { code: 'ipc.bad-payload', message: `${what} was rejected: ${issues.join('; ')}.` };
}

// ---- wire messages (what the transports carry) -----------------------------------------------------------------

export const wireRequestSchema = z.object({ channel: z.string(), input: z.unknown() });
export const wireSubscribeSchema = z.object({ subscription: z.string().min(1).max(100), channel: z.string(), params: z.unknown() });
export const wireUnsubscribeSchema = z.object({ subscription: z.string().min(1).max(100) });
export const wireEventSchema = z.object({ subscription: z.string(), event: z.unknown() });
/** A subscription main had to end (its params were refused, the work behind it failed for good). */
export const wireStreamEndSchema = z.object({ subscription: z.string(), error: ferryErrorSchema.optional() });

/** What the renderer sees, whatever the transport: `window.ferry` in Electron, a WebSocket client in web mode. */
export interface FerryBridge {
  invoke(channel: string, input: unknown): Promise<unknown>;
  subscribe(channel: string, params: unknown, onEvent: (event: unknown) => void, onEnd?: (error?: FerryError) => void): () => void;
}
