/**
 * Every `virsh migrate` option Ferry offers, typed (zod schema + inferred type), the combinations that cannot work
 * and why, and the built-in option profiles. Pure data and rules: the argv is built in shared/commands/migrate.ts.
 *
 * What is NOT a `virsh migrate` option: the max downtime. virsh 9.0's `migrate` has no `--downtime` (checked against
 * `virsh help migrate` on the lab, test/fixtures/virsh/help-migrate.txt); it is applied with
 * `virsh migrate-setmaxdowntime DOMAIN MS`, which libvirt accepts with or without a job running (lab: rc 0 on an idle
 * domain), so the engine applies it right after the migration starts (see `migrationCommands`).
 *
 * The destination (host, user) is not part of the options either: options are what a profile saves; the
 * destination comes with each migration (`MigrateSpec` in shared/commands/migrate.ts).
 */
import { z } from 'zod';
import { isHostname, isIpv4, isIpv6 } from '../commands/command';
import { isDomainName } from '../commands/domain-name';
import { ferryError, type FerryError } from '../errors';
import { err, ok, type Result } from '../result';

// ---- values -----------------------------------------------------------------------------------------------------

/** libvirt's compression methods in virsh 9.0 (`--comp-methods`): xbzrle (delta of re-sent pages), mt (multithread zlib). */
export const COMPRESSION_METHODS = ['xbzrle', 'mt'] as const;
export type CompressionMethod = (typeof COMPRESSION_METHODS)[number];

/** What `--timeout` does when it fires: pause the guest to finish (downtime!) or switch to post-copy. */
export const TIMEOUT_ACTIONS = ['suspend', 'postcopy'] as const;
export type TimeoutAction = (typeof TIMEOUT_ACTIONS)[number];

/** A disk target as libvirt names it (`vda`, `sdb`, `hdc`), for `--migrate-disks`. */
const DISK_TARGET = /^[a-z][a-z0-9]{1,31}$/;

/** `tcp://HOST[:PORT]` or `rdma://HOST[:PORT]` (IPv6 in brackets); what `--migrateuri` takes. */
export interface MigrateUri {
  readonly scheme: 'tcp' | 'rdma';
  readonly host: string;
  readonly port?: number;
}

export function parseMigrateUri(uri: string): MigrateUri | undefined {
  const m = /^(tcp|rdma):\/\/(\[[0-9A-Fa-f:.]+\]|[^[\]:/]+)(?::(\d{1,5}))?\/?$/.exec(uri);
  if (!m) return undefined;
  const scheme = m[1] === 'rdma' ? 'rdma' : 'tcp';
  const rawHost = m[2] ?? '';
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  const okHost = rawHost.startsWith('[') ? isIpv6(host) : isIpv4(host) || isHostname(host);
  if (!okHost) return undefined;
  if (m[3] === undefined) return { scheme, host };
  const port = Number(m[3]);
  return port >= 1 && port <= 65535 ? { scheme, host, port } : undefined;
}

const whole = (min: number, max: number) => z.number().int().min(min).max(max);

// ---- the options ------------------------------------------------------------------------------------------------

/**
 * One field per virsh option (its name in the comment). Absent = the option is not given (libvirt's default).
 * Ranges are what libvirt/QEMU accept, tightened where a larger value can only be a typo.
 */
export const migrationOptionsSchema = z
  .object({
    /** --live: the guest keeps running while its memory is copied. */
    live: z.boolean().optional(),
    /** --offline: move the definition only (the domain must be shut off or is left running on the source). */
    offline: z.boolean().optional(),
    /** --p2p: the source's libvirtd connects to the destination itself (qemu+ssh from the source host). */
    p2p: z.boolean().optional(),
    /** --direct: QEMU-managed migration without libvirtd on the destination (QEMU does not support it). */
    direct: z.boolean().optional(),
    /** --tunnelled: the data goes through libvirtd's own connection instead of a separate QEMU stream. */
    tunnelled: z.boolean().optional(),
    /** --persistent: define the domain on the destination. */
    persistent: z.boolean().optional(),
    /** --undefinesource: remove the definition from the source afterwards. */
    undefineSource: z.boolean().optional(),
    /** --suspend: leave the domain paused on the destination. */
    suspend: z.boolean().optional(),
    /** --copy-storage-all: copy whole disks (non-shared storage). */
    copyStorageAll: z.boolean().optional(),
    /** --copy-storage-inc: copy only the top image layer (the same backing image exists on both). */
    copyStorageInc: z.boolean().optional(),
    /** --migrate-disks: which disks (by target, e.g. vda) to copy; default all writable ones. */
    migrateDisks: z.array(z.string().regex(DISK_TARGET, 'a disk target such as vda')).min(1).max(64).optional(),
    /** --tls: encrypt the QEMU migration stream (certificates in migrate_tls_x509_cert_dir on both hosts). */
    tls: z.boolean().optional(),
    /** --tls-destination: the name the destination's certificate is checked against. */
    tlsDestination: z.string().refine((s) => isHostname(s) || isIpv4(s) || isIpv6(s), 'a host name or address').optional(),
    /** --rdma-pin-all: pin all guest memory for RDMA (needs an rdma:// migrate URI and a memory hard limit). */
    rdmaPinAll: z.boolean().optional(),
    /** --auto-converge: throttle the guest's vCPUs when it dirties memory faster than it is sent. */
    autoConverge: z.boolean().optional(),
    /** --auto-converge-initial: first throttle, percent of vCPU time (QEMU default 20). */
    autoConvergeInitial: whole(1, 99).optional(),
    /** --auto-converge-increment: added each time it is not enough, percent (QEMU default 10). */
    autoConvergeIncrement: whole(1, 99).optional(),
    /** --postcopy: allow switching to post-copy (`virsh migrate-postcopy`) while running. */
    postcopy: z.boolean().optional(),
    /** --postcopy-after-precopy: switch to post-copy by itself after the first pre-copy pass. */
    postcopyAfterPrecopy: z.boolean().optional(),
    /** --postcopy-bandwidth, MiB/s, during the post-copy phase. */
    postcopyBandwidthMiBps: whole(1, 1_000_000).optional(),
    /** --parallel: several connections (QEMU multifd). */
    parallel: z.boolean().optional(),
    /** --parallel-connections (QEMU multifd-channels, 1-255; default 2). */
    parallelConnections: whole(1, 255).optional(),
    /** --compressed: compress re-sent pages. */
    compressed: z.boolean().optional(),
    /** --comp-methods (default xbzrle). */
    compMethods: z.array(z.enum(COMPRESSION_METHODS)).min(1).max(COMPRESSION_METHODS.length).optional(),
    /** --bandwidth, MiB/s (also changeable while running: `virsh migrate-setspeed`). */
    bandwidthMiBps: whole(1, 1_000_000).optional(),
    /** Max downtime, ms: applied with `virsh migrate-setmaxdowntime` (migrate has no option for it). libvirt default 300. */
    maxDowntimeMs: whole(1, 3_600_000).optional(),
    /** --timeout, seconds: after this, `timeoutAction` happens (live migrations only). */
    timeoutSec: whole(1, 86_400).optional(),
    /** --timeout-suspend / --timeout-postcopy; default (none given) is suspend. */
    timeoutAction: z.enum(TIMEOUT_ACTIONS).optional(),
    /** --abort-on-error: abort when a disk I/O error happens during migration. */
    abortOnError: z.boolean().optional(),
    /** --migrateuri: where QEMU's stream goes, e.g. tcp://10.77.2.12 for a dedicated migration network. */
    migrateUri: z.string().refine((s) => parseMigrateUri(s) !== undefined, 'tcp://HOST[:PORT] or rdma://HOST[:PORT]').optional(),
    /** --listen-address: the address the destination's QEMU listens on. */
    listenAddress: z.string().refine((s) => isIpv4(s) || isIpv6(s), 'an IP address').optional(),
    /** --dname: the domain's name on the destination. */
    dname: z.string().refine(isDomainName, "a domain name as libvirt accepts it (not empty, no '/', no line break)").optional(),
  })
  .strict();

export type MigrationOptions = z.infer<typeof migrationOptionsSchema>;
export type MigrationOptionKey = keyof MigrationOptions;

// ---- validation -------------------------------------------------------------------------------------------------

export const optionProblemSchema = z.object({
  /** error: libvirt/QEMU would refuse it (or it cannot do what was asked); warning: it works but probably not as meant. */
  severity: z.enum(['error', 'warning']),
  /** The options concerned, as MigrationOptions keys (the dialog highlights them); empty for an unknown option. */
  options: z.array(migrationOptionsSchema.keyof()),
  message: z.string(),
});
export type OptionProblem = z.infer<typeof optionProblemSchema>;

/** The flag name virsh shows for an option key, for messages. */
export const VIRSH_OPTION_NAMES: Readonly<Record<MigrationOptionKey, string>> = {
  live: '--live',
  offline: '--offline',
  p2p: '--p2p',
  direct: '--direct',
  tunnelled: '--tunnelled',
  persistent: '--persistent',
  undefineSource: '--undefinesource',
  suspend: '--suspend',
  copyStorageAll: '--copy-storage-all',
  copyStorageInc: '--copy-storage-inc',
  migrateDisks: '--migrate-disks',
  tls: '--tls',
  tlsDestination: '--tls-destination',
  rdmaPinAll: '--rdma-pin-all',
  autoConverge: '--auto-converge',
  autoConvergeInitial: '--auto-converge-initial',
  autoConvergeIncrement: '--auto-converge-increment',
  postcopy: '--postcopy',
  postcopyAfterPrecopy: '--postcopy-after-precopy',
  postcopyBandwidthMiBps: '--postcopy-bandwidth',
  parallel: '--parallel',
  parallelConnections: '--parallel-connections',
  compressed: '--compressed',
  compMethods: '--comp-methods',
  bandwidthMiBps: '--bandwidth',
  maxDowntimeMs: 'max downtime (migrate-setmaxdowntime)',
  timeoutSec: '--timeout',
  timeoutAction: '--timeout-suspend/--timeout-postcopy',
  abortOnError: '--abort-on-error',
  migrateUri: '--migrateuri',
  listenAddress: '--listen-address',
  dname: '--dname',
};

interface Rule {
  readonly when: (o: MigrationOptions) => boolean;
  readonly severity: 'error' | 'warning';
  readonly options: readonly MigrationOptionKey[];
  readonly message: string;
}

const given = (v: unknown): boolean => v !== undefined && v !== false;
const isRdma = (o: MigrationOptions) => o.migrateUri !== undefined && parseMigrateUri(o.migrateUri)?.scheme === 'rdma';

/**
 * The combinations that cannot work. Where libvirt itself refuses one, its text as captured on the lab (virsh 9.0)
 * is quoted in the comment; the others are refused by libvirt's daemon or QEMU 7.2 later, after the connection to
 * the destination is made, which is why Ferry checks them first.
 */
const RULES: readonly Rule[] = [
  // "Options --live and --offline are mutually exclusive"
  { when: (o) => given(o.offline) && given(o.live), severity: 'error', options: ['offline', 'live'], message: 'A migration is either live (the guest keeps running) or offline (only its definition moves), not both.' },
  // libvirt: "offline migration must be specified with the persistent flag set"
  { when: (o) => given(o.offline) && !given(o.persistent), severity: 'error', options: ['offline', 'persistent'], message: 'An offline migration only moves the definition, so it needs --persistent to define the domain on the destination.' },
  { when: (o) => given(o.offline) && (given(o.copyStorageAll) || given(o.copyStorageInc)), severity: 'error', options: ['offline', 'copyStorageAll', 'copyStorageInc'], message: 'An offline migration cannot copy disks (libvirt copies storage only while the guest runs).' },
  { when: (o) => given(o.offline) && (given(o.postcopy) || given(o.autoConverge) || given(o.parallel) || given(o.compressed)), severity: 'error', options: ['offline', 'postcopy', 'autoConverge', 'parallel', 'compressed'], message: 'Post-copy, auto-converge, parallel connections and compression tune a memory transfer, and an offline migration transfers no memory.' },
  { when: (o) => given(o.offline) && o.maxDowntimeMs !== undefined, severity: 'error', options: ['offline', 'maxDowntimeMs'], message: 'An offline migration has no switch-over (the guest does not run), so there is no downtime to limit.' },
  // "migrate: Unexpected timeout for offline migration"; libvirt acts on --timeout only for live migrations
  { when: (o) => o.timeoutSec !== undefined && !given(o.live), severity: 'error', options: ['timeoutSec', 'live'], message: 'The timeout acts on a live migration (it pauses the guest or switches to post-copy), so it needs --live.' },
  // "migrate: Unexpected --timeout-* option without --timeout"
  { when: (o) => o.timeoutAction !== undefined && o.timeoutSec === undefined, severity: 'error', options: ['timeoutAction', 'timeoutSec'], message: 'Choosing what happens at the timeout needs a timeout (--timeout SECONDS).' },
  // "Option --postcopy is required by option --timeout-postcopy"
  { when: (o) => o.timeoutAction === 'postcopy' && !given(o.postcopy), severity: 'error', options: ['timeoutAction', 'postcopy'], message: 'Switching to post-copy at the timeout needs --postcopy.' },
  // "Option --postcopy is required by option --postcopy-after-precopy"
  { when: (o) => given(o.postcopyAfterPrecopy) && !given(o.postcopy), severity: 'error', options: ['postcopyAfterPrecopy', 'postcopy'], message: 'Switching to post-copy after the first pass needs --postcopy.' },
  { when: (o) => o.postcopyBandwidthMiBps !== undefined && !given(o.postcopy), severity: 'error', options: ['postcopyBandwidthMiBps', 'postcopy'], message: 'A post-copy bandwidth only applies with --postcopy.' },
  // "Flags 'VIR_MIGRATE_TUNNELLED' and 'VIR_MIGRATE_PARALLEL' are mutually exclusive"
  { when: (o) => given(o.tunnelled) && given(o.parallel), severity: 'error', options: ['tunnelled', 'parallel'], message: 'A tunnelled migration carries one stream inside libvirtd\'s connection, so it cannot use parallel connections.' },
  // "argument unsupported: migration URI is not supported by tunnelled migration"
  { when: (o) => given(o.tunnelled) && o.migrateUri !== undefined, severity: 'error', options: ['tunnelled', 'migrateUri'], message: 'A tunnelled migration goes through libvirtd\'s connection, so it has no migration URI of its own.' },
  { when: (o) => given(o.tunnelled) && o.listenAddress !== undefined, severity: 'error', options: ['tunnelled', 'listenAddress'], message: 'A tunnelled migration goes through libvirtd\'s connection, so the destination QEMU listens on no address.' },
  // libvirt: "migration: tunnelled migration requires peer2peer"
  { when: (o) => given(o.tunnelled) && !given(o.p2p), severity: 'error', options: ['tunnelled', 'p2p'], message: 'A tunnelled migration needs --p2p: the tunnel is the source libvirtd\'s connection to the destination.' },
  // Refused by libvirt 9.0 / QEMU 7.2 on every try in the lab ("failed to convert virJSONValue to yajl data"):
  // --tls sets QEMU's own TLS stream, which a tunnelled migration does not have.
  { when: (o) => given(o.tunnelled) && given(o.tls), severity: 'error', options: ['tunnelled', 'tls'], message: 'A tunnelled migration travels inside libvirtd\'s own (SSH or TLS) connection and has no QEMU stream for --tls to secure; libvirt refuses the pair. Choose one of them.' },
  { when: (o) => given(o.direct) && (given(o.p2p) || given(o.tunnelled)), severity: 'error', options: ['direct', 'p2p', 'tunnelled'], message: 'Direct migration (QEMU without libvirtd on the destination) excludes --p2p and --tunnelled.' },
  // lab: "argument unsupported: direct migration is not supported by the source host"
  { when: (o) => given(o.direct), severity: 'error', options: ['direct'], message: 'The QEMU driver does not support direct migration ("direct migration is not supported by the source host"); use --p2p.' },
  // "Flags 'VIR_MIGRATE_NON_SHARED_DISK' and 'VIR_MIGRATE_NON_SHARED_INC' are mutually exclusive"
  { when: (o) => given(o.copyStorageAll) && given(o.copyStorageInc), severity: 'error', options: ['copyStorageAll', 'copyStorageInc'], message: 'Copy the whole disks or only the top layer, not both.' },
  { when: (o) => o.migrateDisks !== undefined && !given(o.copyStorageAll) && !given(o.copyStorageInc), severity: 'error', options: ['migrateDisks', 'copyStorageAll', 'copyStorageInc'], message: 'Choosing disks to copy needs --copy-storage-all or --copy-storage-inc.' },
  // lab: "cannot start RDMA migration with no memory hard limit set" is pre-flight's business; the URI is ours.
  { when: (o) => given(o.rdmaPinAll) && !isRdma(o), severity: 'error', options: ['rdmaPinAll', 'migrateUri'], message: 'Pinning memory for RDMA needs an RDMA transport: a migrate URI rdma://DESTINATION.' },
  { when: (o) => isRdma(o) && (given(o.tls) || given(o.parallel) || given(o.compressed)), severity: 'error', options: ['migrateUri', 'tls', 'parallel', 'compressed'], message: 'QEMU\'s RDMA transport supports neither TLS, parallel connections nor compression.' },
  // "invalid argument: Turn parallel migration on to tune it"
  { when: (o) => o.parallelConnections !== undefined && !given(o.parallel), severity: 'error', options: ['parallelConnections', 'parallel'], message: 'The number of parallel connections needs --parallel.' },
  // QEMU 7.2: "Postcopy is not yet compatible with multifd"
  { when: (o) => given(o.postcopy) && given(o.parallel), severity: 'error', options: ['postcopy', 'parallel'], message: 'QEMU 7.2 cannot combine post-copy with parallel connections (multifd).' },
  { when: (o) => o.compMethods !== undefined && !given(o.compressed), severity: 'error', options: ['compMethods', 'compressed'], message: 'Compression methods need --compressed.' },
  // "invalid argument: Turn auto convergence on to tune it"
  { when: (o) => (o.autoConvergeInitial !== undefined || o.autoConvergeIncrement !== undefined) && !given(o.autoConverge), severity: 'error', options: ['autoConvergeInitial', 'autoConvergeIncrement', 'autoConverge'], message: 'Auto-converge\'s initial throttle and increment need --auto-converge.' },
  // "Option --tls is required by option --tls-destination"
  { when: (o) => o.tlsDestination !== undefined && !given(o.tls), severity: 'error', options: ['tlsDestination', 'tls'], message: 'The TLS destination name needs --tls.' },
  { when: (o) => !given(o.live) && !given(o.offline), severity: 'warning', options: ['live', 'offline'], message: 'Neither live nor offline: the guest is paused for the whole transfer.' },
  { when: (o) => given(o.undefineSource) && !given(o.persistent), severity: 'warning', options: ['undefineSource', 'persistent'], message: 'With --undefinesource but not --persistent the domain ends up defined on no host: it is lost when it shuts down.' },
  { when: (o) => o.timeoutSec !== undefined && o.timeoutAction !== 'postcopy' && given(o.live), severity: 'warning', options: ['timeoutSec', 'timeoutAction'], message: 'At the timeout the guest is paused until the copy finishes: its downtime then lasts as long as the remaining transfer.' },
];

/**
 * Everything wrong with a set of options: values out of range (from the schema) first, then the combinations.
 * Accepts anything (a stored profile, an IPC payload); an empty list means `buildMigrateCommand` will accept them.
 */
export function validateMigrationOptions(input: unknown): OptionProblem[] {
  const parsed = migrationOptionsSchema.safeParse(input);
  if (!parsed.success) {
    return parsed.error.issues.map((issue) => {
      const key = issue.path[0];
      const known = typeof key === 'string' && key in VIRSH_OPTION_NAMES;
      const name = known ? VIRSH_OPTION_NAMES[key as MigrationOptionKey] : typeof key === 'string' ? key : 'the options';
      const message =
        issue.code === 'unrecognized_keys'
          ? `Unknown option${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}.`
          : `${name}: ${issue.message}.`;
      return { severity: 'error', options: known ? [key as MigrationOptionKey] : [], message };
    });
  }
  const o = parsed.data;
  return RULES.filter((r) => r.when(o)).map((r) => ({
    severity: r.severity,
    // A rule naming a group (offline with post-copy, auto-converge, ...) concerns the ones actually set.
    options: r.options.length > 2 ? r.options.filter((k) => given(o[k])) : [...r.options],
    message: r.message,
  }));
}

/**
 * What pre-flight's "use --offline" does to the options: --offline --persistent, and nothing that tunes a memory
 * transfer or a running job (live, post-copy, auto-converge, parallel, compression, storage copy, timeout, bandwidth,
 * max downtime, TLS, RDMA, migrate URI, listen address), which libvirt would refuse or ignore. Kept: p2p, tunnelled,
 * --undefinesource, --dname. Pure.
 */
export function offlineOptions(o: MigrationOptions): MigrationOptions {
  return {
    offline: true,
    persistent: true,
    ...(o.p2p !== undefined ? { p2p: o.p2p } : {}),
    ...(o.undefineSource !== undefined ? { undefineSource: o.undefineSource } : {}),
    ...(o.dname !== undefined ? { dname: o.dname } : {}),
  };
}

export function hasErrors(problems: readonly OptionProblem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

// ---- profiles ---------------------------------------------------------------------------------------------------

export const migrationProfileSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
  name: z.string().min(1).max(80),
  description: z.string().max(500),
  builtIn: z.boolean(),
  options: migrationOptionsSchema,
});
export type MigrationProfile = z.infer<typeof migrationProfileSchema>;

/**
 * Fast LAN: live, peer-to-peer, the definition moves with the guest, and auto-converge as the safety net for a busy
 * guest. No parallel connections (they exclude tunnelled and post-copy, and a LAN rarely needs them), no cap.
 * WAN + TLS: encrypted stream, xbzrle compression of re-sent pages, a 50 MiB/s cap (~420 Mbit/s) so the link stays
 * usable, auto-converge, and post-copy allowed (switched to by hand, or by Ferry's remedy) for a guest that will not
 * converge over a slow link.
 */
export const BUILT_IN_PROFILES: readonly MigrationProfile[] = [
  {
    id: 'fast-lan',
    name: 'Fast LAN',
    description: 'Live, peer-to-peer, defined on the destination and removed from the source; auto-converge if the guest is busy.',
    builtIn: true,
    options: { live: true, p2p: true, persistent: true, undefineSource: true, autoConverge: true },
  },
  {
    id: 'wan-tls',
    name: 'WAN + TLS',
    description: 'Encrypted and compressed, capped at 50 MiB/s, auto-converge, post-copy available for a guest that does not converge.',
    builtIn: true,
    options: {
      live: true,
      p2p: true,
      tls: true,
      persistent: true,
      undefineSource: true,
      compressed: true,
      compMethods: ['xbzrle'],
      bandwidthMiBps: 50,
      autoConverge: true,
      postcopy: true,
    },
  },
];

// ---- the user's profiles ------------------------------------------------------------------------------------------

/** A profile name as the admin types it: 1-80 characters, no line breaks or other control characters. */
export const PROFILE_NAME_MAX = 80;
export const profileNameSchema = z
  .string()
  .trim()
  .min(1, 'a name')
  .max(PROFILE_NAME_MAX, `at most ${PROFILE_NAME_MAX} characters`)
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'no line breaks or control characters');

/**
 * The id a profile named `name` is saved under: lower-case ASCII letters, digits and dashes ("WAN 10G (night)" ->
 * "wan-10g-night"). Two names with the same id are the same profile (saving one replaces the other, after the
 * dialog asks). A name with no ASCII letter or digit gets an id from a hash of the name, so it still has one.
 */
export function profileIdFor(name: string): string {
  const slug = name
    .trim()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  if (slug !== '') return slug;
  // FNV-1a over the UTF-16 code units: stable, small, good enough to tell names apart.
  let h = 0x811c9dc5;
  for (let i = 0; i < name.trim().length; i++) h = Math.imul(h ^ name.trim().charCodeAt(i), 0x01000193) >>> 0;
  return `profile-${h.toString(16).padStart(8, '0')}`;
}

/** The built-in profile a user profile named `name` would collide with (same id, or the same name in any case). */
export function builtInProfileNamed(name: string): MigrationProfile | undefined {
  const id = profileIdFor(name);
  const lower = name.trim().toLowerCase();
  return BUILT_IN_PROFILES.find((p) => p.id === id || p.name.toLowerCase() === lower);
}

/** The options as virsh flags, for a profile's description ("--live --p2p --bandwidth 50"). */
export function describeOptions(o: MigrationOptions): string {
  const words: string[] = [];
  for (const key of Object.keys(VIRSH_OPTION_NAMES) as MigrationOptionKey[]) {
    const v = o[key];
    if (v === undefined || v === false) continue;
    if (key === 'maxDowntimeMs') words.push(`max downtime ${String(v)} ms`);
    else if (key === 'timeoutAction') words.push(v === 'postcopy' ? '--timeout-postcopy' : '--timeout-suspend');
    else if (v === true) words.push(VIRSH_OPTION_NAMES[key]);
    else words.push(`${VIRSH_OPTION_NAMES[key]} ${Array.isArray(v) ? v.join(',') : String(v)}`);
  }
  return words.length === 0 ? 'virsh defaults' : words.join(' ');
}

export interface ProfileSaveRequest {
  readonly name: string;
  /** Absent or blank: the options as virsh flags. */
  readonly description?: string | undefined;
  /** Anything: validated here (a stored profile, an IPC payload). */
  readonly options: unknown;
  /** The admin confirmed replacing the profile that already has this name (id). */
  readonly replace?: boolean | undefined;
}

const byProfileName = (a: MigrationProfile, b: MigrationProfile) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' });

/**
 * The user's profiles after saving one (sorted by name), or why it is refused: a bad name, the name of a built-in
 * profile, options with errors (each reason in the message, one a line in `detail`), or a name already taken
 * without `replace` (`inventory.duplicate`). Warnings do not refuse: they are shown when the profile is used.
 * Pure: main's profile store and the dev fake both decide with it.
 */
export function saveProfileInto(
  current: readonly MigrationProfile[],
  req: ProfileSaveRequest,
): Result<{ readonly profiles: MigrationProfile[]; readonly saved: MigrationProfile }, FerryError> {
  const name = profileNameSchema.safeParse(req.name);
  if (!name.success) return err(ferryError('input.invalid', `A profile needs a name: ${name.error.issues[0]?.message ?? 'not a valid name'}.`));
  const builtIn = builtInProfileNamed(name.data);
  if (builtIn !== undefined) return err(ferryError('input.invalid', `"${builtIn.name}" is a built-in profile and cannot be overwritten; save yours under another name.`));
  const errors = validateMigrationOptions(req.options).filter((p) => p.severity === 'error');
  const options = migrationOptionsSchema.safeParse(req.options);
  if (errors.length > 0 || !options.success) {
    const n = errors.length;
    return err(
      ferryError(
        'input.invalid',
        `The profile "${name.data}" was not saved: ${n === 1 ? 'its options have a problem' : `its options have ${n} problems`}. ${errors.map((p) => p.message).join(' ')}`,
        errors.map((p) => `- ${p.message}`).join('\n'),
      ),
    );
  }
  const saved: MigrationProfile = {
    id: profileIdFor(name.data),
    name: name.data,
    description: req.description?.trim() || describeOptions(options.data),
    builtIn: false,
    options: options.data,
  };
  const existing = current.find((p) => p.id === saved.id);
  if (existing !== undefined && req.replace !== true) {
    return err(ferryError('inventory.duplicate', `A profile named "${existing.name}" exists already; confirm to replace it.`));
  }
  return ok({ profiles: [...current.filter((p) => p.id !== saved.id), saved].sort(byProfileName), saved });
}

/** The user's profiles without `id`, or why not: a built-in profile, or one that is not there. Pure. */
export function removeProfileFrom(current: readonly MigrationProfile[], id: string): Result<MigrationProfile[], FerryError> {
  const builtIn = BUILT_IN_PROFILES.find((p) => p.id === id);
  if (builtIn !== undefined) return err(ferryError('input.invalid', `"${builtIn.name}" is a built-in profile and cannot be removed.`));
  if (!current.some((p) => p.id === id)) return err(ferryError('inventory.not-found', 'That profile is not saved (any more).'));
  return ok(current.filter((p) => p.id !== id));
}
