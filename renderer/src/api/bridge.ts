/**
 * Which bridge the renderer talks through: `window.ferry` in the desktop app (the preload's), otherwise the
 * WebSocket of web mode, with the token the page URL carried. Written against `globalThis` with small structural
 * types so it type-checks (and loads in tests) without the DOM library.
 */
import type { FerryBridge } from '../../../shared/ipc/define';
import { WS_PATH } from '../../../shared/ipc/channels';
import { createWebSocketBridge, type ConnectionStatus, type SocketLike } from './ws-bridge';
import { takeWebToken, type HistoryLike, type StorageLike } from './token';

interface BrowserGlobals {
  readonly ferry?: FerryBridge;
  readonly location: { readonly href: string; readonly host: string; readonly protocol: string };
  readonly history: HistoryLike;
  readonly sessionStorage?: StorageLike;
  readonly WebSocket: new (url: string, protocols: string[]) => SocketLike;
}

let bridge: FerryBridge | undefined;
let status: ConnectionStatus = 'open';
const statusListeners = new Set<(s: ConnectionStatus) => void>();

function sessionStorageOf(g: BrowserGlobals): StorageLike | undefined {
  try {
    return g.sessionStorage; // reading it throws where storage is disabled
  } catch {
    return undefined;
  }
}

export function getBridge(): FerryBridge {
  if (bridge) return bridge;
  const g = globalThis as unknown as BrowserGlobals;
  if (g.ferry) return (bridge = g.ferry);
  const token = takeWebToken(g.location, g.history, sessionStorageOf(g));
  const scheme = g.location.protocol === 'https:' ? 'wss' : 'ws';
  const web = createWebSocketBridge({
    url: `${scheme}://${g.location.host}${WS_PATH}`,
    token,
    createSocket: (url, protocols) => new g.WebSocket(url, protocols),
    onStatus: (s) => {
      status = s;
      statusListeners.forEach((l) => l(s));
    },
  });
  status = web.status;
  return (bridge = web);
}

/** Web mode's connection state, for a banner ("reconnecting..."); the desktop bridge is always 'open'. */
export function connectionStatus(): ConnectionStatus {
  return status;
}

export function onConnectionStatus(listener: (s: ConnectionStatus) => void): () => void {
  statusListeners.add(listener);
  return () => statusListeners.delete(listener);
}
