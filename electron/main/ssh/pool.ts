/**
 * One SSH connection per user@host:port, shared by every caller; channels multiplexed on it.
 *
 * - Channel cap: OpenSSH's sshd allows MaxSessions (default 10) open sessions per connection and answers the next
 *   one with "Channel open failure"; ssh2 does not queue. The pool hands out at most `maxChannelsPerConnection`
 *   (default 10) channels and queues the rest FIFO; a slot is freed when the server confirms the channel closed.
 *   If the server still refuses (a lower MaxSessions, or sessions lingering after a cancelled command), the request
 *   waits for the next release, or retries with a short backoff, until its own deadline.
 * - Socket: `net.connect({ noDelay: true })` passed as ssh2's `sock`, `setNoDelay(true)` again on connect. Without
 *   it every exec pays ~40 ms of Nagle.
 * - Host keys: `hostVerifier` is always set; it checks the injected known_hosts store on every key exchange.
 *   unknown -> `ssh.host-key-unknown` (key type, SHA256 fingerprint, key: `trustHostKey` appends it),
 *   changed -> `ssh.host-key-changed` (both fingerprints, never accepted), revoked -> `ssh.host-key-revoked`,
 *   vouched for only by a @cert-authority line -> `ssh.host-certificate-unsupported` (nothing to trust).
 *   Host key algorithms the file already knows for the host are negotiated first, as OpenSSH does.
 * - Reconnect: connections are made on demand. After a failed attempt or a drop the next attempt waits an
 *   exponential, capped, jittered delay; a request that cannot wait that long (its deadline is sooner) gets the
 *   last error at once, so an unreachable host fails fast instead of hanging every caller.
 * - Secrets: the private key and passphrase go to ssh2 and nowhere else; error details pass through `redact`.
 * - Jump hosts (a target's `jump` chain, see jump.ts): each hop is a connection of this pool, shared by every target
 *   behind it and counted by them; one no target goes through any more is closed, unless callers use it directly.
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { ClientChannel, ConnectConfig, ServerHostKeyAlgorithm } from 'ssh2';
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import { sleep, systemClock, waitFor, type Clock, type Until } from './deadline';
import { isHostKeyError, mapSshError, redact, targetKey, targetPort, type SshTarget } from './errors';
import { execCommand, sendSignal, type CommandOutput, type ExecOptions, type RemoteCommand } from './exec';
import { checkPresentedKey, loadKnownHosts } from './host-key-check';
import { forwardThrough, previousHop, viaJump } from './jump';
import { checkKnownHostsEntry, fingerprintSha256, knownKeyTypes, type KnownHostsFile, type KnownHostsStore } from './known-hosts';

const { Client } = ssh2;
type Ssh2Client = InstanceType<typeof Client>;

export type SshAuth =
  | { readonly kind: 'key'; readonly privateKey: string | Buffer; readonly passphrase?: string }
  | { readonly kind: 'agent'; readonly socketPath: string };

export interface SshLogger {
  debug(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: SshLogger = { debug: () => undefined, warn: () => undefined };

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  /** Spreads retries of many hosts apart; default: a random delay between 50% and 100% of the nominal one. */
  readonly jitter: (delayMs: number) => number;
}

export interface SshPoolOptions {
  readonly knownHosts: KnownHostsStore;
  /** Credentials for a target; called on each connection attempt, so a key can be rotated without a restart. */
  readonly auth: (target: SshTarget) => SshAuth | Promise<SshAuth>;
  /** OpenSSH's MaxSessions default. */
  readonly maxChannelsPerConnection?: number;
  /** TCP connect + SSH handshake + authentication. */
  readonly readyTimeoutMs?: number;
  readonly keepaliveIntervalMs?: number;
  readonly keepaliveCountMax?: number;
  readonly backoff?: Partial<BackoffOptions>;
  readonly connectSocket?: (host: string, port: number) => Duplex;
  readonly clock?: Clock;
  readonly logger?: SshLogger;
}

export interface ConnectionStatus {
  readonly state: 'idle' | 'connecting' | 'ready' | 'closed';
  readonly channelsInUse: number;
  readonly queued: number;
  readonly consecutiveFailures: number;
  readonly lastError: FerryError | undefined;
}

/** An open exec channel and a way to ask whether its connection died under it. */
export interface ExecChannel {
  readonly stream: ClientChannel;
  /**
   * The exit status, recorded from the instant the channel opened: ssh2 emits 'exit' as a plain event, often in
   * the same TCP read as the open confirmation, before a listener attached a microtask later would exist.
   */
  exit(): { readonly code: number | null; readonly signal: string | null } | undefined;
  /** The reason the connection carrying this channel broke, or undefined while it is up. */
  lost(): FerryError | undefined;
}

/** What exec and the sessions need from a pool; also the seam for tests. */
export interface ChannelOpener {
  readonly clock: Clock;
  openExecChannel(target: SshTarget, commandLine: string, until: Until): Promise<Result<ExecChannel, FerryError>>;
}

const ALL_HOST_KEY_ALGOS: readonly ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/** ssh2's host key algorithm list with the types already known for this host first (OpenSSH does the same). */
export function orderHostKeyAlgorithms(knownTypes: readonly string[]): ServerHostKeyAlgorithm[] | undefined {
  const first: ServerHostKeyAlgorithm[] = [];
  for (const t of knownTypes) {
    const algos: readonly ServerHostKeyAlgorithm[] =
      t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : ALL_HOST_KEY_ALGOS.filter((a) => a === t);
    for (const a of algos) if (!first.includes(a)) first.push(a);
  }
  if (first.length === 0) return undefined;
  return [...first, ...ALL_HOST_KEY_ALGOS.filter((a) => !first.includes(a))];
}

export function backoffDelay(failures: number, o: BackoffOptions): number {
  if (failures <= 0) return 0;
  const nominal = Math.min(o.maxMs, o.initialMs * o.factor ** (failures - 1));
  return Math.max(0, Math.min(o.maxMs, o.jitter(nominal)));
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function expired(reason: 'timeout' | 'cancelled', target: SshTarget, phase: string, cause?: FerryError): FerryError {
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

interface SlotWaiter {
  grant: (() => void) | undefined;
}

class Connection {
  state: ConnectionStatus['state'] = 'idle';
  link: Link | undefined;
  connecting: Promise<Result<Link, FerryError>> | undefined;
  failures = 0;
  nextAttemptAt = 0;
  readyAt = 0;
  lastError: FerryError | undefined;
  inUse = 0;
  /** The client of an attempt still in its handshake (dispose destroys it rather than wait for readyTimeout). */
  handshaking: Ssh2Client | undefined;
  readonly waiters: SlotWaiter[] = [];
  readonly releaseListeners = new Set<() => void>();
  /** Callers use this connection themselves, not only as a jump host: the last target behind it leaving keeps it. */
  direct = false;
  /** Connections (connecting or up) that go through this one as their jump host. */
  dependents = 0;
  /** The jump host connection this one holds a reference on while it connects or is up, and the link it went through. */
  private via: { readonly conn: Connection; link: Link | undefined } | undefined;

  constructor(
    readonly target: SshTarget,
    readonly pool: SshPool,
  ) {}

  isClosed(): boolean {
    return this.state === 'closed';
  }

  get queued(): number {
    return this.waiters.filter((w) => w.grant !== undefined).length;
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
    const via: { readonly conn: Connection; link: Link | undefined } = { conn, link: undefined };
    this.via = via;
    // The hop's own handshake, then the channel: each within one connection budget.
    const ready = await conn.ensureReady({ deadline: pool.clock.now() + pool.jumpTimeoutMs });
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
  }

  /** Takes a channel slot, waiting in FIFO order; `front` puts a retrying request ahead of new ones. */
  acquire(until: Until, front: boolean): Promise<Result<() => void, FerryError>> {
    const release = this.makeRelease();
    if (this.state === 'closed') return Promise.resolve(err(ferryError('ssh.disconnected', 'The SSH pool is closed.')));
    if (this.inUse < this.pool.maxChannels && this.queued === 0) {
      this.inUse++;
      return Promise.resolve(ok(release));
    }
    const w: SlotWaiter = { grant: undefined };
    return waitFor<void>(this.pool.clock, until, (done) => {
      w.grant = () => done(undefined);
      if (front) this.waiters.unshift(w);
      else this.waiters.push(w);
      return () => {
        w.grant = undefined;
      };
    }).then((r) => {
      if (!r.ok) return err(expired(r.reason, this.target, 'waiting for a free channel'));
      if (this.state === 'closed') {
        release();
        return err(ferryError('ssh.disconnected', 'The SSH pool is closed.'));
      }
      return ok(release);
    });
  }

  private makeRelease(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUse--;
      this.pump();
      for (const l of [...this.releaseListeners]) l();
    };
  }

  private pump(): void {
    while (this.inUse < this.pool.maxChannels && this.waiters.length > 0) {
      const w = this.waiters.shift();
      if (!w?.grant) continue;
      const grant = w.grant;
      w.grant = undefined;
      this.inUse++;
      grant();
    }
  }

  /** Resolves at the next slot release (used after the server refused a channel). */
  nextRelease(until: Until): Promise<boolean> {
    return waitFor<void>(this.pool.clock, until, (done) => {
      const l = (): void => done(undefined);
      this.releaseListeners.add(l);
      return () => this.releaseListeners.delete(l);
    }).then((r) => {
      return r.ok;
    });
  }

  close(): Promise<void> {
    this.state = 'closed';
    for (const w of this.waiters.splice(0)) w.grant?.();
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

export class SshPool implements ChannelOpener {
  readonly clock: Clock;
  readonly logger: SshLogger;
  readonly maxChannels: number;
  readonly backoff: BackoffOptions;
  private readonly connections = new Map<string, Connection>();
  private readonly readyTimeoutMs: number;
  private readonly keepaliveIntervalMs: number;
  private readonly keepaliveCountMax: number;
  private readonly connectSocket: (host: string, port: number) => Duplex;
  private disposed = false;
  /** @internal How long a target waits for its jump host's connection, and then for the forwarded channel. */
  readonly jumpTimeoutMs: number;

  constructor(private readonly opts: SshPoolOptions) {
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? silentLogger;
    this.maxChannels = Math.max(1, opts.maxChannelsPerConnection ?? 10);
    this.readyTimeoutMs = opts.readyTimeoutMs ?? 10_000;
    this.keepaliveIntervalMs = opts.keepaliveIntervalMs ?? 5_000;
    this.keepaliveCountMax = opts.keepaliveCountMax ?? 3;
    this.jumpTimeoutMs = this.readyTimeoutMs + 1000;
    this.backoff = {
      initialMs: 500,
      maxMs: 30_000,
      factor: 2,
      jitter: (ms) => ms * (0.5 + Math.random() / 2),
      ...opts.backoff,
    };
    this.connectSocket =
      opts.connectSocket ??
      ((host, port) => {
        const s = net.connect({ host, port, noDelay: true });
        s.setNoDelay(true);
        return s;
      });
  }

  /** Runs one command on its own channel. See exec.ts for the contract. */
  exec(target: SshTarget, command: RemoteCommand, opts: ExecOptions): Promise<Result<CommandOutput, FerryError>> {
    return execCommand(this, target, command, opts);
  }

  /** Opens (or reuses) the connection without running anything: "test connection", or surfacing a host key prompt. */
  async connect(target: SshTarget, opts: { readonly timeoutMs?: number; readonly signal?: AbortSignal } = {}): Promise<Result<void, FerryError>> {
    const until: Until = { deadline: this.clock.now() + (opts.timeoutMs ?? this.readyTimeoutMs + 1000), signal: opts.signal };
    const r = await this.conn(target).ensureReady(until);
    return r.ok ? ok(undefined) : r;
  }

  async openExecChannel(target: SshTarget, commandLine: string, until: Until): Promise<Result<ExecChannel, FerryError>> {
    const conn = this.conn(target);
    let front = false;
    let busyDelay = 50;
    for (;;) {
      const ready = await conn.ensureReady(until);
      if (!ready.ok) return ready;
      const link = ready.value;
      const slot = await conn.acquire(until, front);
      if (!slot.ok) return slot;
      const release = slot.value;
      if (link.closed) {
        release();
        front = true;
        continue;
      }
      type Opened = { stream: ClientChannel; exit: ExecChannel['exit'] } | { error: Error };
      // A server slow to open the channel must not hold the caller past its deadline or its cancel. ssh2 cannot
      // withdraw the request: an answer that comes after the caller left frees the slot (a refusal) or, for a
      // channel, is closed at once (best effort: the command may already have started on the host).
      const opened = await waitFor<Opened>(this.clock, until, (done) => {
        let waiting = true;
        try {
          link.client.exec(commandLine, (e, stream) => {
            if (e) {
              if (waiting) done({ error: e });
              else release();
              return;
            }
            // Synchronously, before any other packet of the same read is parsed.
            let status: { code: number | null; signal: string | null } | undefined;
            stream.once('exit', (code: number | null, signalName?: string) => {
              status = { code: typeof code === 'number' ? code : null, signal: typeof signalName === 'string' ? signalName : null };
            });
            stream.once('close', release);
            if (waiting) {
              done({ stream, exit: () => status });
              return;
            }
            // Drained, or 'close' (which frees the slot) never comes.
            stream.resume();
            stream.stderr.resume();
            sendSignal(stream, 'TERM');
            stream.close();
          });
        } catch (e) {
          done({ error: e instanceof Error ? e : new Error(String(e)) });
        }
        return () => {
          waiting = false;
        };
      });
      if (!opened.ok) return err(expired(opened.reason, target, 'waiting for the host to open a channel'));
      if ('stream' in opened.value) {
        return ok({ ...opened.value, lost: () => (link.closed ? link.reason : undefined) });
      }
      const refused = opened.value;
      release();
      if (link.closed) {
        front = true;
        continue;
      }
      if (/Channel open failure/i.test(refused.error.message)) {
        // The server has no room for another session although we are under our cap.
        this.logger.debug('ssh.channel-refused', { target: targetKey(target), inUse: conn.inUse });
        const waited = conn.inUse > 0 ? await conn.nextRelease(until) : (await sleep(this.clock, busyDelay, until)).ok;
        busyDelay = Math.min(busyDelay * 2, 1000);
        if (!waited) {
          return err(
            ferryError(
              until.signal?.aborted ? 'command.cancelled' : 'command.timeout',
              `${targetKey(target)} refused to open another channel until the command's time ran out (its MaxSessions limit is reached).`,
              refused.error.message,
            ),
          );
        }
        front = true;
        continue;
      }
      return err(ferryError('ssh.channel-failed', `${targetKey(target)} refused to run the command.`, refused.error.message));
    }
  }

  /**
   * Records a host key the user has accepted (normally the one an `ssh.host-key-unknown` error carried). Refuses if
   * the store already holds a different key of that type for the host, or marks it revoked: a changed key is resolved
   * by removing the old entry by hand, never from here.
   */
  async trustHostKey(target: SshTarget, key: { readonly keyType: string; readonly keyBase64: string }): Promise<Result<void, FerryError>> {
    const blob = Buffer.from(key.keyBase64, 'base64');
    // Checked here as well as in the stores: an injected store may write whatever it is given.
    const valid = checkKnownHostsEntry(target.host, key.keyType, blob);
    if (!valid.ok) return valid;
    const verdict = await this.checkKey(target, blob);
    if (!verdict.ok && verdict.error.code !== 'ssh.host-key-unknown') return verdict;
    if (!verdict.ok) {
      const appended = await this.opts.knownHosts.append(target.host, targetPort(target), key.keyType, blob);
      if (!appended.ok) return appended;
      this.logger.debug('ssh.host-key-trusted', { target: targetKey(target), keyType: key.keyType, fingerprint: fingerprintSha256(blob) });
    }
    // The host itself and every target reached through it may try again at once.
    const hp = `${target.host.toLowerCase()}:${targetPort(target)}`;
    for (const conn of this.connections.values()) {
      const chain = [conn.target, ...(conn.target.jump ?? [])];
      if (!chain.some((h) => `${h.host.toLowerCase()}:${targetPort(h)}` === hp)) continue;
      conn.failures = 0;
      conn.nextAttemptAt = 0;
    }
    return ok(undefined);
  }

  status(target: SshTarget): ConnectionStatus {
    const c = this.connections.get(targetKey(target));
    if (!c) return { state: 'idle', channelsInUse: 0, queued: 0, consecutiveFailures: 0, lastError: undefined };
    return { state: c.state, channelsInUse: c.inUse, queued: c.queued, consecutiveFailures: c.failures, lastError: c.lastError };
  }

  /**
   * Closes one target's connection; open channels end, queued requests fail with ssh.disconnected. A connection
   * that is still the jump host of other targets stays up for them (and closes with the last of them).
   */
  async closeConnection(target: SshTarget): Promise<void> {
    const key = targetKey(target);
    const c = this.connections.get(key);
    if (!c) return;
    c.direct = false;
    if (c.dependents > 0) return;
    this.connections.delete(key);
    await c.close();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(all.map((c) => c.close()));
  }

  /** The connection callers use for `target`. */
  private conn(target: SshTarget): Connection {
    const c = this.jumpConnection(target);
    c.direct = true;
    return c;
  }

  /** @internal The connection to a jump host (shared with callers who use that host directly). */
  jumpConnection(target: SshTarget): Connection {
    const key = targetKey(target);
    let c = this.connections.get(key);
    if (!c) {
      c = new Connection(target, this);
      if (this.disposed) c.state = 'closed';
      else this.connections.set(key, c);
    }
    return c;
  }

  /** @internal Closes a jump host connection no target goes through any more. */
  async retire(c: Connection): Promise<void> {
    const key = targetKey(c.target);
    if (this.connections.get(key) === c) this.connections.delete(key);
    this.logger.debug('ssh.jump-closed', { target: key });
    await c.close();
  }

  private loadKnownHosts(): Promise<Result<KnownHostsFile, FerryError>> {
    return loadKnownHosts(this.opts.knownHosts);
  }

  private checkKey(target: SshTarget, blob: Buffer): Promise<Result<void, FerryError>> {
    return checkPresentedKey(this.opts.knownHosts, target, blob);
  }

  /** @internal One connection attempt; used by the pool's per-target connection. */
  async connectOnce(
    target: SshTarget,
    onClosed: (link: Link, reason: FerryError | undefined) => void,
    onClient: (client: Ssh2Client) => void = () => undefined,
    /** A forwarded channel through a jump host, instead of a TCP connection of our own. */
    through?: Duplex,
  ): Promise<Result<Link, FerryError>> {
    const host = target.host;
    const port = targetPort(target);
    let auth: SshAuth;
    try {
      auth = await this.opts.auth(target);
    } catch (e) {
      return err(ferryError('ssh.auth-failed', `No credentials are available for ${targetKey(target)}.`, errorText(e)));
    }
    const secrets: string[] = [];
    if (auth.kind === 'key') {
      secrets.push(typeof auth.privateKey === 'string' ? auth.privateKey : auth.privateKey.toString('utf8'));
      if (auth.passphrase !== undefined) secrets.push(auth.passphrase);
    }
    const known = await this.loadKnownHosts();
    if (!known.ok) return known;
    const serverHostKey = orderHostKeyAlgorithms(knownKeyTypes(known.value.entries, host, port));

    return new Promise((resolve) => {
      let settled = false;
      let socketConnected = false;
      let hostKeyError: FerryError | undefined;
      let dropReason: FerryError | undefined;
      const client = new Client();
      onClient(client);
      const link: Link = { client, closed: false, reason: undefined };
      const ctx = () => ({
        target,
        socketConnected,
        wasReady: settled,
        readyTimeoutMs: this.readyTimeoutMs,
        keepaliveMs: this.keepaliveIntervalMs * (this.keepaliveCountMax + 1),
        secrets,
      });
      const finish = (r: Result<Link, FerryError>): void => {
        if (settled) return;
        settled = true;
        resolve(r);
      };
      let sock: Duplex;
      try {
        sock = through ?? this.connectSocket(host, port);
      } catch (e) {
        finish(err(mapSshError(e, ctx())));
        return;
      }
      if (sock instanceof net.Socket) {
        if (!sock.connecting) socketConnected = true;
        sock.once('connect', () => {
          socketConnected = true;
          sock.setNoDelay(true);
        });
      } else {
        socketConnected = true;
      }
      client.on('ready', () => finish(ok(link)));
      client.on('error', (e: Error) => {
        const mapped = hostKeyError ?? mapSshError(e, ctx());
        if (!settled) finish(err(mapped));
        else dropReason ??= mapped;
        this.logger.debug('ssh.error', { target: targetKey(target), code: mapped.code, detail: mapped.detail });
      });
      client.on('close', () => {
        sock.destroy();
        if (!settled) {
          finish(err(hostKeyError ?? ferryError('ssh.disconnected', `${host}:${port} closed the connection during the SSH handshake.`)));
          link.closed = true;
          return;
        }
        onClosed(link, dropReason);
      });
      const config: ConnectConfig = {
        sock: sock as ConnectConfig['sock'] & Duplex,
        host,
        port,
        username: target.user,
        readyTimeout: this.readyTimeoutMs,
        keepaliveInterval: this.keepaliveIntervalMs,
        keepaliveCountMax: this.keepaliveCountMax,
        tryKeyboard: false,
        hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
          this.checkKey(target, key).then(
            (v) => {
              if (!v.ok) {
                hostKeyError = v.error;
                this.logger.warn('ssh.host-key-refused', {
                  target: targetKey(target),
                  code: v.error.code,
                  fingerprint: isHostKeyError(v.error) ? v.error.hostKey.fingerprint : undefined,
                });
              }
              verify(v.ok);
            },
            (e: unknown) => {
              // A bug, not a verdict: refuse the key, and say why rather than blame the handshake.
              hostKeyError = ferryError('ssh.handshake-failed', `Ferry could not check the host key of ${host}:${port}.`, errorText(e));
              verify(false);
            },
          );
        },
        ...(serverHostKey ? { algorithms: { serverHostKey } } : {}),
        ...(auth.kind === 'key'
          ? { privateKey: auth.privateKey, ...(auth.passphrase !== undefined ? { passphrase: auth.passphrase } : {}) }
          : { agent: auth.socketPath }),
      };
      try {
        client.connect(config);
      } catch (e) {
        // ssh2 throws synchronously for an unreadable key or a wrong passphrase.
        sock.destroy();
        const mapped = mapSshError(e, ctx());
        finish(err({ ...mapped, ...(mapped.detail !== undefined ? { detail: redact(mapped.detail, secrets) } : {}) }));
      }
    });
  }
}
