/**
 * `virsh migrate`, run on the source host. This is the foundation's subset of the options (live, p2p, persistence,
 * bandwidth, max downtime, a migration URI for a dedicated network); the migrate dialog's full typed option set
 * extends `MigrateOptions`. Every value is validated before it reaches an argv, and the domain comes after
 * `--domain`, the destination after `--desturi`, so neither can be read as an option.
 */
import { err, ok, type Result } from '../result';
import { ferryError, type FerryError } from '../errors';
import { virshError } from '../parsers/virsh-error';
import { command, checkDestination, checkWholeNumber, type Command } from './command';
import { VIRSH } from './virsh';

export interface MigrateOptions {
  readonly domain: string;
  /** Destination host (IP or name) as the SOURCE host resolves it: with p2p, the source's libvirtd connects to it. */
  readonly destinationHost: string;
  readonly destinationUser?: string;
  readonly live?: boolean;
  readonly p2p?: boolean;
  readonly persistent?: boolean;
  readonly undefineSource?: boolean;
  /** MiB/s, as `virsh migrate --bandwidth` takes it. */
  readonly bandwidthMiBps?: number;
  /** Address on the destination the migration stream goes to (`--migrateuri tcp://ADDR`), e.g. a dedicated network. */
  readonly migrationAddress?: string;
  /** Overall limit for the command, ms; default 10 minutes. */
  readonly timeoutMs?: number;
}

export interface MigrateOutcome {
  /** The `Migration: [...]` progress lines `--verbose` printed, last one last. */
  readonly progressLines: readonly string[];
}

const USER = /^[a-z_][a-z0-9_.-]{0,31}$/i;

export function destinationUri(host: string, user?: string): Result<string, FerryError> {
  const dest = checkDestination(host);
  if (!dest.ok) return dest;
  if (user !== undefined && !USER.test(user)) {
    return err(ferryError('input.invalid', `"${user}" is not a valid user name for the destination.`));
  }
  const bracketed = host.includes(':') ? `[${host}]` : host;
  return ok(`qemu+ssh://${user === undefined ? '' : `${user}@`}${bracketed}/system`);
}

export function parseMigrateOutput(text: string): Result<MigrateOutcome, FerryError> {
  const failure = virshError(text);
  if (failure) return err(failure);
  const progressLines = text
    .split(/[\r\n]+/)
    .map((l) => l.trim())
    .filter((l) => l.startsWith('Migration:'));
  return ok({ progressLines });
}

export function virshMigrate(o: MigrateOptions): Result<Command<MigrateOutcome>, FerryError> {
  if (o.domain === '') return err(ferryError('input.invalid', 'Choose the domain to migrate.'));
  const uri = destinationUri(o.destinationHost, o.destinationUser);
  if (!uri.ok) return uri;
  const argv: string[] = [...VIRSH, 'migrate', '--verbose'];
  if (o.live ?? true) argv.push('--live');
  if (o.p2p ?? true) argv.push('--p2p');
  if (o.persistent) argv.push('--persistent');
  if (o.undefineSource) argv.push('--undefinesource');
  if (o.bandwidthMiBps !== undefined) {
    const bw = checkWholeNumber('Bandwidth (MiB/s)', o.bandwidthMiBps, 1, 1_000_000);
    if (!bw.ok) return bw;
    argv.push('--bandwidth', String(bw.value));
  }
  if (o.migrationAddress !== undefined) {
    const addr = checkDestination(o.migrationAddress);
    if (!addr.ok) return addr;
    argv.push('--migrateuri', `tcp://${addr.value.includes(':') ? `[${addr.value}]` : addr.value}`);
  }
  argv.push('--domain', o.domain, '--desturi', uri.value);
  return ok(command(`migrate ${o.domain} to ${o.destinationHost}`, argv, parseMigrateOutput, o.timeoutMs ?? 600_000));
}
