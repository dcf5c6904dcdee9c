/**
 * One SSH connection of the pool: its lifecycle (connect on demand, through its jump host if it has one; exponential,
 * capped, jittered backoff after a failure or a drop, a request that cannot wait that long failing at once with the
 * last error) and how many channels it carries. A target's connections and their channel slots: peer.ts; the map of
 * targets: pool.ts; the handshake: dial.ts.
 */
import type { Duplex } from 'node:stream';
import type ssh2 from 'ssh2';
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import { sleep, waitFor, type Clock, type Until } from './deadline';
import { targetKey, type SshTarget } from './errors';
import { forwardThrough, previousHop, viaJump } from './jump';
import type { SshLogger } from './logger';

type Ssh2Client = InstanceType<typeof ssh2.Client>;

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  /** Spreads retries of many hosts apart; default: a random delay between 50% and 100% of the nominal one. */
  readonly jitter: (delayMs: number) => number;
}

export interface ConnectionStatus {
  readonly state: 'idle' | 'connecting' | 'ready' | 'closed';
  readonly channelsInUse: number;
  readonly queued: number;
  /** Connections to the target that are up (more than one once its channels ran out on the first). */
  readonly connections: number;
  readonly consecutiveFailures: number;
  readonly lastError: FerryError | undefined;
}

/** A jump host as the targets behind it hold it: counted, and a live link to forward through. */
export interface JumpHost {
  /** Connections (connecting or up) that go through this host. */
  dependents: number;
  /** Callers use the host themselves, not only as a jump host: the last target behind it leaving keeps it. */
  readonly direct: boolean;
  /** A live link to the host, connecting if needed. */
  ensureUp(until: Until): Promise<Result<Link, FerryError>>;
}

/** What a connection needs from its pool. */
export interface ConnectionHost {
  readonly clock: Clock;
  readonly logger: SshLogger;
  readonly backoff: BackoffOptions;
  /** How long a target waits for its jump host's connection, and then for the forwarded channel. */
  readonly jumpTimeoutMs: number;
  /** One connection attempt (dial.ts), through `through` when the target is behind a jump host. */
  connectOnce(target: SshTarget, onClosed: (link: Link, reason: FerryError | undefined) => void, onClient?: (client: Ssh2Client) => void, through?: Duplex): Promise<Result<Link, FerryError>>;
  /** The connections to a jump host (shared with callers who use that host directly). */
  jumpConnection(target: SshTarget): JumpHost;
  /** Closes a jump host's connections when no target goes through it any more. */
  retire(j: JumpHost): Promise<void>;
}

export function backoffDelay(failures: number, o: BackoffOptions): number {
  if (failures <= 0) return 0;
  const nominal = Math.min(o.maxMs, o.initialMs * o.factor ** (failures - 1));
  return Math.max(0, Math.min(o.maxMs, o.jitter(nominal)));
}

export function expired(reason: 'timeout' | 'cancelled', target: SshTarget, phase: string, cause?: FerryError): FerryError {
  const detail = cause ? `previous failure: ${cause.code}: ${cause.message}` : undefined;
  return reason === 'timeout'
    ? ferryError('command.timeout', `The command on ${targetKey(target)} ran out of time while ${phase}.`, detail)
    : ferryError('command.cancelled', `The command on ${targetKey(target)} was cancelled while ${phase}.`, detail);
}

/** A live ssh2 client and what became of it. */
export interface Link {
  readonly client: Ssh2Client;
  closed: boolean;
  reason: FerryError | undefined;
}

export class Connection {
  state: ConnectionStatus['state'] = 'idle';
  link: Link | undefined;
  connecting: Promise<Result<Link, FerryError>> | undefined;
  failures = 0;
  nextAttemptAt = 0;
  readyAt = 0;
  lastError: FerryError | undefined;
  /** Channels open (or being opened) on it; counted by its peer (peer.ts). */
  inUse = 0;
  /** When its last channel closed (or it came up), for closing an extra connection nobody uses. */
  idleSince = 0;
  /** The client of an attempt still in its handshake (dispose destroys it rather than wait for readyTimeout). */
  handshaking: Ssh2Client | undefined;
  /** The jump host this one holds a reference on while it connects or is up, and the link it went through. */
  private via: { readonly conn: JumpHost; link: Link | undefined } | undefined;

  constructor(
    readonly target: SshTarget,
    readonly pool: ConnectionHost,
    /** Told when the connection drops (its peer moves its requests elsewhere). */
    private readonly onDropped: (c: Connection) => void = () => undefined,
  ) {}

  isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Connected, the link alive. */
  isUp(): boolean {
    return this.link !== undefined && !this.link.closed;
  }

  /** A ready client, connecting (or waiting out the backoff) if needed. */
  async ensureReady(until: Until): Promise<Result<Link, FerryError>> {
    const clock = this.pool.clock;
    for (;;) {
      if (this.state === 'closed') return err(ferryError('ssh.disconnected', `The SSH pool is closed; ${targetKey(this.target)} is no longer served.`));
      if (this.link && !this.link.closed) return ok(this.link);
      if (!this.connecting) {
        const wait = this.nextAttemptAt - clock.now();
        if (wait > 0) {
          if (clock.now() + wait > until.deadline && this.lastError) return err(this.lastError);
          const slept = await sleep(clock, wait, until);
          if (!slept.ok) return err(expired(slept.reason, this.target, 'waiting to reconnect', this.lastError));
          continue;
        }
        this.connecting = this.connect().finally(() => {
          this.connecting = undefined;
        });
      }
      const connecting = this.connecting;
      const r = await waitFor<Result<Link, FerryError>>(clock, until, (done) => {
        void connecting.then(done);
      });
      if (!r.ok) return err(expired(r.reason, this.target, 'connecting', this.lastError));
      return r.value;
    }
  }

  private async connect(): Promise<Result<Link, FerryError>> {
    const { pool, target } = this;
    const clock = pool.clock;
    const started = clock.now();
    this.state = 'connecting';
    const sock = await this.throughJump();
    const r = !sock.ok
      ? sock
      : await pool.connectOnce(
          target,
          (link, e) => this.onClosed(link, e),
          (client) => {
            this.handshaking = client;
          },
          sock.value,
        );
    this.handshaking = undefined;
    // A forwarded channel the handshake never took over (no credentials...) is closed here.
    if (!r.ok && sock.ok) sock.value?.destroy();
    if (!r.ok || this.isClosed()) this.releaseJump();
    if (this.isClosed()) {
      if (r.ok) r.value.client.end();
      return err(ferryError('ssh.disconnected', `The SSH pool is closed; ${targetKey(target)} is no longer served.`));
    }
    if (r.ok) {
      this.state = 'ready';
      this.link = r.value;
      this.readyAt = clock.now();
      this.lastError = undefined;
      pool.logger.debug('ssh.ready', { target: targetKey(target), ms: Math.round(clock.now() - started) });
    } else {
      this.state = 'idle';
      this.failures++;
      this.lastError = r.error;
      this.nextAttemptAt = clock.now() + backoffDelay(this.failures, pool.backoff);
      pool.logger.warn('ssh.connect-failed', { target: targetKey(target), code: r.error.code, failures: this.failures });
    }
    return r;
  }

  /**
   * For a target behind a jump host: a forwarded channel to it through the previous hop's connection (made or
   * reused), holding a reference on that connection until this one fails or closes. Undefined for a direct target.
   */
  private async throughJump(): Promise<Result<Duplex | undefined, FerryError>> {
    const hop = previousHop(this.target);
    if (!hop) return ok(undefined);
    this.releaseJump();
    const pool = this.pool;
    const conn = pool.jumpConnection(hop);
    conn.dependents++;
    const via: { readonly conn: JumpHost; link: Link | undefined } = { conn, link: undefined };
    this.via = via;
    // The hop's own handshake, then the channel: each within one connection budget.
    const ready = await conn.ensureUp({ deadline: pool.clock.now() + pool.jumpTimeoutMs });
    if (!ready.ok) return err(viaJump(hop, ready.error));
    via.link = ready.value;
    return forwardThrough(ready.value.client, hop, this.target, pool.clock, { deadline: pool.clock.now() + pool.jumpTimeoutMs });
  }

  /** Drops the reference on the jump host connection; the last one closes it unless callers use it directly. */
  private releaseJump(): void {
    const via = this.via;
    this.via = undefined;
    if (!via) return;
    via.conn.dependents--;
    if (via.conn.dependents <= 0 && !via.conn.direct) void this.pool.retire(via.conn);
  }

  private onClosed(link: Link, reason: FerryError | undefined): void {
    link.closed = true;
    // A jump host that went away takes this connection with it: say which one.
    const hopGone = this.via?.link?.closed === true ? this.via.link.reason : undefined;
    const hop = previousHop(this.target);
    link.reason =
      reason ?? (hopGone && hop ? viaJump(hop, hopGone) : undefined) ?? ferryError('ssh.disconnected', `The connection to ${targetKey(this.target)} closed.`);
    if (this.link !== link) return;
    this.link = undefined;
    this.releaseJump();
    if (this.state === 'closed') return;
    this.state = 'idle';
    const clock = this.pool.clock;
    // A connection that stayed up longer than the longest backoff starts the count afresh.
    if (clock.now() - this.readyAt > this.pool.backoff.maxMs) this.failures = 0;
    this.failures++;
    this.lastError = link.reason;
    this.nextAttemptAt = clock.now() + backoffDelay(this.failures, this.pool.backoff);
    this.pool.logger.warn('ssh.dropped', { target: targetKey(this.target), code: link.reason.code, failures: this.failures });
    this.onDropped(this);
  }

  close(): Promise<void> {
    this.state = 'closed';
    this.handshaking?.destroy();
    this.releaseJump();
    const link = this.link;
    this.link = undefined;
    if (!link || link.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        link.client.destroy();
        resolve();
      }, 1000);
      link.client.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      link.client.end();
    });
  }
}

