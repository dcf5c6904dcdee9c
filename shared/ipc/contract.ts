/**
 * Ferry's IPC contract: every request and every stream between the renderer and main, declared once. Both
 * transports (Electron IPC in the desktop app, the WebSocket of `npm run web`) carry exactly these channels; a
 * channel id that is not here is refused.
 */
import { z } from 'zod';
import { ferryErrorSchema, request, stream, type AnyRequest, type AnyStream } from './define';
import {
  hostDraftSchema,
  hostFactsSchema,
  hostRecordSchema,
  hostViewSchema,
  presentedHostKeySchema,
  sshConfigCandidateSchema,
} from '../inventory/types';

const empty = z.object({}).strict();
const hostId = z.string().min(1).max(100);
/** A passphrase travels renderer -> main once, to unlock a key in main's memory; it never travels back or to disk. */
const passphrase = z.string().max(1024).optional();

export const appInfo = request(
  'ferry.app.info',
  empty,
  z.object({
    version: z.string(),
    mode: z.enum(['electron', 'web']),
    dataDir: z.string(),
    platform: z.string(),
    /** What went wrong with Ferry's own data at start-up (a torn inventory kept aside, an unreadable file). */
    problems: z.array(ferryErrorSchema),
  }),
);

// ---- hosts -----------------------------------------------------------------------------------------------------

export const hostsList = request('ferry.hosts.list', empty, z.array(hostViewSchema));

/**
 * Tries a host before it is saved. A host key seen for the first time, or one that changed, is an answer (the
 * dialog shows it), not an error; unreachable, refused authentication and the like are errors.
 */
export const hostTestOutcomeSchema = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('ok'), facts: hostFactsSchema, vmCount: z.number().int() }),
  z.object({ outcome: z.literal('host-key-unknown'), key: presentedHostKeySchema }),
  z.object({ outcome: z.literal('host-key-changed'), key: presentedHostKeySchema, knownFingerprint: z.string(), knownIn: z.string().optional() }),
  z.object({ outcome: z.literal('passphrase-needed') }),
]);
export type HostTestOutcome = z.infer<typeof hostTestOutcomeSchema>;
export const hostsTest = request('ferry.hosts.test', z.object({ draft: hostDraftSchema, passphrase }).strict(), hostTestOutcomeSchema);

/**
 * Trusts the key a host presented. Main only accepts the key it was itself shown for that host and port (the
 * renderer names it by fingerprint), so nothing the renderer sends can plant another key.
 */
export const hostsTrustKey = request(
  'ferry.hosts.trustKey',
  z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535), keyType: z.string().min(1), fingerprint: z.string().startsWith('SHA256:') }).strict(),
  empty,
);

/** Saves a host after testing it (the test runs again in main: a saved host is one that answered). */
export const hostsAdd = request(
  'ferry.hosts.add',
  z.object({ draft: hostDraftSchema, source: z.enum(['manual', 'ssh-config']).optional(), passphrase }).strict(),
  hostRecordSchema,
);
export const hostsUpdate = request('ferry.hosts.update', z.object({ id: hostId, draft: hostDraftSchema }).strict(), hostRecordSchema);
export const hostsRemove = request('ferry.hosts.remove', z.object({ id: hostId }).strict(), empty);
/** Refreshes one host now, or all of them. */
export const hostsRefresh = request('ferry.hosts.refresh', z.object({ id: hostId.optional() }).strict(), empty);
/** Unlocks an encrypted key for a saved host (state `passphrase-needed`), in main's memory only. */
export const hostsUnlock = request('ferry.hosts.unlock', z.object({ id: hostId, passphrase: z.string().max(1024) }).strict(), empty);

/** Reads an OpenSSH client config (default ~/.ssh/config) and proposes hosts; nothing is saved. */
export const sshConfigImport = request(
  'ferry.sshConfig.read',
  z.object({ path: z.string().min(1).max(4096).optional() }).strict(),
  z.object({ path: z.string(), candidates: z.array(sshConfigCandidateSchema) }),
);

// ---- settings --------------------------------------------------------------------------------------------------

export const settingsSchema = z.object({
  /** Also accept host keys from the user's ~/.ssh/known_hosts (hashed entries included). Ferry never writes there. */
  trustUserKnownHosts: z.boolean(),
  /** Seconds between inventory refreshes while the inventory is on screen. */
  refreshIntervalSec: z.number().int().min(2).max(3600),
});
export type Settings = z.infer<typeof settingsSchema>;
export const settingsGet = request('ferry.settings.get', empty, settingsSchema);
export const settingsSet = request('ferry.settings.set', settingsSchema.partial().strict(), settingsSchema);

// ---- streams ---------------------------------------------------------------------------------------------------

export const inventoryEventSchema = z.discriminatedUnion('type', [
  /** First event of a subscription: everything known now. */
  z.object({ type: z.literal('snapshot'), hosts: z.array(hostViewSchema) }),
  z.object({ type: z.literal('host'), host: hostViewSchema }),
  /** A routine refresh succeeded and nothing shown changed: only the host's refreshedAt moves (a small event). */
  z.object({ type: z.literal('refreshed'), id: hostId, at: z.string() }),
  z.object({ type: z.literal('removed'), id: hostId }),
]);
export type InventoryEvent = z.infer<typeof inventoryEventSchema>;
/** The inventory, live. Main polls hosts only while at least one subscription is open. */
export const inventoryWatch = stream('ferry.inventory.watch', empty, inventoryEventSchema);

// ---- the whole contract ----------------------------------------------------------------------------------------

export const REQUESTS = [
  appInfo,
  hostsList,
  hostsTest,
  hostsTrustKey,
  hostsAdd,
  hostsUpdate,
  hostsRemove,
  hostsRefresh,
  hostsUnlock,
  sshConfigImport,
  settingsGet,
  settingsSet,
] as const satisfies readonly AnyRequest[];

export const STREAMS = [inventoryWatch] as const satisfies readonly AnyStream[];

export const REQUEST_IDS: ReadonlySet<string> = new Set(REQUESTS.map((r) => r.id));
export const STREAM_IDS: ReadonlySet<string> = new Set(STREAMS.map((s) => s.id));

export function findRequest(id: string): AnyRequest | undefined {
  return REQUESTS.find((r) => r.id === id);
}
export function findStream(id: string): AnyStream | undefined {
  return STREAMS.find((s) => s.id === id);
}
