/**
 * Names without schemas, for code that must stay small and load no zod (the preload): the contract's channel ids
 * as plain strings (a test holds them equal to contract.ts, at compile time and at run time), the Electron IPC
 * channel names and the web mode's WebSocket conventions.
 */
import { PATH_REQUEST_CHANNELS, PATH_STREAM_CHANNELS } from './path-ids';
import { AUDIT_REQUEST_CHANNELS, AUDIT_STREAM_CHANNELS } from './audit-ids';
import { TUNING_REQUEST_CHANNELS, TUNING_STREAM_CHANNELS } from './tuning-ids';
import { REPORTS_REQUEST_CHANNELS, REPORTS_STREAM_CHANNELS } from './reports-ids';

export const REQUEST_CHANNELS = [
  'ferry.app.info',
  'ferry.hosts.list',
  'ferry.hosts.test',
  'ferry.hosts.trustKey',
  'ferry.hosts.add',
  'ferry.hosts.update',
  'ferry.hosts.remove',
  'ferry.hosts.refresh',
  'ferry.hosts.unlock',
  'ferry.sshConfig.read',
  'ferry.settings.get',
  'ferry.settings.set',
  'ferry.migrations.plan',
  'ferry.migrations.preflight',
  'ferry.migrations.start',
  'ferry.migrations.control',
  'ferry.migrations.list',
  'ferry.migrations.get',
  'ferry.profiles.list',
  'ferry.profiles.save',
  'ferry.profiles.remove',
  ...PATH_REQUEST_CHANNELS,
  ...AUDIT_REQUEST_CHANNELS,
  ...TUNING_REQUEST_CHANNELS,
  ...REPORTS_REQUEST_CHANNELS,
] as const;
export const STREAM_CHANNELS = [
  'ferry.inventory.watch',
  'ferry.migrations.watch',
  ...PATH_STREAM_CHANNELS,
  ...AUDIT_STREAM_CHANNELS,
  ...TUNING_STREAM_CHANNELS,
  ...REPORTS_STREAM_CHANNELS,
] as const;

export const REQUEST_CHANNEL_SET: ReadonlySet<string> = new Set(REQUEST_CHANNELS);
export const STREAM_CHANNEL_SET: ReadonlySet<string> = new Set(STREAM_CHANNELS);

/** Electron IPC channel names (ipcMain/ipcRenderer). The contract's channel id travels inside the message. */
export const ELECTRON_CHANNELS = Object.freeze({
  invoke: 'ferry:invoke',
  subscribe: 'ferry:subscribe',
  unsubscribe: 'ferry:unsubscribe',
  /** main -> renderer: stream frames (`event` and `end`, streamFrameSchema in wire.ts). */
  event: 'ferry:event',
} as const);

/** Web mode: the WebSocket endpoint, its subprotocol, and how the per-launch token travels (as a second subprotocol). */
export const WS_PATH = '/ws';
export const WS_PROTOCOL = 'ferry.v1';
export const WS_TOKEN_PROTOCOL_PREFIX = 'ferry-token.';
/**
 * The WebSocket close code for a token this server did not issue (a mistyped URL, or a page left open across a
 * restart, which makes a new token). A browser cannot read the HTTP status of a refused upgrade, so the server
 * completes the handshake and closes with this; the page stops reconnecting and says why.
 */
export const WS_CLOSE_BAD_TOKEN = 4401;
/** 32 random bytes in base64url: 43 characters of [A-Za-z0-9_-], all legal in a Sec-WebSocket-Protocol token. */
export const WEB_TOKEN = /^[A-Za-z0-9_-]{32,128}$/;
