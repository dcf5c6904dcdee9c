/**
 * `virsh migrate` and the controls of a running migration, run on the source host. The options are typed and
 * validated in shared/migration/options.ts; this module turns them into argv. Every option emitted exists in
 * `virsh help migrate` as captured on the lab (test/unit/migrate-command.test.ts holds that), the domain comes after
 * `--domain` and the destination after `--desturi`, so neither can be read as an option.
 *
 * The controls are the real commands (there is no `migrate-setmaxbw`): `migrate-setspeed` (MiB/s),
 * `migrate-setmaxdowntime` (ms), `migrate-postcopy`, `domjobabort`.
 */
import { err, ok, type Result } from '../result';
import { ferryError, type FerryError } from '../errors';
import { virshError } from '../parsers/virsh-error';
import { shJoin } from '../shell/quote';
import { hasErrors, validateMigrationOptions, type MigrationOptions, type OptionProblem } from '../migration/options';
import { command, checkDestination, checkWholeNumber, type Command } from './command';
import { VIRSH } from './virsh';
import { checkDomainName } from './domain-name';

/** One migration: which domain, where to, how. */
export interface MigrateSpec {
  readonly domain: string;
  /** Destination host (IP or name) as the SOURCE host resolves it: with p2p, the source's libvirtd connects to it. */
  readonly destinationHost: string;
  readonly destinationUser?: string;
  /** The destination's SSH port (the source's libvirtd connects to it); 22 when absent. */
  readonly destinationPort?: number;
  readonly options: MigrationOptions;
  /** Upper bound for the `virsh migrate` command, ms; default 6 hours (a slow migration is not a hung one). */
  readonly commandTimeoutMs?: number;
}

export interface MigrateOutcome {
  /** The `Migration: [...]` progress lines `--verbose` printed, last one last. */
  readonly progressLines: readonly string[];
}

const USER = /^[a-z_][a-z0-9_.-]{0,31}$/i;
const DEFAULT_MIGRATE_MS = 6 * 3600_000;
const CONTROL_MS = 15_000;

/**
 * `qemu+ssh://[USER@]HOST[:PORT]/system`, what the source's libvirtd connects to. The port is written only when it is
 * not ssh's 22, so the usual URI stays the one admins know; a destination whose sshd listens elsewhere needs it.
 */
export function destinationUri(host: string, user?: string, port?: number): Result<string, FerryError> {
  const dest = checkDestination(host);
  if (!dest.ok) return dest;
  if (user !== undefined && !USER.test(user)) {
    return err(ferryError('input.invalid', `"${user}" is not a valid user name for the destination.`));
  }
  if (port !== undefined) {
    const p = checkWholeNumber('The SSH port', port, 1, 65535);
    if (!p.ok) return p;
  }
  const bracketed = host.includes(':') ? `[${host}]` : host;
  return ok(`qemu+ssh://${user === undefined ? '' : `${user}@`}${bracketed}${port === undefined || port === 22 ? '' : `:${port}`}/system`);
}

function checkDomain(domain: string): Result<string, FerryError> {
  return domain === '' ? err(ferryError('input.invalid', 'Choose the domain to migrate.')) : checkDomainName(domain);
}

export function parseMigrateOutput(text: string, exit?: { readonly code: number | null }): Result<MigrateOutcome, FerryError> {
  // --verbose writes its progress to stderr as `\rMigration: [ 10 %]` with no newline, so libvirt's error that
  // follows is glued to the last one (captured on the lab after a domjobabort):
  // `\rMigration: [  9 %]\rMigration: [ 10 %]error: operation aborted: job 'migration out' canceled by client`.
  const lines = text
    .replace(/(Migration: \[[^\]\n]*\])/g, '\n$1\n')
    .split(/[\r\n]+/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const failure = virshError(lines.join('\n'));
  if (failure) return err(failure);
  // No error line, but virsh did not say it succeeded either: a migration is never assumed to have completed.
  if (exit !== undefined && exit.code !== 0) {
    const how = exit.code === null ? 'was ended by a signal' : `exited with status ${exit.code}`;
    return err(ferryError('libvirt.error', `virsh migrate ${how} without an error message; the migration did not complete.`, lines.join('\n')));
  }
  return ok({ progressLines: lines.filter((l) => l.startsWith('Migration:')) });
}

/** The controls print nothing (or an empty line) on success; anything after `error:` is libvirt's own text. */
export function parseControlOutput(text: string): Result<void, FerryError> {
  const failure = virshError(text);
  return failure ? err(failure) : ok(undefined);
}

/** Flags in the order virsh's help lists them (so a command line reads like the manual). */
const FLAGS: readonly (readonly [keyof MigrationOptions, string])[] = [
  ['live', '--live'],
  ['offline', '--offline'],
  ['p2p', '--p2p'],
  ['direct', '--direct'],
  ['tunnelled', '--tunnelled'],
  ['persistent', '--persistent'],
  ['undefineSource', '--undefinesource'],
  ['suspend', '--suspend'],
  ['copyStorageAll', '--copy-storage-all'],
  ['copyStorageInc', '--copy-storage-inc'],
  ['compressed', '--compressed'],
  ['autoConverge', '--auto-converge'],
  ['rdmaPinAll', '--rdma-pin-all'],
  ['abortOnError', '--abort-on-error'],
  ['postcopy', '--postcopy'],
  ['postcopyAfterPrecopy', '--postcopy-after-precopy'],
  ['tls', '--tls'],
  ['parallel', '--parallel'],
];

function problemsError(problems: readonly OptionProblem[]): FerryError {
  const errors = problems.filter((p) => p.severity === 'error');
  return ferryError('input.invalid', errors.map((p) => p.message).join(' '), errors.map((p) => p.options.join('+')).join('; '));
}

/** The argv of `virsh migrate` for these options (validated: any error-level problem refuses the whole command). */
export function migrateArgv(spec: MigrateSpec): Result<string[], FerryError> {
  const domain = checkDomain(spec.domain);
  if (!domain.ok) return domain;
  const uri = destinationUri(spec.destinationHost, spec.destinationUser, spec.destinationPort);
  if (!uri.ok) return uri;
  const problems = validateMigrationOptions(spec.options);
  if (hasErrors(problems)) return err(problemsError(problems));
  const o = spec.options;
  const argv: string[] = [...VIRSH, 'migrate', '--verbose'];
  for (const [key, flag] of FLAGS) if (o[key] === true) argv.push(flag);
  const value = (flag: string, v: string | number | undefined) => {
    if (v !== undefined) argv.push(flag, String(v));
  };
  value('--migrateuri', o.migrateUri);
  value('--listen-address', o.listenAddress);
  value('--dname', o.dname);
  value('--timeout', o.timeoutSec);
  if (o.timeoutAction === 'suspend') argv.push('--timeout-suspend');
  if (o.timeoutAction === 'postcopy') argv.push('--timeout-postcopy');
  value('--migrate-disks', o.migrateDisks?.join(','));
  value('--comp-methods', o.compMethods?.join(','));
  value('--auto-converge-initial', o.autoConvergeInitial);
  value('--auto-converge-increment', o.autoConvergeIncrement);
  value('--postcopy-bandwidth', o.postcopyBandwidthMiBps);
  value('--parallel-connections', o.parallelConnections);
  value('--bandwidth', o.bandwidthMiBps);
  value('--tls-destination', o.tlsDestination);
  argv.push('--domain', domain.value, '--desturi', uri.value);
  return ok(argv);
}

export function buildMigrateCommand(spec: MigrateSpec): Result<Command<MigrateOutcome>, FerryError> {
  const argv = migrateArgv(spec);
  if (!argv.ok) return argv;
  return ok(
    command(`migrate ${spec.domain} to ${spec.destinationHost}`, argv.value, parseMigrateOutput, spec.commandTimeoutMs ?? DEFAULT_MIGRATE_MS),
  );
}

/**
 * `qemu+ssh://[USER@]HOST[:PORT]/system` back into its parts (what destinationUri wrote); undefined for anything
 * else. A resume must reach the destination exactly as the start did, and the journal keeps the start's argv.
 */
export function parseDestinationUri(uri: string): { readonly host: string; readonly user?: string; readonly port?: number } | undefined {
  const m = /^qemu\+ssh:\/\/(?:([^@/]+)@)?(\[[0-9A-Fa-f:.]+\]|[^[\]:/@]+)(?::(\d{1,5}))?\/system$/.exec(uri);
  if (!m) return undefined;
  const rawHost = m[2] ?? '';
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  const rebuilt = destinationUri(host, m[1], m[3] === undefined ? undefined : Number(m[3]));
  if (!rebuilt.ok || rebuilt.value !== uri) return undefined;
  return { host, ...(m[1] !== undefined ? { user: m[1] } : {}), ...(m[3] !== undefined ? { port: Number(m[3]) } : {}) };
}

/**
 * `virsh migrate --postcopy-resume`: finishes a post-copy migration whose connection broke (both halves say
 * `post-copy failed`). The start's own options go with it: on the lab (libvirt 9.0) a resume with --live --p2p
 * --persistent --undefinesource --postcopy --postcopy-bandwidth --bandwidth --migrateuri exited 0 with the VM
 * defined and running on the destination only. What only steers the pre-copy phase is dropped (--timeout and its
 * action, --postcopy-after-precopy): that phase is over, and a timeout firing during the resume must not act.
 */
export function postcopyResumeArgv(spec: MigrateSpec): Result<string[], FerryError> {
  if (spec.options.postcopy !== true) {
    return err(ferryError('input.invalid', 'Only a migration started with the post-copy option can be resumed in post-copy.'));
  }
  const { timeoutSec: _t, timeoutAction: _a, postcopyAfterPrecopy: _p, ...options } = spec.options;
  const argv = migrateArgv({ ...spec, options });
  if (!argv.ok) return argv;
  const at = argv.value.indexOf('--postcopy');
  argv.value.splice(at + 1, 0, '--postcopy-resume');
  return argv;
}

export function buildPostcopyResumeCommand(spec: MigrateSpec): Result<Command<MigrateOutcome>, FerryError> {
  const argv = postcopyResumeArgv(spec);
  if (!argv.ok) return argv;
  return ok(
    command(`resume post-copy of ${spec.domain} to ${spec.destinationHost}`, argv.value, parseMigrateOutput, spec.commandTimeoutMs ?? DEFAULT_MIGRATE_MS),
  );
}

// ---- controls of a running migration ------------------------------------------------------------------------------

/** `virsh migrate-setspeed`: the bandwidth cap, MiB/s; takes effect in the next samples. */
export function migrateSetSpeed(domain: string, mibPerSecond: number): Result<Command<void>, FerryError> {
  const d = checkDomain(domain);
  if (!d.ok) return d;
  const bw = checkWholeNumber('Bandwidth (MiB/s)', mibPerSecond, 1, 1_000_000);
  if (!bw.ok) return bw;
  return ok(command(`bandwidth of ${domain}`, [...VIRSH, 'migrate-setspeed', '--domain', d.value, '--bandwidth', String(bw.value)], parseControlOutput, CONTROL_MS));
}

/** `virsh migrate-setmaxdowntime`, ms. libvirt accepts it with or without a job (lab: rc 0 on an idle domain). */
export function migrateSetMaxDowntime(domain: string, ms: number): Result<Command<void>, FerryError> {
  const d = checkDomain(domain);
  if (!d.ok) return d;
  const dt = checkWholeNumber('Max downtime (ms)', ms, 1, 3_600_000);
  if (!dt.ok) return dt;
  return ok(command(`max downtime of ${domain}`, [...VIRSH, 'migrate-setmaxdowntime', '--domain', d.value, '--downtime', String(dt.value)], parseControlOutput, CONTROL_MS));
}

/** `virsh migrate-postcopy`: switch a migration started with --postcopy to post-copy now. */
export function migratePostcopy(domain: string): Result<Command<void>, FerryError> {
  const d = checkDomain(domain);
  if (!d.ok) return d;
  return ok(command(`switch ${domain} to post-copy`, [...VIRSH, 'migrate-postcopy', '--domain', d.value], parseControlOutput, CONTROL_MS));
}

/** `virsh domjobabort`: the migration fails with "operation aborted: job 'migration out' canceled by client". */
export function domjobAbort(domain: string): Result<Command<void>, FerryError> {
  const d = checkDomain(domain);
  if (!d.ok) return d;
  return ok(command(`abort the job of ${domain}`, [...VIRSH, 'domjobabort', '--domain', d.value], parseControlOutput, CONTROL_MS));
}

// ---- what the dialog shows ------------------------------------------------------------------------------------------

export interface MigrationCommands {
  readonly migrate: Command<MigrateOutcome>;
  /** Run on the source right after `migrate` has started (the max downtime has no `virsh migrate` option). */
  readonly afterStart: readonly Command<void>[];
}

export function migrationCommands(spec: MigrateSpec): Result<MigrationCommands, FerryError> {
  const migrate = buildMigrateCommand(spec);
  if (!migrate.ok) return migrate;
  const afterStart: Command<void>[] = [];
  if (spec.options.maxDowntimeMs !== undefined) {
    const dt = migrateSetMaxDowntime(spec.domain, spec.options.maxDowntimeMs);
    if (!dt.ok) return dt;
    afterStart.push(dt.value);
  }
  return ok({ migrate: migrate.value, afterStart });
}

/**
 * Exactly what will run on the source host, quoted as the SSH layer quotes it (shJoin, with the command's environment
 * as `env K=V` the way electron/main/remote/run-command.ts sends it): the migrate command, then each command applied
 * right after it starts, one per line.
 */
export function commandLine(spec: MigrateSpec): Result<string, FerryError> {
  const cmds = migrationCommands(spec);
  if (!cmds.ok) return cmds;
  return ok([cmds.value.migrate, ...cmds.value.afterStart].map(quotedCommand).join('\n'));
}

/** One command as the SSH layer sends it (see commandLine). */
export function quotedCommand(c: Command<unknown>): string {
  return shJoin(['env', ...Object.entries(c.env).map(([k, v]) => `${k}=${v}`), ...c.argv]);
}
