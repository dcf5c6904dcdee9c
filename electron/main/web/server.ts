/**
 * Web mode: the same IPC core behind a local HTTP server. It serves the built renderer with strict headers and
 * carries the contract over one WebSocket endpoint, guarded by a random per-launch token (see guard.ts). Binds
 * 127.0.0.1 unless told, explicitly, to listen elsewhere, and then only with TLS (HTTPS/WSS, the same handlers):
 * the page URL carries the token, and the console sends key passphrases. At most `maxConnections` WebSockets are
 * served at once (one per open tab); the next is closed with 1013 "try again later".
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { WEB_TOKEN, WS_CLOSE_BAD_TOKEN, WS_PROTOCOL } from '../../../shared/ipc/channels';
import type { IpcCore } from '../ipc/core';
import { silentIpcLogger, type IpcLogger } from '../ipc/log';
import { allowedHosts, authority, checkUpgrade, hostAllowed, isLoopback, newToken } from './guard';
import { DEFAULT_SOCKET_LIMITS, serveSocket, type SocketLimits } from './socket';
import { serveStatic } from './static';

export interface WebServerOptions {
  readonly core: IpcCore;
  /** The built renderer (dist/renderer). */
  readonly staticDir: string;
  /** Default 127.0.0.1. Anything but a loopback address needs `allowRemote`. */
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Default: 32 fresh random bytes. Given, it must look like one (43+ base64url characters). */
  readonly token?: string;
  /** Listen on a non-loopback address: anyone who can reach it and holds the token drives Ferry. */
  readonly allowRemote?: boolean;
  /** PEM certificate and key: serve HTTPS and WSS. Required for any non-loopback host. */
  readonly tls?: { readonly cert: Buffer | string; readonly key: Buffer | string };
  /** Concurrent WebSockets served (default 8): each holds subscriptions and SSH work on this machine. */
  readonly maxConnections?: number;
  readonly logger?: IpcLogger;
  readonly limits?: Partial<SocketLimits>;
}

export interface WebServer {
  /** The page to open, token included: http://127.0.0.1:PORT/?token=... (https:// with TLS) */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

export const DEFAULT_MAX_CONNECTIONS = 8;
/** RFC 6455 1013 "Try Again Later": the page's client reconnects with backoff, and gets in once a tab closes. */
export const WS_CLOSE_TRY_LATER = 1013;

/** Headers on every HTTP answer. connect-src names this server's own WebSocket origin and nothing else. */
export function securityHeaders(hostHeader: string, secure = false): Record<string, string> {
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${secure ? 'wss' : 'ws'}://${hostHeader}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    // The page URL carries the token: never send it anywhere as a referrer.
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=()',
  };
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' };

function refuseUpgrade(socket: Duplex, status: number): void {
  socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const { core, staticDir } = options;
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? silentIpcLogger;
  const limits = { ...DEFAULT_SOCKET_LIMITS, ...options.limits };
  if (!isLoopback(host) && !options.allowRemote) {
    throw new Error(`Refusing to listen on ${host}: the web console binds to loopback only unless remote access is asked for explicitly.`);
  }
  if (!isLoopback(host) && options.tls === undefined) {
    throw new Error(`Refusing to listen on ${host} without TLS: the token and key passphrases would cross the network in clear.`);
  }
  const secure = options.tls !== undefined;
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  if (options.token !== undefined && !WEB_TOKEN.test(options.token)) throw new Error('A web token must be 32-128 base64url characters.');
  const token = options.token ?? newToken();
  const allowed = allowedHosts(host);
  let clients = 0;
  let open = 0;

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 1024 * 1024,
    handleProtocols: (offered) => (offered.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  });

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (!hostAllowed(req, allowed)) {
      res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' });
      return void res.end('Forbidden host\n');
    }
    serveStatic(req, res, staticDir, securityHeaders(req.headers.host ?? '', secure)).catch((e: unknown) => {
      logger.error('web.static-failed', { error: e instanceof Error ? e.message : String(e) });
      res.destroy();
    });
  };
  const server: Server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' }, handler) : createServer(handler);

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const refusal = checkUpgrade(req, token, allowed, secure ? 'https' : 'http');
    if (refusal) {
      logger.warn('web.upgrade-refused', { why: refusal.why, origin: req.headers.origin?.slice(0, 200) });
      // This server's own page (host, origin and protocol passed) with a token it did not issue: say so in a way a
      // browser can read (a close code; it never sees an upgrade's HTTP status), and serve nothing on the socket.
      if (refusal.why === 'token') return wss.handleUpgrade(req, socket, head, (ws) => ws.close(WS_CLOSE_BAD_TOKEN, 'bad token'));
      return refuseUpgrade(socket, refusal.status);
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (open >= maxConnections) {
        logger.warn('web.too-many-connections', { open, max: maxConnections });
        return ws.close(WS_CLOSE_TRY_LATER, `too many connections: Ferry serves ${maxConnections} at a time; close another Ferry tab`);
      }
      open++;
      ws.once('close', () => open--);
      serveSocket(ws, core, `web:${++clients}`, logger, limits);
    });
  });
  server.on('clientError', (_e, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `${secure ? 'https' : 'http'}://${authority(host, port)}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
