/**
 * What the network, audit and tuning handlers need from main's composition (electron/main/app.ts): the inventory's
 * hosts, a way to run commands on one of them over SSH (its own pool: a path probe or a tuning run must not queue
 * behind inventory refreshes or a migration's sampling), clocks, a logger and the data directory.
 */
import type { Result } from '../../../shared/result';
import type { FerryError } from '../../../shared/errors';
import type { HostView } from '../../../shared/inventory/types';
import type { Clock } from '../clock';
import type { SshLogger } from '../ssh/pool';
import type { CommandRunner } from '../remote/run-command';

export interface HostAccess {
  readonly host: HostView;
  /** One channel per command on the network pool's connection to this host. */
  readonly runner: CommandRunner;
}

export interface NetworkDeps {
  hosts(): readonly HostView[];
  /** The host and a runner for it, or `inventory.not-found` when it is not (or no longer) in the inventory. */
  access(hostId: string): Result<HostAccess, FerryError>;
  readonly clock: Clock;
  /** Wall-clock ms since the epoch. */
  readonly wallClock: () => number;
  readonly logger: SshLogger;
  readonly dataDir: string;
  /** Registers work for main's dispose (closing a file the handlers keep open); tests may leave it out. */
  readonly onDispose?: (fn: () => Promise<void>) => void;
}
