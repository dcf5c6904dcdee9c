/**
 * Names without schemas, for code that must stay small and load no zod (the preload): the contract's channel ids,
 * spelled here once (contract.ts declares each channel with its id from REQUEST_ID / STREAM_ID, keyed by the
 * channel constant's name, and fails to compile while an id has no channel in its lists), the Electron IPC channel
 * names and the web mode's WebSocket conventions.
 */
import { PATH_REQUEST_IDS, PATH_STREAM_IDS } from './path-ids';
import { AUDIT_REQUEST_IDS, AUDIT_STREAM_IDS } from './audit-ids';
import { TUNING_REQUEST_IDS, TUNING_STREAM_IDS } from './tuning-ids';
import { REPORTS_REQUEST_IDS, REPORTS_STREAM_IDS } from './reports-ids';
import { EVACUATION_REQUEST_IDS, EVACUATION_STREAM_IDS } from './evacuation-ids';

export const REQUEST_ID = {
  appInfo: 'ferry.app.info',
  hostsList: 'ferry.hosts.list',
  hostsTest: 'ferry.hosts.test',
  hostsTrustKey: 'ferry.hosts.trustKey',
  hostsAdd: 'ferry.hosts.add',
  hostsUpdate: 'ferry.hosts.update',
  hostsRemove: 'ferry.hosts.remove',
  hostsRefresh: 'ferry.hosts.refresh',
  hostsUnlock: 'ferry.hosts.unlock',
  sshConfigImport: 'ferry.sshConfig.read',
  settingsGet: 'ferry.settings.get',
  settingsSet: 'ferry.settings.set',
  migrationsPlan: 'ferry.migrations.plan',
  migrationsPreflight: 'ferry.migrations.preflight',
  migrationsPredictInputs: 'ferry.migrations.predictInputs',
  migrationsStart: 'ferry.migrations.start',
  migrationsControl: 'ferry.migrations.control',
  migrationsList: 'ferry.migrations.list',
  migrationsGet: 'ferry.migrations.get',
  migrationsTrial: 'ferry.migrations.trial',
  profilesList: 'ferry.profiles.list',
  profilesSave: 'ferry.profiles.save',
  profilesRemove: 'ferry.profiles.remove',
  ...PATH_REQUEST_IDS,
  ...AUDIT_REQUEST_IDS,
  ...TUNING_REQUEST_IDS,
  ...REPORTS_REQUEST_IDS,
  ...EVACUATION_REQUEST_IDS,
} as const;
export const STREAM_ID = {
  inventoryWatch: 'ferry.inventory.watch',
  migrationsWatch: 'ferry.migrations.watch',
  ...PATH_STREAM_IDS,
  ...AUDIT_STREAM_IDS,
  ...TUNING_STREAM_IDS,
  ...REPORTS_STREAM_IDS,
  ...EVACUATION_STREAM_IDS,
} as const;
export type RequestChannel = (typeof REQUEST_ID)[keyof typeof REQUEST_ID];
export type StreamChannel = (typeof STREAM_ID)[keyof typeof STREAM_ID];
export const REQUEST_CHANNELS: readonly RequestChannel[] = Object.values(REQUEST_ID);
export const STREAM_CHANNELS: readonly StreamChannel[] = Object.values(STREAM_ID);

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
