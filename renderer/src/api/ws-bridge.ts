/**
 * The FerryBridge of web mode: the contract over one WebSocket to `npm run web`'s server. The per-launch token
 * travels as a second Sec-WebSocket-Protocol value. On a lost connection it fails the requests in flight with
 * ipc.transport, reconnects with backoff, and re-subscribes every live subscription once it is back. A server that
 * closes with WS_CLOSE_BAD_TOKEN did not issue this token (mistyped, or Ferry restarted since): retrying cannot help,
 * so the bridge stops ('rejected'), ends every subscription and says how to get the new URL.
 *
 * No DOM types here: the socket is a small interface, so this runs in Node tests with the `ws` package's client.
 */
import type { FerryBridge } from '../../../shared/ipc/define';
import { transportError, unknownChannel } from '../../../shared/ipc/errors';
import { REQUEST_CHANNEL_SET, STREAM_CHANNEL_SET, WS_CLOSE_BAD_TOKEN, WS_PROTOCOL, WS_TOKEN_PROTOCOL_PREFIX } from '../../../shared/ipc/channels';
import { serverFrameSchema, type ClientFrame } from '../../../shared/ipc/wire';
import type { FerryError } from '../../../shared/errors';
import { err } from '../../../shared/result';

/** What the bridge needs of a WebSocket; the browser's and the `ws` package's both fit. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number): void;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
  addEventListener(type: 'close', listener: (event: { readonly code?: number }) => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}
export type SocketFactory = (url: string, protocols: string[]) => SocketLike;

export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'closed' | 'no-token' | 'rejected';

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WebSocketBridgeOptions {
  /** ws://host:port/ws */
  readonly url: string;
  readonly token: string | undefined;
  readonly createSocket: SocketFactory;
  /** Delay before reconnect attempt n (from 0): initialMs * 2^n, capped at maxMs. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly timers?: Timers;
  readonly onStatus?: (status: ConnectionStatus) => void;
}

export interface WebSocketBridge extends FerryBridge {
  readonly status: ConnectionStatus;
  /** Closes for good: fails what is in flight and stops reconnecting. */
  close(): void;
}

const OPEN = 1;
const CONNECTING = 0;

interface Sub {
  readonly channel: string;
  readonly params: unknown;
  readonly onEvent: (event: unknown) => void;
  readonly onEnd: ((error?: FerryError) => void) | undefined;
}

/** What a page whose token the server refused tells the admin (the banner says the same). */
export const BAD_TOKEN_MESSAGE =
  'Ferry refused this page’s access token: it is wrong, or Ferry was restarted since the page was opened (each start makes a new token). Open the URL printed by the terminal that started `npm run web` (it ends in ?token=…).';

export function reconnectDelay(attempt: number, backoff: { initialMs: number; maxMs: number }): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt, 20));
}

export function createWebSocketBridge(options: WebSocketBridgeOptions): WebSocketBridge {
  const backoff = options.backoff ?? { initialMs: 250, maxMs: 10_000 };
  const timers: Timers = options.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as number) };
  const pending = new Map<string, (result: unknown) => void>();
  const queued: string[] = []; // invoke frames written while the socket was still connecting
  const subs = new Map<string, Sub>();
  let socket: SocketLike | undefined;
  let status: ConnectionStatus = 'connecting';
  let attempt = 0;
  let retry: unknown;
  let seq = 0;

  const setStatus = (s: ConnectionStatus) => {
    if (s === status) return;
    status = s;
    options.onStatus?.(s);
  };
  const isOpen = () => socket !== undefined && socket.readyState === OPEN;
  const sendNow = (frame: ClientFrame) => socket?.send(JSON.stringify(frame));

  function failInFlight(error: FerryError): void {
    const waiting = [...pending.values()];
    pending.clear();
    queued.length = 0;
    waiting.forEach((resolve) => resolve(err(error)));
  }

  function onMessage(data: unknown): void {
    let json: unknown;
    try {
      json = JSON.parse(String(data));
    } catch {
      return;
    }
    const parsed = serverFrameSchema.safeParse(json);
    if (!parsed.success) return;
    const frame = parsed.data;
    if (frame.t === 'result') {
      const resolve = pending.get(frame.id);
      pending.delete(frame.id);
      return resolve?.(frame.result);
    }
    const sub = subs.get(frame.subscription);
    if (!sub) return;
    try {
      if (frame.t === 'event') return sub.onEvent(frame.event);
      subs.delete(frame.subscription);
      sub.onEnd?.(frame.error);
    } catch {
      // A throwing page callback must not break the routing of other frames.
    }
  }

  function connect(): void {
    retry = undefined;
    let s: SocketLike;
    try {
      s = options.createSocket(options.url, [WS_PROTOCOL, WS_TOKEN_PROTOCOL_PREFIX + options.token]);
    } catch {
      return scheduleRetry();
    }
    socket = s;
    s.addEventListener('open', () => {
      if (socket !== s) return;
      attempt = 0;
      setStatus('open');
      for (const [subscription, sub] of subs) sendNow({ t: 'subscribe', subscription, channel: sub.channel, params: sub.params });
      queued.splice(0).forEach((text) => s.send(text));
    });
    s.addEventListener('message', (event) => {
      if (socket === s) onMessage(event.data);
    });
    s.addEventListener('error', () => undefined); // a 'close' always follows; that is where the bridge reacts
    s.addEventListener('close', (event) => {
      if (socket !== s) return;
      socket = undefined;
      if (event.code === WS_CLOSE_BAD_TOKEN) return reject();
      failInFlight(transportError('Ferry lost its connection to the web console server; reconnecting.'));
      if (status !== 'closed') scheduleRetry();
    });
  }

  /** The server refused the token: no retry; what waits or listens learns why. */
  function reject(): void {
    setStatus('rejected');
    failInFlight(badToken);
    const ended = [...subs.values()];
    subs.clear();
    for (const sub of ended) {
      try {
        sub.onEnd?.(badToken);
      } catch {
        // A throwing page callback must not stop the others from hearing it.
      }
    }
  }

  function scheduleRetry(): void {
    setStatus('reconnecting');
    retry = timers.setTimeout(connect, reconnectDelay(attempt++, backoff));
  }

  function invoke(channel: string, input: unknown): Promise<unknown> {
    if (typeof channel !== 'string' || !REQUEST_CHANNEL_SET.has(channel)) return Promise.resolve(err(unknownChannel(channel, 'request')));
    if (status === 'no-token') return Promise.resolve(err(noToken));
    if (status === 'rejected') return Promise.resolve(err(badToken));
    if (status === 'closed') return Promise.resolve(err(transportError('The connection to Ferry is closed.')));
    if (!socket) return Promise.resolve(err(transportError('Ferry is not connected to its server right now; reconnecting.')));
    const id = `r${++seq}`;
    let text: string;
    try {
      text = JSON.stringify({ t: 'invoke', id, channel, input } satisfies ClientFrame);
    } catch {
      return Promise.resolve(err(transportError('The request could not be sent (it must be plain data).')));
    }
    return new Promise((resolve) => {
      pending.set(id, resolve);
      if (isOpen()) socket?.send(text);
      else if (socket?.readyState === CONNECTING) queued.push(text);
    });
  }

  function subscribe(channel: string, params: unknown, onEvent: (event: unknown) => void, onEnd?: (error?: FerryError) => void): () => void {
    const endLater = (error: FerryError) => void Promise.resolve().then(() => onEnd?.(error));
    if (typeof channel !== 'string' || !STREAM_CHANNEL_SET.has(channel)) {
      endLater(unknownChannel(channel, 'stream'));
      return () => undefined;
    }
    if (status === 'no-token' || status === 'closed' || status === 'rejected') {
      endLater(status === 'no-token' ? noToken : status === 'rejected' ? badToken : transportError('The connection to Ferry is closed.'));
      return () => undefined;
    }
    const subscription = `s${++seq}`;
    try {
      JSON.stringify(params);
    } catch {
      endLater(transportError('The subscription could not be sent (its parameters must be plain data).'));
      return () => undefined;
    }
    subs.set(subscription, { channel, params, onEvent, onEnd });
    if (isOpen()) sendNow({ t: 'subscribe', subscription, channel, params });
    return () => {
      if (subs.delete(subscription) && isOpen()) sendNow({ t: 'unsubscribe', subscription });
    };
  }

  function close(): void {
    setStatus('closed');
    if (retry !== undefined) timers.clearTimeout(retry);
    const s = socket;
    socket = undefined;
    subs.clear();
    failInFlight(transportError('The connection to Ferry is closed.'));
    s?.close(1000);
  }

  const noToken = transportError(
    'This page was opened without its access token. Open the full URL Ferry printed when it started (it ends in ?token=...).',
  );
  const badToken = transportError(BAD_TOKEN_MESSAGE);
  if (options.token === undefined || options.token === '') setStatus('no-token');
  else connect();

  return {
    invoke,
    subscribe,
    close,
    get status() {
      return status;
    },
  };
}
