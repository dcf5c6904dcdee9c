/**
 * One target's connections in the pool and their channel slots.
 *
 * - Slots: a connection carries at most the pool's `maxChannels` (OpenSSH's MaxSessions); requests take the first
 *   live connection with room, so the first fills before the others and the extra ones drain when work drops.
 * - More connections: when every channel of the live ones is taken, the peer opens another connection to the same
 *   target (at most `maxConnections`) instead of queueing behind long commands, such as a `virsh migrate` that holds
 *   its channel for the whole migration. One is dialled at a time: sshd's MaxStartups (10:30:100 by default) drops
 *   connections beyond a few unauthenticated ones at once. An extra connection that fails (MaxStartups, a lower
 *   MaxSessions would not) is forgotten and the next attempt waits the pool's backoff; meanwhile requests wait for a
 *   free channel, FIFO, a refused channel retried ahead of new requests.
 * - Idle: an extra connection without a channel for `idleMs` is closed; the first one stays (as with one connection).
 * - Jump hosts: targets behind this one forward through its first connection (a `direct-tcpip` channel takes no
 *   slot), which idle closing never touches; `dependents` counts them, `direct` says callers use it themselves.
 * - A dropped connection: its channels fail (exec.ts) and it is forgotten while another one is left; the last one
 *   keeps its backoff, and requests waiting for a slot go back to connecting through it.
 */
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import { waitFor, type Until } from './deadline';
import { targetKey, type SshTarget } from './errors';
import { backoffDelay, Connection, expired, type ConnectionHost, type ConnectionStatus, type JumpHost, type Link } from './connection';

/** What a peer needs from its pool. */
export interface PeerHost extends ConnectionHost {
  readonly maxChannels: number;
  readonly maxConnections: number;
  readonly idleMs: number;
}

/** A channel slot on one live connection; `release` once the server confirmed the channel closed. */
export interface Slot {
  readonly link: Link;
  readonly release: () => void;
}

interface Waiter {
  /** A slot, or undefined: no connection is up any more, try again (connect). */
  grant: ((slot: Slot | undefined) => void) | undefined;
}

const poolClosed = (): FerryError => ferryError('ssh.disconnected', 'The SSH pool is closed.');

export class Peer implements JumpHost {
  /** The first is the one that stays; the others were opened when its channels ran out. */
  readonly conns: Connection[] = [];
  direct = false;
  dependents = 0;
  private closed = false;
  private readonly waiters: Waiter[] = [];
  private readonly releaseListeners = new Set<() => void>();
  private growFailures = 0;
  private growNotBefore = 0;
  private idleTimer: unknown;
  /** Tries growing again once the backoff after a failed extra connection has passed, if requests still wait. */
  private growTimer: unknown;

  constructor(
    readonly target: SshTarget,
    private readonly pool: PeerHost,
  ) {}

  get inUse(): number {
    return this.conns.reduce((n, c) => n + c.inUse, 0);
  }

  get queued(): number {
    return this.waiters.filter((w) => w.grant !== undefined).length;
  }

  status(): ConnectionStatus {
    const first = this.conns[0];
    const up = this.conns.filter((c) => c.isUp()).length;
    const state = this.closed ? 'closed' : up > 0 ? 'ready' : this.conns.some((c) => c.state === 'connecting') ? 'connecting' : 'idle';
    return { state, channelsInUse: this.inUse, queued: this.queued, connections: up, consecutiveFailures: first?.failures ?? 0, lastError: first?.lastError };
  }

  /** After a host key was trusted: the next attempt may go at once. */
  resetBackoff(): void {
    for (const c of this.conns) {
      c.failures = 0;
      c.nextAttemptAt = 0;
    }
    this.growFailures = 0;
    this.growNotBefore = 0;
  }

  /** A live link on the first connection (connecting, or waiting out its backoff, if needed). */
  ensureUp(until: Until): Promise<Result<Link, FerryError>> {
    if (this.closed) return Promise.resolve(err(ferryError('ssh.disconnected', `The SSH pool is closed; ${targetKey(this.target)} is no longer served.`)));
    return this.first().ensureReady(until);
  }

  /** A channel slot on a live connection, in FIFO order; `front` puts a retrying request ahead of new ones. */
  async take(until: Until, front: boolean): Promise<Result<Slot, FerryError>> {
    for (;;) {
      if (this.closed) return err(poolClosed());
      if (front || this.queued === 0) {
        const c = this.roomy();
        if (c) return ok(this.slotOn(c));
        if (!this.conns.some((x) => x.isUp())) {
          // Those who waited for the connection go on in the order they came (no `front`).
          const ready = await this.ensureUp(until);
          if (!ready.ok) return ready;
          continue;
        }
        this.grow();
      }
      const w: Waiter = { grant: undefined };
      const granted = await waitFor<Slot | undefined>(this.pool.clock, until, (done) => {
        w.grant = done;
        if (front) this.waiters.unshift(w);
        else this.waiters.push(w);
        return () => {
          w.grant = undefined;
        };
      });
      if (!granted.ok) return err(expired(granted.reason, this.target, 'waiting for a free channel'));
      if (granted.value) return ok(granted.value);
      front = true;
    }
  }

  /** Resolves at the next slot release (used after the server refused a channel). */
  async nextRelease(until: Until): Promise<boolean> {
    const r = await waitFor<void>(this.pool.clock, until, (done) => {
      const l = (): void => done(undefined);
      this.releaseListeners.add(l);
      return () => this.releaseListeners.delete(l);
    });
    return r.ok;
  }

  /** Closes every connection; open channels end, waiting requests fail with ssh.disconnected. */
  async close(): Promise<void> {
    this.closed = true;
    this.pool.clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.pool.clock.clearTimeout(this.growTimer);
    this.growTimer = undefined;
    for (const w of this.waiters.splice(0)) w.grant?.(undefined);
    await Promise.all(this.conns.splice(0).map((c) => c.close()));
  }

  private first(): Connection {
    const c = this.conns[0];
    if (c) return c;
    const made = this.connection();
    if (this.closed) made.state = 'closed';
    this.conns.push(made);
    return made;
  }

  private connection(): Connection {
    return new Connection(this.target, this.pool, (c) => this.dropped(c));
  }

  private roomy(): Connection | undefined {
    return this.conns.find((c) => c.isUp() && c.inUse < this.pool.maxChannels);
  }

  private slotOn(c: Connection): Slot {
    const link = c.link;
    if (!link) throw new Error('slotOn: the connection is not up');
    c.inUse++;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      c.inUse--;
      if (c.inUse === 0) {
        c.idleSince = this.pool.clock.now();
        this.scheduleIdle();
      }
      this.pump();
      for (const l of [...this.releaseListeners]) l();
    };
    return { link, release };
  }

  /** Hands free slots to the waiting requests in order; with no connection up, sends them back to connect. */
  private pump(): void {
    for (;;) {
      while (this.waiters.length > 0 && this.waiters[0]?.grant === undefined) this.waiters.shift();
      const w = this.waiters[0];
      if (!w?.grant) break;
      const c = this.roomy();
      if (c) {
        this.waiters.shift();
        w.grant(this.slotOn(c));
        continue;
      }
      if (!this.conns.some((x) => x.isUp())) {
        for (const each of this.waiters.splice(0)) each.grant?.(undefined);
      }
      break;
    }
    if (this.queued > 0) this.grow();
  }

  /** Opens one more connection when every channel of the live ones is taken (one dial at a time). */
  private grow(): void {
    const { pool } = this;
    const clock = pool.clock;
    if (this.closed || this.conns.length >= pool.maxConnections) return;
    const wait = this.growNotBefore - clock.now();
    if (wait > 0) {
      this.growTimer ??= clock.setTimeout(() => {
        this.growTimer = undefined;
        this.pump();
      }, wait);
      return;
    }
    if (this.conns.some((c) => c.state === 'connecting') || !this.conns.some((c) => c.isUp()) || this.roomy()) return;
    const extra = this.connection();
    this.conns.push(extra);
    pool.logger.debug('ssh.extra-connection', { target: targetKey(this.target), connections: this.conns.length });
    void extra.ensureReady({ deadline: clock.now() + pool.jumpTimeoutMs }).then((r) => {
      if (this.closed) return;
      if (r.ok) {
        this.growFailures = 0;
        extra.idleSince = clock.now();
        this.scheduleIdle();
      } else {
        this.forget(extra);
        void extra.close();
        this.growFailures++;
        this.growNotBefore = clock.now() + backoffDelay(this.growFailures, pool.backoff);
        pool.logger.warn('ssh.extra-connection-failed', { target: targetKey(this.target), code: r.error.code, connections: this.conns.length });
      }
      this.pump();
    });
  }

  private dropped(c: Connection): void {
    if (this.conns.length > 1) this.forget(c);
    this.pump();
  }

  private forget(c: Connection): void {
    const i = this.conns.indexOf(c);
    if (i >= 0) this.conns.splice(i, 1);
  }

  private scheduleIdle(): void {
    if (this.closed || this.idleTimer !== undefined) return;
    const idle = this.conns.slice(1).filter((c) => c.inUse === 0 && c.isUp());
    if (idle.length === 0) return;
    const due = Math.min(...idle.map((c) => c.idleSince)) + this.pool.idleMs;
    this.idleTimer = this.pool.clock.setTimeout(() => {
      this.idleTimer = undefined;
      this.closeIdle();
    }, Math.max(0, due - this.pool.clock.now()));
  }

  /** Closes the extra connections that carried no channel for idleMs; never the first. */
  private closeIdle(): void {
    const now = this.pool.clock.now();
    for (const c of this.conns.slice(1)) {
      if (c.inUse > 0 || !c.isUp() || now - c.idleSince < this.pool.idleMs) continue;
      this.forget(c);
      void c.close();
      this.pool.logger.debug('ssh.extra-closed', { target: targetKey(this.target), connections: this.conns.length });
    }
    this.scheduleIdle();
  }
}
