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
import { migrationOptionsSchema, migrationProfileSchema, optionProblemSchema, profileNameSchema } from '../migration/options';
import { isDomainName } from '../commands/domain-name';
import { migrationVerdictSchema } from '../migration/verdict';
import type { DomainJobInfo } from '../parsers/virsh-domjobinfo';
import type { DerivedJobFigures } from '../migration/derive';
import { PATH_REQUESTS, PATH_STREAMS } from './path-contract';
import { AUDIT_REQUESTS, AUDIT_STREAMS } from './audit-contract';
import { TUNING_REQUESTS, TUNING_STREAMS } from './tuning-contract';
import { REPORTS_REQUESTS, REPORTS_STREAMS } from './reports-contract';

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

// ---- migrations --------------------------------------------------------------------------------------------------

const migrationId = z.string().min(1).max(100);
const count = z.number().int().nonnegative();
const bytes = z.number().nonnegative();

/** A domjobinfo sample as shared/parsers/virsh-domjobinfo.ts parses it (every numeric field optional: lines come and go). */
export const domainJobInfoSchema = z.object({
  format: z.enum(['human', 'raw']),
  type: z.enum(['none', 'bounded', 'unbounded', 'completed', 'failed', 'cancelled']),
  operation: z
    .enum(['unknown', 'start', 'save', 'restore', 'incoming-migration', 'outgoing-migration', 'snapshot', 'snapshot-revert', 'dump', 'backup', 'snapshot-delete'])
    .optional(),
  errorMessage: z.string().optional(),
  success: z.boolean().optional(),
  other: z.record(z.string(), z.string()).optional(),
  timeElapsedMs: count.optional(),
  timeElapsedWithoutNetworkMs: count.optional(),
  timeRemainingMs: count.optional(),
  dataProcessedBytes: bytes.optional(),
  dataRemainingBytes: bytes.optional(),
  dataTotalBytes: bytes.optional(),
  memoryProcessedBytes: bytes.optional(),
  memoryRemainingBytes: bytes.optional(),
  memoryTotalBytes: bytes.optional(),
  memoryBandwidthBytesPerSecond: bytes.optional(),
  dirtyRatePagesPerSecond: count.optional(),
  pageSizeBytes: count.optional(),
  iteration: count.optional(),
  postcopyRequests: count.optional(),
  constantPages: count.optional(),
  normalPages: count.optional(),
  normalDataBytes: bytes.optional(),
  expectedDowntimeMs: count.optional(),
  totalDowntimeMs: count.optional(),
  downtimeWithoutNetworkMs: count.optional(),
  setupTimeMs: count.optional(),
  fileProcessedBytes: bytes.optional(),
  fileRemainingBytes: bytes.optional(),
  fileTotalBytes: bytes.optional(),
  fileBandwidthBytesPerSecond: bytes.optional(),
  compressionCacheBytes: bytes.optional(),
  compressedDataBytes: bytes.optional(),
  compressedPages: count.optional(),
  compressionCacheMisses: count.optional(),
  compressionOverflows: count.optional(),
  autoConvergeThrottlePercent: count.optional(),
  tempDiskUsedBytes: bytes.optional(),
  tempDiskTotalBytes: bytes.optional(),
  vfioDataTransferredBytes: bytes.optional(),
}) as unknown as z.ZodType<DomainJobInfo>;

export const derivedJobFiguresSchema = z.object({
  elapsedMs: z.number().optional(),
  throughputBytesPerSecond: z.number().optional(),
  throughputSource: z.enum(['reported', 'counter']).optional(),
  dirtyRateBytesPerSecond: z.number().optional(),
  processedBytes: z.number().optional(),
  remainingBytes: z.number().optional(),
  totalBytes: z.number().optional(),
  iteration: z.number().optional(),
  expectedDowntimeMs: z.number().optional(),
  passProgress: z.number().min(0).max(1).optional(),
}) as unknown as z.ZodType<DerivedJobFigures>;

/**
 * One domjobinfo sample of a migration: the parsed statistics, the figures derived from them and the previous
 * sample, and the verdict after it. A sample that failed (the source's "domain is not running" at the switch-over)
 * carries the error instead of info/figures.
 */
export const migrationSampleSchema = z.object({
  seq: count,
  /** Wall-clock time the sample was requested, ms since the epoch. */
  at: z.number(),
  latencyMs: z.number().nonnegative(),
  info: domainJobInfoSchema.optional(),
  figures: derivedJobFiguresSchema.optional(),
  error: ferryErrorSchema.optional(),
  verdict: migrationVerdictSchema.optional(),
});
export type MigrationSample = z.infer<typeof migrationSampleSchema>;

export const preflightResultSchema = z.object({
  /** Which check (p2p, versions, cpu, name, memory, storage, ports, mtu, tls, rdma). */
  check: z.string().min(1),
  title: z.string().optional(),
  status: z.enum(['pass', 'warn', 'fail', 'skipped']),
  /** A sentence with the facts. */
  message: z.string(),
  /** What to do, and where. */
  fix: z.string().optional(),
  /** Raw evidence: libvirt's text, a command's output. */
  detail: z.string().optional(),
  /** A failure that is not certain (a timed-out probe, an MTU flag): the admin may start anyway after confirming. */
  overridable: z.boolean().optional(),
  /** One click that fixes it: `offline` = --offline --persistent instead of a live migration. */
  remedy: z.enum(['offline']).optional(),
  /** In a record: the admin started despite this failed check, confirmed in these words, accepted by main at `at`. */
  override: z.object({ at: z.number(), confirmation: z.string() }).optional(),
});
export type PreflightResultView = z.infer<typeof preflightResultSchema>;

/**
 * `refused`: pre-flight refused the start (the record keeps the checks); nothing ran on the hosts.
 * `post-copy-interrupted`: the connection broke after the switch to post-copy; the VM is split across both hosts
 * (the record's `interruption` says where each half is) until a resume finishes the run. Not an end.
 */
export const MIGRATION_STATES = ['preflight', 'running', 'post-copy', 'post-copy-interrupted', 'completed', 'failed', 'aborted', 'refused', 'unknown'] as const;
export type MigrationRecordState = (typeof MIGRATION_STATES)[number];

const migrationHostSchema = z.object({ id: hostId, name: z.string() });

export const migrationEventSchema = z.object({
  at: z.number(),
  /** started, phase, control, control-failed, warning, command-ended, vm-vanished, ... */
  kind: z.string().min(1),
  text: z.string(),
});

/** A migration as the history and the live view show it (samples travel separately: `ferry.migrations.get`, watch). */
export const migrationRecordSchema = z.object({
  id: migrationId,
  vm: z.string().min(1),
  source: migrationHostSchema,
  destination: migrationHostSchema,
  options: migrationOptionsSchema,
  /** The exact command line(s) run on the source, as the dialog showed them. */
  commandLine: z.string(),
  preflight: z.array(preflightResultSchema),
  state: z.enum(MIGRATION_STATES),
  /** ms since the epoch. */
  startedAt: z.number(),
  endedAt: z.number().optional(),
  result: z.object({
    totalTimeMs: z.number().optional(),
    downtimeMs: z.number().optional(),
    dataBytes: z.number().optional(),
    /** libvirt's own text in `detail`. */
    error: ferryErrorSchema.optional(),
  }),
  events: z.array(migrationEventSchema),
  /**
   * The bandwidth cap and max downtime in force now: the options', or the last value a live control
   * (migrate-setspeed, migrate-setmaxdowntime) applied. Absent in records of older Ferry versions.
   */
  limits: z.object({ bandwidthMiBps: z.number().positive().optional(), maxDowntimeMs: z.number().positive().optional() }).optional(),
  /** The verdict after the last sample (absent before the first one). */
  verdict: migrationVerdictSchema.optional(),
  /**
   * The post-copy phase, when the run switched: from the switch (ms since the epoch) to the end of the phase, and
   * whether any sample of the running job was taken in it (a short phase has only its events).
   */
  postcopy: z.object({ startedAt: z.number(), endedAt: z.number().optional(), sampled: z.boolean() }).optional(),
  /**
   * The last interruption of the post-copy phase, while the record is `post-copy-interrupted` and after a resume
   * finished it: when it broke, what each host said (`virsh domstate --reason`, e.g. "paused (post-copy failed)"),
   * how many resumes were tried and why the last one failed, in libvirt's words.
   */
  interruption: z
    .object({
      at: z.number(),
      source: z.string(),
      destination: z.string(),
      resumes: z.number().int().nonnegative(),
      resumedAt: z.number().optional(),
      lastResumeError: ferryErrorSchema.optional(),
    })
    .optional(),
});
export type MigrationRecordView = z.infer<typeof migrationRecordSchema>;

const migrationTarget = {
  vm: z.string().refine(isDomainName, "a domain name as libvirt accepts it (not empty, no '/', no line break)"),
  sourceHostId: hostId,
  destinationHostId: hostId,
  options: migrationOptionsSchema,
};

/** Validation and the exact command, no side effects: what the dialog shows while options change. */
export const migrationsPlan = request(
  'ferry.migrations.plan',
  z.object(migrationTarget).strict(),
  z.object({ commandLine: z.string().optional(), problems: z.array(optionProblemSchema) }),
);
/** Runs the pre-flight checks (in parallel) for a planned migration; nothing is changed on the hosts. */
export const migrationsPreflight = request('ferry.migrations.preflight', z.object(migrationTarget).strict(), z.array(preflightResultSchema));
/**
 * Starts a migration. Main runs pre-flight first; a failed check refuses the start, and the refusal is a record
 * (state `refused`, with the checks) whose id is answered with `refused: true`. `overrides` names failed checks the
 * admin confirmed starting despite; main accepts only checks that failed in its own run and are overridable, and
 * records each confirmation in the checks.
 */
export const migrationsStart = request(
  'ferry.migrations.start',
  z
    .object({
      ...migrationTarget,
      intervalMs: z.number().int().min(100).max(10_000).optional(),
      overrides: z.array(z.object({ check: z.string().min(1).max(40), confirmed: z.literal(true) }).strict()).max(20).optional(),
    })
    .strict(),
  z.object({ id: migrationId, refused: z.boolean().optional(), preflight: z.array(preflightResultSchema).optional() }),
);
/**
 * Live control: setSpeed (MiB/s, migrate-setspeed), setMaxDowntime (ms, migrate-setmaxdowntime), postcopy, abort;
 * resumePostcopy (`virsh migrate --postcopy-resume`, same destination and URIs) for a `post-copy-interrupted` run.
 */
export const MIGRATION_CONTROL_ACTIONS = ['setSpeed', 'setMaxDowntime', 'postcopy', 'abort', 'resumePostcopy'] as const;
export const migrationsControl = request(
  'ferry.migrations.control',
  z
    .object({ id: migrationId, action: z.enum(MIGRATION_CONTROL_ACTIONS), value: z.number().int().positive().optional() })
    .strict()
    .refine((c) => (c.action === 'setSpeed' || c.action === 'setMaxDowntime') === (c.value !== undefined), {
      message: 'setSpeed and setMaxDowntime take a value; postcopy, abort and resumePostcopy take none',
      path: ['value'],
    }),
  empty,
);
export const migrationsList = request('ferry.migrations.list', empty, z.array(migrationRecordSchema));
export const migrationsGet = request(
  'ferry.migrations.get',
  z.object({ id: migrationId }).strict(),
  z.object({ record: migrationRecordSchema, samples: z.array(migrationSampleSchema) }),
);
/**
 * Built-in profiles first, then the user's (saved in the data directory's profiles.json), and what went wrong reading
 * that file (a torn file kept aside, profiles that no longer validate): the dialog shows these, nothing is fatal.
 */
export const profilesList = request(
  'ferry.profiles.list',
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
  'ferry.profiles.save',
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
export const profilesRemove = request('ferry.profiles.remove', z.object({ id: migrationProfileSchema.shape.id }).strict(), empty);

export const migrationWatchEventSchema = z.discriminatedUnion('type', [
  /** First event of a subscription: every record (or the one asked for), without samples. */
  z.object({ type: z.literal('snapshot'), records: z.array(migrationRecordSchema) }),
  z.object({ type: z.literal('record'), record: migrationRecordSchema }),
  z.object({ type: z.literal('sample'), id: migrationId, sample: migrationSampleSchema }),
]);
export type MigrationWatchEvent = z.infer<typeof migrationWatchEventSchema>;
/** Migrations, live: all of them, or one (`id`). Main samples a migration whatever the subscribers (the journal needs it). */
export const migrationsWatch = stream('ferry.migrations.watch', z.object({ id: migrationId.optional() }).strict(), migrationWatchEventSchema);

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
  migrationsStart,
  migrationsControl,
  migrationsList,
  migrationsGet,
  profilesList,
  profilesSave,
  profilesRemove,
  ...PATH_REQUESTS,
  ...AUDIT_REQUESTS,
  ...TUNING_REQUESTS,
  ...REPORTS_REQUESTS,
] as const satisfies readonly AnyRequest[];

export const STREAMS = [inventoryWatch, migrationsWatch, ...PATH_STREAMS, ...AUDIT_STREAMS, ...TUNING_STREAMS, ...REPORTS_STREAMS] as const satisfies readonly AnyStream[];

export const REQUEST_IDS: ReadonlySet<string> = new Set(REQUESTS.map((r) => r.id));
export const STREAM_IDS: ReadonlySet<string> = new Set(STREAMS.map((s) => s.id));

export function findRequest(id: string): AnyRequest | undefined {
  return REQUESTS.find((r) => r.id === id);
}
export function findStream(id: string): AnyStream | undefined {
  return STREAMS.find((s) => s.id === id);
}
