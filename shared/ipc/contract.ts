/**
 * Ferry's IPC contract: every request and every stream between the renderer and main, declared once. Both
 * transports (Electron IPC in the desktop app, the WebSocket of `npm run web`) carry exactly these channels; a
 * channel id that is not here is refused.
 */
import { z } from 'zod';
import { REQUEST_ID, STREAM_ID, type RequestChannel, type StreamChannel } from './channels';
import { ferryErrorSchema, request, stream, type AnyRequest, type AnyStream } from './define';
import {
  hostDraftSchema,
  hostFactsSchema,
  hostRecordSchema,
  hostViewSchema,
  presentedHostKeySchema,
  sshConfigCandidateSchema,
} from '../inventory/types';
import { migrationOptionsSchema, migrationProfileSchema, optionProblemSchema, profileNameSchema } from '../migration/options';
import { isDomainName } from '../commands/domain-name';
import { MIGRATION_CONTROL_ACTIONS, takesValue } from '../migration/controls';
import { preflightResultSchema } from '../migration/preflight-result';
import { predictionInputsSchema } from '../migration/predict-schema';
import { migrationIdSchema, migrationRecordSchema, migrationSampleSchema, migrationWatchEventSchema } from '../migration/record-schema';
import { PATH_REQUESTS, PATH_STREAMS } from './path-contract';
import { AUDIT_REQUESTS, AUDIT_STREAMS } from './audit-contract';
import { TUNING_REQUESTS, TUNING_STREAMS } from './tuning-contract';
import { REPORTS_REQUESTS, REPORTS_STREAMS } from './reports-contract';
import { EVACUATION_REQUESTS, EVACUATION_STREAMS } from './evacuation-contract';
import { TRIAL_MAX_PASSES, trialResultSchema } from '../migration/trial-schema';

const empty = z.object({}).strict();
const hostId = z.string().min(1).max(100);
/** A passphrase travels renderer -> main once, to unlock a key in main's memory; it never travels back or to disk. */
const passphrase = z.string().max(1024).optional();

export const appInfo = request(
  REQUEST_ID.appInfo,
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

export const hostsList = request(REQUEST_ID.hostsList, empty, z.array(hostViewSchema));

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
export const hostsTest = request(REQUEST_ID.hostsTest, z.object({ draft: hostDraftSchema, passphrase }).strict(), hostTestOutcomeSchema);

/**
 * Trusts the key a host presented. Main only accepts the key it was itself shown for that host and port (the
 * renderer names it by fingerprint), so nothing the renderer sends can plant another key.
 */
export const hostsTrustKey = request(
  REQUEST_ID.hostsTrustKey,
  z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535), keyType: z.string().min(1), fingerprint: z.string().startsWith('SHA256:') }).strict(),
  empty,
);

/** Saves a host after testing it (the test runs again in main: a saved host is one that answered). */
export const hostsAdd = request(
  REQUEST_ID.hostsAdd,
  z.object({ draft: hostDraftSchema, source: z.enum(['manual', 'ssh-config']).optional(), passphrase }).strict(),
  hostRecordSchema,
);
export const hostsUpdate = request(REQUEST_ID.hostsUpdate, z.object({ id: hostId, draft: hostDraftSchema }).strict(), hostRecordSchema);
export const hostsRemove = request(REQUEST_ID.hostsRemove, z.object({ id: hostId }).strict(), empty);
/** Refreshes one host now, or all of them. */
export const hostsRefresh = request(REQUEST_ID.hostsRefresh, z.object({ id: hostId.optional() }).strict(), empty);
/** Unlocks an encrypted key for a saved host (state `passphrase-needed`), in main's memory only. */
export const hostsUnlock = request(REQUEST_ID.hostsUnlock, z.object({ id: hostId, passphrase: z.string().max(1024) }).strict(), empty);

/** Reads an OpenSSH client config (default ~/.ssh/config) and proposes hosts; nothing is saved. */
export const sshConfigImport = request(
  REQUEST_ID.sshConfigImport,
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
export const settingsGet = request(REQUEST_ID.settingsGet, empty, settingsSchema);
export const settingsSet = request(REQUEST_ID.settingsSet, settingsSchema.partial().strict(), settingsSchema);

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
export const inventoryWatch = stream(STREAM_ID.inventoryWatch, empty, inventoryEventSchema);

// ---- migrations --------------------------------------------------------------------------------------------------

const migrationId = migrationIdSchema;

const migrationTarget = {
  vm: z.string().refine(isDomainName, "a domain name as libvirt accepts it (not empty, no '/', no line break)"),
  sourceHostId: hostId,
  destinationHostId: hostId,
  options: migrationOptionsSchema,
};

/** Validation and the exact command, no side effects: what the dialog shows while options change. */
export const migrationsPlan = request(
  REQUEST_ID.migrationsPlan,
  z.object(migrationTarget).strict(),
  z.object({ commandLine: z.string().optional(), problems: z.array(optionProblemSchema) }),
);
/** Runs the pre-flight checks (in parallel) for a planned migration; nothing is changed on the hosts. */
export const migrationsPreflight = request(REQUEST_ID.migrationsPreflight, z.object(migrationTarget).strict(), z.array(preflightResultSchema));
/**
 * What a prediction of this migration would be made from (shared/migration/predict-schema.ts): the domain's memory,
 * the VM's earlier runs in the journal, the runs between the same two hosts for the link, and on KVM domains a
 * page-sampling dirty-rate measurement. Reads only; parts not known are absent, the notes say why.
 */
export const migrationsPredictInputs = request(
  REQUEST_ID.migrationsPredictInputs,
  z.object({ vm: migrationTarget.vm, sourceHostId: hostId, destinationHostId: hostId }).strict(),
  predictionInputsSchema,
);
/**
 * Starts a migration. Main runs pre-flight first and answers the checks it ran (the dialog shows these: a start runs
 * them once); a failed check refuses the start, and the refusal is a record (state `refused`, with the checks) whose
 * id is answered with `refused: true`. `overrides` names failed checks the
 * admin confirmed starting despite; main accepts only checks that failed in its own run and are overridable, and
 * records each confirmation in the checks.
 */
export const migrationsStart = request(
  REQUEST_ID.migrationsStart,
  z
    .object({
      ...migrationTarget,
      intervalMs: z.number().int().min(100).max(10_000).optional(),
      overrides: z.array(z.object({ check: z.string().min(1).max(40), confirmed: z.literal(true) }).strict()).max(20).optional(),
    })
    .strict(),
  z.object({ id: migrationId, refused: z.boolean().optional(), preflight: z.array(preflightResultSchema) }),
);
/** Live control of a running migration (shared/migration/controls.ts). */
export const migrationsControl = request(
  REQUEST_ID.migrationsControl,
  z
    .object({ id: migrationId, action: z.enum(MIGRATION_CONTROL_ACTIONS), value: z.number().int().positive().optional() })
    .strict()
    .refine((c) => takesValue(c.action) === (c.value !== undefined), {
      message: 'setSpeed and setMaxDowntime take a value; postcopy, abort and resumePostcopy take none',
      path: ['value'],
    }),
  empty,
);
export const migrationsList = request(REQUEST_ID.migrationsList, empty, z.array(migrationRecordSchema));
export const migrationsGet = request(
  REQUEST_ID.migrationsGet,
  z.object({ id: migrationId }).strict(),
  z.object({ record: migrationRecordSchema, samples: z.array(migrationSampleSchema) }),
);
/**
 * A trial pre-copy (shared/migration/trial-schema.ts): a real migration at a low cap (default 8 MiB/s), watched for
 * `passes` passes (default 3), aborted and the abort verified on both hosts. Every outcome of the trial is an answer
 * (aborted, completed on its own, or failed with a code); an error is a request Ferry could not act on (unknown host).
 * The measured samples are in the trial's record (`ferry.migrations.get` with the answer's id).
 */
export const migrationsTrial = request(
  REQUEST_ID.migrationsTrial,
  z
    .object({
      vm: migrationTarget.vm,
      sourceHostId: hostId,
      destinationHostId: hostId,
      capMiBps: z.number().int().min(1).max(10_000).optional(),
      passes: z.number().int().min(1).max(TRIAL_MAX_PASSES).optional(),
    })
    .strict(),
  trialResultSchema,
);
/**
 * Built-in profiles first, then the user's (saved in the data directory's profiles.json), and what went wrong reading
 * that file (a torn file kept aside, profiles that no longer validate): the dialog shows these, nothing is fatal.
 */
export const profilesList = request(
  REQUEST_ID.profilesList,
  empty,
  z.object({ profiles: z.array(migrationProfileSchema), problems: z.array(ferryErrorSchema) }),
);
/**
 * Saves a user profile under the id its name gives (`profileIdFor`). A name that is already taken is refused
 * (`inventory.duplicate`) unless `replace` says the admin confirmed; a built-in profile is never overwritten, and
 * options libvirt would refuse are not saved (`input.invalid`, with the reasons). A description is made from
 * the options (its virsh flags) when none is given.
 */
export const profilesSave = request(
  REQUEST_ID.profilesSave,
  z
    .object({
      name: profileNameSchema,
      description: z.string().max(500).optional(),
      options: migrationOptionsSchema,
      replace: z.boolean().optional(),
    })
    .strict(),
  migrationProfileSchema,
);
/** Removes a user profile; built-in ones cannot be removed. */
export const profilesRemove = request(REQUEST_ID.profilesRemove, z.object({ id: migrationProfileSchema.shape.id }).strict(), empty);

/** Migrations, live: all of them, or one (`id`). Main samples a migration whatever the subscribers (the journal needs it). */
export const migrationsWatch = stream(STREAM_ID.migrationsWatch, z.object({ id: migrationId.optional() }).strict(), migrationWatchEventSchema);

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
  migrationsPlan,
  migrationsPreflight,
  migrationsPredictInputs,
  migrationsStart,
  migrationsControl,
  migrationsList,
  migrationsGet,
  migrationsTrial,
  profilesList,
  profilesSave,
  profilesRemove,
  ...PATH_REQUESTS,
  ...AUDIT_REQUESTS,
  ...TUNING_REQUESTS,
  ...REPORTS_REQUESTS,
  ...EVACUATION_REQUESTS,
] as const satisfies readonly AnyRequest[];

export const STREAMS = [inventoryWatch, migrationsWatch, ...PATH_STREAMS, ...AUDIT_STREAMS, ...TUNING_STREAMS, ...REPORTS_STREAMS, ...EVACUATION_STREAMS] as const satisfies readonly AnyStream[];

// Every id of channels.ts has its channel here, and every channel here is listed: a gap is a compile error.
type Unlisted<Ids, Listed> = [Exclude<Ids, Listed>] extends [never] ? ([Exclude<Listed, Ids>] extends [never] ? true : Exclude<Listed, Ids>) : Exclude<Ids, Listed>;
const requestsListed: Unlisted<RequestChannel, (typeof REQUESTS)[number]['id']> = true;
const streamsListed: Unlisted<StreamChannel, (typeof STREAMS)[number]['id']> = true;
void requestsListed;
void streamsListed;

export const REQUEST_IDS: ReadonlySet<string> = new Set(REQUESTS.map((r) => r.id));
export const STREAM_IDS: ReadonlySet<string> = new Set(STREAMS.map((s) => s.id));

export function findRequest(id: string): AnyRequest | undefined {
  return REQUESTS.find((r) => r.id === id);
}
export function findStream(id: string): AnyStream | undefined {
  return STREAMS.find((s) => s.id === id);
}
