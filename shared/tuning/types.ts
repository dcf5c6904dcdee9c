/**
 * The tuning as data: a plan of proposed changes (each with its current and proposed value, why, the exact
 * argv to apply and to undo it) and the change sets that applied them. Schemas here are the IPC contract's too.
 */
import { z } from 'zod';
import { TUNABLE_SYSCTLS } from '../commands/tuning';

const ifname = z.string().min(1).max(15);
const whole = z.number().int().nonnegative();

export const sysctlSettingSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('single'), value: whole }),
  z.object({ kind: z.literal('triple'), min: whole, default: whole, max: whole }),
]);

/**
 * One setting in the state a change wants. A change's `apply` and `undo` are both actions; reading a setting back
 * yields an action of the same kind, so "verified" is equality of two actions.
 */
export const tuningActionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sysctl'), key: z.enum(TUNABLE_SYSCTLS), setting: sysctlSettingSchema }),
  z.object({ kind: z.literal('offload'), ifname, offload: z.enum(['gro', 'gso', 'tso']), on: z.boolean() }),
  z.object({ kind: z.literal('mtu'), ifname, mtu: z.number().int().min(68).max(65535) }),
  z.object({ kind: z.literal('rings'), ifname, rx: whole.optional(), tx: whole.optional() }),
]);
export type TuningAction = z.infer<typeof tuningActionSchema>;
export type TuningKind = TuningAction['kind'];

/** How a change survives a reboot: Ferry's sysctl file, or what the admin adds where (Ferry does not guess). */
export const persistenceSchema = z.discriminatedUnion('how', [
  z.object({ how: z.literal('sysctl-file'), line: z.string() }),
  z.object({ how: z.literal('manual'), advice: z.array(z.string()) }),
]);
export type Persistence = z.infer<typeof persistenceSchema>;

export const tuningChangeSchema = z.object({
  /** Stable within a plan: `offload:mig0:gro`, `sysctl:net.ipv4.tcp_rmem`. */
  id: z.string().min(1).max(100),
  kind: z.enum(['sysctl', 'offload', 'mtu', 'rings']),
  /** The interface or the sysctl key. */
  target: z.string(),
  title: z.string(),
  current: z.string(),
  proposed: z.string(),
  /** One sentence with numbers. */
  why: z.string(),
  apply: tuningActionSchema,
  undo: tuningActionSchema,
  /** The exact argv Ferry runs (each runs with LC_ALL=C). */
  applyArgv: z.array(z.string()),
  undoArgv: z.array(z.string()),
  /** Set when the change cannot be made from here (a read-only sysctl in a namespace, not root): shown, not offered. */
  blocked: z.string().optional(),
  persistence: persistenceSchema,
});
export type TuningChange = z.infer<typeof tuningChangeSchema>;

const figure = <T extends z.ZodType>(value: T) =>
  z.object({ value, source: z.enum(['measured', 'given']), detail: z.string() });

export const tuningContextSchema = z.object({
  peer: z.object({ hostId: z.string(), name: z.string(), address: z.string() }).optional(),
  /** Largest packet the path to the peer carries, bytes. `limitedByNic`: the probe could not look past this NIC's own MTU. */
  pathMtu: figure(z.number().int().positive()).extend({ limitedByNic: z.string().optional() }).optional(),
  rttMs: figure(z.number().positive()).optional(),
  linkSpeedMbps: figure(z.number().positive()).optional(),
  /** Bandwidth-delay product, bytes (when both a speed and an RTT are known). */
  bdpBytes: z.number().nonnegative().optional(),
});
export type TuningContext = z.infer<typeof tuningContextSchema>;

export const tuningPlanSchema = z.object({
  id: z.string().min(1).max(100),
  hostId: z.string(),
  hostName: z.string(),
  createdAt: z.string(),
  context: tuningContextSchema,
  /** The interfaces looked at, and why each. */
  nics: z.array(z.object({ ifname: z.string(), reason: z.string() })),
  changes: z.array(tuningChangeSchema),
  /** Things not proposed and why (rings not supported by veth, no path MTU figure, a value already high enough). */
  notes: z.array(z.string()),
  /** Where a persisted sysctl goes on this host. */
  sysctlFile: z.string(),
});
export type TuningPlan = z.infer<typeof tuningPlanSchema>;

/** What happened to one change when it was applied or undone. */
export const changeOutcomeSchema = z.object({
  changeId: z.string(),
  title: z.string(),
  /** ran: the command was run and reported success; failed: it reported failure; skipped: not reached. */
  status: z.enum(['applied', 'failed', 'skipped']),
  /** The value read back afterwards (display form), when it could be read. */
  readBack: z.string().optional(),
  verified: z.boolean(),
  /** Why not verified, or what failed, for a person. */
  reason: z.string().optional(),
});
export type ChangeOutcome = z.infer<typeof changeOutcomeSchema>;

export const persistOutcomeSchema = z.object({
  path: z.string(),
  status: z.enum(['written', 'restored', 'removed', 'failed', 'skipped', 'left']),
  reason: z.string().optional(),
});
export type PersistOutcome = z.infer<typeof persistOutcomeSchema>;

export const tuningRunResultSchema = z.object({
  changeSetId: z.string(),
  hostId: z.string(),
  action: z.enum(['apply', 'undo']),
  outcomes: z.array(changeOutcomeSchema),
  /** True when every change ran and read back as intended (and the sysctl file, if asked, was written). */
  complete: z.boolean(),
  persist: persistOutcomeSchema.optional(),
  /** For the manual persistence of MTU/ethtool changes. */
  manualPersistence: z.array(z.object({ title: z.string(), advice: z.array(z.string()) })),
});
export type TuningRunResult = z.infer<typeof tuningRunResultSchema>;

export const changeSetStatusSchema = z.enum(['applied', 'partial', 'failed', 'interrupted', 'undone', 'undo-partial']);
export type ChangeSetStatus = z.infer<typeof changeSetStatusSchema>;

export const changeSetSummarySchema = z.object({
  id: z.string(),
  hostId: z.string(),
  hostName: z.string(),
  planId: z.string(),
  at: z.string(),
  status: changeSetStatusSchema,
  changes: z.array(z.object({ id: z.string(), title: z.string(), current: z.string(), proposed: z.string() })),
  persisted: z.boolean(),
  undoneAt: z.string().optional(),
  lastResult: tuningRunResultSchema.optional(),
});
export type ChangeSetSummary = z.infer<typeof changeSetSummarySchema>;
