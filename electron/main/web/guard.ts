/**
 * Who may use the web console: requests must name this server as their Host (a DNS-rebinding page cannot), a
 * WebSocket must come from this server's own page (Origin) and carry the per-launch token as a subprotocol.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { WEB_TOKEN, WS_PATH, WS_PROTOCOL, WS_TOKEN_PROTOCOL_PREFIX } from '../../../shared/ipc/channels';

/** 32 random bytes, base64url (43 characters). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Compares in time independent of where the strings differ (and of the length of the guess). */
export function sameToken(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '[::1]';
}

/** The authority part of a URL for a host and port (IPv6 in brackets). */
export function authority(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/**
 * The host names a loopback server answers to, any port (an SSH tunnel may forward another local port to it);
 * `undefined` means any name (an explicitly remote server). A DNS-rebinding page names its own host: refused.
 */
export function allowedHosts(host: string): ReadonlySet<string> | undefined {
  if (!isLoopback(host)) return undefined;
  return new Set([host.includes(':') ? `[${host}]` : host, '127.0.0.1', 'localhost', '[::1]']);
}

export function hostAllowed(req: IncomingMessage, allowed: ReadonlySet<string> | undefined): boolean {
  const header = req.headers.host;
  if (header === undefined || header === '') return false;
  if (allowed === undefined) return true;
  try {
    const url = new URL(`http://${header}`);
    return url.username === '' && url.pathname === '/' && allowed.has(url.hostname.toLowerCase());
  } catch {
    return false;
  }
}

export type UpgradeRefusal = { readonly status: 400 | 401 | 403 | 404; readonly why: string };

/** Every check an upgrade must pass before the WebSocket handshake; `undefined` when it passes. */
export function checkUpgrade(req: IncomingMessage, token: string, allowed: ReadonlySet<string> | undefined, scheme: 'http' | 'https' = 'http'): UpgradeRefusal | undefined {
  const path = (req.url ?? '').split('?')[0];
  if (path !== WS_PATH) return { status: 404, why: 'path' };
  if (!hostAllowed(req, allowed)) return { status: 403, why: 'host' };
  // Browsers always send Origin; it must be this server's page. Non-browser clients (no Origin) still need the token.
  const origin = req.headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== `${scheme}://${req.headers.host?.toLowerCase()}`) return { status: 403, why: 'origin' };
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  if (!offered.includes(WS_PROTOCOL)) return { status: 400, why: 'protocol' };
  const tokens = offered.filter((p) => p.startsWith(WS_TOKEN_PROTOCOL_PREFIX)).map((p) => p.slice(WS_TOKEN_PROTOCOL_PREFIX.length));
  const given = tokens.length === 1 ? tokens[0] : undefined;
  if (given === undefined || !WEB_TOKEN.test(given) || !sameToken(given, token)) return { status: 401, why: 'token' };
  return undefined;
}
