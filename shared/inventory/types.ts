/**
 * What the inventory is made of, as runtime schemas (every value that crosses the process boundary is validated
 * against these) with the TypeScript types inferred from them.
 *
 * "Not loaded yet" (undefined / absent) is kept distinct from "not supported" or "unknown" (explicit values), as
 * cockpit-machines does: a NIC whose driver reports no speed has `speedMbps: null`, one not read yet has none.
 */
import { z } from 'zod';

// ---- hosts as the user saved them --------------------------------------------------------------------------------

export const hostAuthSchema = z.discriminatedUnion('kind', [
  /** The user's SSH agent (SSH_AUTH_SOCK of Ferry's process, or the path given). */
  z.object({ kind: z.literal('agent'), socketPath: z.string().min(1).optional() }),
  /** A private key file on the machine running Ferry. Its passphrase is never stored: main asks for it once. */
  z.object({ kind: z.literal('key'), keyPath: z.string().min(1), encrypted: z.boolean().optional() }),
]);
export type HostAuth = z.infer<typeof hostAuthSchema>;

const hostName = z.string().trim().min(1, 'Give the host a name.').max(64, 'Keep the name under 64 characters.');
const address = z
  .string()
  .trim()
  .min(1, 'Give the address or DNS name Ferry should connect to.')
  .max(253)
  .regex(/^[A-Za-z0-9.:_\-[\]%]+$/, 'An address is a host name or an IP address (no spaces or shell characters).')
  .refine((s) => !s.startsWith('-'), 'An address cannot start with "-".');
const user = z
  .string()
  .trim()
  .min(1, 'Give the SSH user.')
  .max(32)
  .regex(/^[a-z_][a-z0-9_.-]*$/i, 'A user name is letters, digits, "_", "." and "-".');

/** What a NIC is for: Ferry's SSH (management), migration traffic, or neither. */
export const nicRoleSchema = z.enum(['management', 'migration', 'other']);
export type NicRole = z.infer<typeof nicRoleSchema>;

const port = z.number().int().min(1).max(65535);

/** A jump host on the way to a hypervisor (one hop of OpenSSH's ProxyJump), with its own credentials. */
export const jumpHopSchema = z.object({ address, port, user, auth: hostAuthSchema });
export type JumpHop = z.infer<typeof jumpHopSchema>;

/** OpenSSH sets no limit; a longer chain than this is a mistake rather than a network. */
export const MAX_JUMP_HOPS = 8;

/** What the add-host and edit-host dialogs send. */
export const hostDraftSchema = z.object({
  name: hostName,
  address,
  port,
  user,
  auth: hostAuthSchema,
  /** The admin's role for a NIC (by interface name), over the one Ferry infers; absent: inferred. */
  nicRoles: z.record(z.string().min(1).max(15), nicRoleSchema).optional(),
  /** Jump hosts, first to last (ProxyJump a,b); absent: Ferry connects directly. */
  jump: z.array(jumpHopSchema).min(1).max(MAX_JUMP_HOPS, `At most ${MAX_JUMP_HOPS} jump hosts.`).optional(),
});
export type HostDraft = z.infer<typeof hostDraftSchema>;

export const hostRecordSchema = hostDraftSchema.extend({
  id: z.string().min(1),
  addedAt: z.string(),
  source: z.enum(['manual', 'ssh-config']),
  /** Maintenance mode: set, the host is a destination for nobody until it is cleared (an evacuation empties it). */
  maintenance: z.object({ since: z.string() }).strict().optional(),
});
export type HostRecord = z.infer<typeof hostRecordSchema>;

// ---- connection state ------------------------------------------------------------------------------------------

export const presentedHostKeySchema = z.object({
  host: z.string(),
  port: z.number().int(),
  keyType: z.string(),
  /** `SHA256:...` as ssh-keygen -lf prints it. */
  fingerprint: z.string(),
});
export type PresentedHostKeyView = z.infer<typeof presentedHostKeySchema>;

export const connectionStateSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('idle') }),
  z.object({ state: z.literal('connecting'), since: z.string() }),
  z.object({ state: z.literal('connected'), since: z.string() }),
  z.object({ state: z.literal('unreachable'), reason: z.string(), detail: z.string().optional() }),
  /**
   * SSH works but libvirtd does not answer (stopped, its socket gone): no VM can be read, moved onto or off this
   * host. `detail` is libvirt's own error text.
   */
  z.object({ state: z.literal('libvirt-unreachable'), reason: z.string(), detail: z.string().optional() }),
  z.object({ state: z.literal('auth-failed'), reason: z.string(), detail: z.string().optional() }),
  /** First contact: the UI shows the key and asks the user to trust it. */
  z.object({ state: z.literal('host-key-unknown'), reason: z.string(), key: presentedHostKeySchema }),
  /** Never accepted silently: the user must resolve it outside Ferry (or remove the old key on purpose). */
  z.object({
    state: z.literal('host-key-changed'),
    reason: z.string(),
    key: presentedHostKeySchema,
    knownFingerprint: z.string(),
    knownIn: z.string().optional(),
  }),
  z.object({ state: z.literal('passphrase-needed'), reason: z.string() }),
  z.object({ state: z.literal('error'), reason: z.string(), detail: z.string().optional() }),
]);
export type ConnectionState = z.infer<typeof connectionStateSchema>;
export type ConnectionStateName = ConnectionState['state'];

// ---- what Ferry learns from a host -----------------------------------------------------------------------------

export const nicFactSchema = z.object({
  name: z.string(),
  mtu: z.number().int(),
  /** null: the driver does not report a speed (veth, some virtual NICs). */
  speedMbps: z.number().nullable(),
  operState: z.string(),
  addresses: z.array(z.string()),
  /**
   * The interface Ferry's SSH connection arrives on, or one carrying another address (a migration network), unless
   * the admin set the role (HostDraft.nicRoles).
   */
  role: nicRoleSchema,
});
export type NicFact = z.infer<typeof nicFactSchema>;

export const hostFactsSchema = z.object({
  hostname: z.string(),
  libvirtVersion: z.string(),
  /** The running hypervisor, e.g. "QEMU 7.2.22". */
  hypervisor: z.string(),
  cpuModel: z.string(),
  cpuCount: z.number().int(),
  memoryBytes: z.number(),
  nics: z.array(nicFactSchema),
  collectedAt: z.string(),
});
export type HostFacts = z.infer<typeof hostFactsSchema>;

export const vmStateSchema = z.enum(['no-state', 'running', 'idle', 'paused', 'in-shutdown', 'shut-off', 'crashed', 'pmsuspended']);
export type VmState = z.infer<typeof vmStateSchema>;

export const vmSummarySchema = z.object({
  name: z.string(),
  state: vmStateSchema,
  /** Absent when not known yet; libvirt's current memory of the domain. */
  memoryBytes: z.number().optional(),
  vcpus: z.number().int().optional(),
  persistent: z.boolean().optional(),
  autostart: z.boolean().optional(),
});
export type VmSummary = z.infer<typeof vmSummarySchema>;

/** Everything the renderer shows about one host. */
export const hostViewSchema = z.object({
  record: hostRecordSchema,
  connection: connectionStateSchema,
  facts: hostFactsSchema.optional(),
  vms: z.array(vmSummarySchema).optional(),
  /** When facts/VMs were last refreshed successfully (ISO time); kept while a host is unreachable. */
  refreshedAt: z.string().optional(),
  /** A refresh that failed while the connection works (a virsh error), with libvirt's text. */
  problem: z.object({ message: z.string(), detail: z.string().optional() }).optional(),
});
export type HostView = z.infer<typeof hostViewSchema>;

// ---- ssh config import -----------------------------------------------------------------------------------------

export const sshConfigCandidateSchema = z.object({
  /** The Host alias in the config file. */
  alias: z.string(),
  draft: hostDraftSchema,
  /** Why the candidate is incomplete or odd (a ProxyCommand Ferry does not run, a token it does not expand...), for the dialog. */
  warnings: z.array(z.string()),
});
export type SshConfigCandidate = z.infer<typeof sshConfigCandidateSchema>;
