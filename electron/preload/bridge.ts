/**
 * `window.ferry` as the preload builds it: the FerryBridge over ipcRenderer. It refuses channel ids the contract
 * does not declare before anything reaches main, names its subscriptions, and routes main's stream frames to the
 * right callback. ipcRenderer itself never leaves this module: the page sees two functions and nothing else.
 *
 * It loads no schemas (zod would make the preload ~100x bigger): main validates what the page sends, and the
 * renderer's client (renderer/src/api) validates every answer and event against the contract.
 */
import type { IpcRenderer } from 'electron';
import { ELECTRON_CHANNELS, REQUEST_CHANNEL_SET, STREAM_CHANNEL_SET } from '../../shared/ipc/channels';
import type { FerryBridge } from '../../shared/ipc/define';
import { transportError, unknownChannel } from '../../shared/ipc/errors';
import type { StreamFrame } from '../../shared/ipc/wire';
import type { FerryError } from '../../shared/errors';
import { err } from '../../shared/result';

type OnEvent = (event: unknown) => void;
type OnEnd = (error?: FerryError) => void;

export interface PreloadBridgeOptions {
  /** Subscription ids; unique across page loads of one window (main keys subscriptions by window). */
  readonly newSubscriptionId?: () => string;
}

function pageScopedIds(): () => string {
  const page = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, '0')).join('');
  let seq = 0;
  return () => `${page}-${++seq}`;
}

const later = (fn: () => void) => void Promise.resolve().then(fn);

/** The shape of main's stream frames, checked by hand (see above). */
function isStreamFrame(m: unknown): m is StreamFrame {
  if (typeof m !== 'object' || m === null) return false;
  const f = m as Record<string, unknown>;
  return typeof f['subscription'] === 'string' && (f['t'] === 'event' || (f['t'] === 'end' && (f['error'] === undefined || typeof f['error'] === 'object')));
}

export function createPreloadBridge(ipc: Pick<IpcRenderer, 'invoke' | 'send' | 'on'>, options: PreloadBridgeOptions = {}): FerryBridge {
  const newId = options.newSubscriptionId ?? pageScopedIds();
  const live = new Map<string, { onEvent: OnEvent; onEnd: OnEnd | undefined }>();
  const notSent = transportError("The message could not be sent to Ferry's main process (it must be plain data).");

  ipc.on(ELECTRON_CHANNELS.event, (_event, frame: unknown) => {
    if (!isStreamFrame(frame)) return;
    const sub = live.get(frame.subscription);
    if (!sub) return;
    try {
      if (frame.t === 'event') return sub.onEvent(frame.event);
      live.delete(frame.subscription);
      sub.onEnd?.(frame.error);
    } catch {
      // A throwing page callback must not break the routing of other subscriptions.
    }
  });

  function invoke(channel: string, input: unknown): Promise<unknown> {
    if (typeof channel !== 'string' || !REQUEST_CHANNEL_SET.has(channel)) return Promise.resolve(err(unknownChannel(channel, 'request')));
    try {
      return ipc.invoke(ELECTRON_CHANNELS.invoke, { channel, input }).catch(() => err(notSent));
    } catch {
      return Promise.resolve(err(notSent));
    }
  }

  function subscribe(channel: string, params: unknown, onEvent: OnEvent, onEnd?: OnEnd): () => void {
    const end = typeof onEnd === 'function' ? onEnd : undefined;
    if (typeof channel !== 'string' || !STREAM_CHANNEL_SET.has(channel) || typeof onEvent !== 'function') {
      later(() => end?.(unknownChannel(channel, 'stream')));
      return () => undefined;
    }
    const subscription = newId();
    live.set(subscription, { onEvent, onEnd: end });
    try {
      ipc.send(ELECTRON_CHANNELS.subscribe, { subscription, channel, params });
    } catch {
      live.delete(subscription);
      later(() => end?.(notSent));
      return () => undefined;
    }
    return () => {
      if (live.delete(subscription)) ipc.send(ELECTRON_CHANNELS.unsubscribe, { subscription });
    };
  }

  return Object.freeze({ invoke, subscribe });
}
