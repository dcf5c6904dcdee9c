/**
 * SSH connections per user@host:port, shared by every caller; channels multiplexed on them.
 *
 * - Channel cap: OpenSSH's sshd allows MaxSessions (default 10) open sessions per connection and answers the next
 *   one with "Channel open failure"; ssh2 does not queue. The pool hands out at most `maxChannelsPerConnection`
 *   (default 10) channels per connection; a slot is freed when the server confirms the channel closed. When every
 *   channel is taken it opens another connection to the same target, up to `maxConnectionsPerTarget` (default 8,
 *   so 80 channels), one dial at a time, and closes an extra one idle for `idleConnectionMs`; beyond that requests
 *   queue FIFO (peer.ts). If the server still refuses (a lower MaxSessions, or sessions lingering after a cancelled
 *   command), the request waits for the next release, or retries with a short backoff, until its own deadline.
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
 *
 * Here: the map of targets, channels, trusting a key. A target's connections and slots: peer.ts; one connection's
 * lifecycle: connection.ts; one handshake with its host key check: dial.ts.
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type ssh2 from 'ssh2';
import type { ClientChannel } from 'ssh2';
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import { sleep, systemClock, waitFor, type Clock, type Until } from './deadline';
import { targetKey, targetPort, type SshTarget } from './errors';
import { execCommand, sendSignal, type CommandOutput, type ExecOptions, type RemoteCommand } from './exec';
import { checkPresentedKey } from './host-key-check';
import { checkKnownHostsEntry, fingerprintSha256, type KnownHostsStore } from './known-hosts';
import { expired, type BackoffOptions, type ConnectionStatus, type Link } from './connection';
import { dial, type DialDeps, type SshAuth } from './dial';
import { Peer, type PeerHost } from './peer';
import { silentLogger, type SshLogger } from './logger';

export { backoffDelay, type BackoffOptions, type ConnectionStatus } from './connection';
export { orderHostKeyAlgorithms, type SshAuth } from './dial';
export { silentLogger, type SshLogger } from './logger';

type Ssh2Client = InstanceType<typeof ssh2.Client>;

export interface SshPoolOptions {
  readonly knownHosts: KnownHostsStore;
  /** Credentials for a target; called on each connection attempt, so a key can be rotated without a restart. */
  readonly auth: (target: SshTarget) => SshAuth | Promise<SshAuth>;
  /** OpenSSH's MaxSessions default. */
  readonly maxChannelsPerConnection?: number;
  /** Connections to one target at most, opened when the channels of the others are all taken. */
  readonly maxConnectionsPerTarget?: number;
  /** An extra connection to a target (not its first) carrying no channel this long is closed. */
  readonly idleConnectionMs?: number;
  /** TCP connect + SSH handshake + authentication. */
  readonly readyTimeoutMs?: number;
  readonly keepaliveIntervalMs?: number;
  readonly keepaliveCountMax?: number;
  readonly backoff?: Partial<BackoffOptions>;
  readonly connectSocket?: (host: string, port: number) => Duplex;
  readonly clock?: Clock;
  readonly logger?: SshLogger;
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


/** The pool's defaults: OpenSSH's MaxSessions, and enough connections for 80 channels to one host. */
export const DEFAULT_MAX_CHANNELS_PER_CONNECTION = 10;
export const DEFAULT_MAX_CONNECTIONS_PER_TARGET = 8;

export class SshPool implements ChannelOpener, PeerHost {
  readonly clock: Clock;
  readonly logger: SshLogger;
  readonly maxChannels: number;
  readonly maxConnections: number;
  readonly idleMs: number;
  readonly backoff: BackoffOptions;
  private readonly peers = new Map<string, Peer>();
  private readonly readyTimeoutMs: number;
  private readonly keepaliveIntervalMs: number;
  private readonly keepaliveCountMax: number;
  private readonly dialDeps: DialDeps;
  private disposed = false;
  /** @internal How long a target waits for its jump host's connection, and then for the forwarded channel. */
  readonly jumpTimeoutMs: number;

  constructor(private readonly opts: SshPoolOptions) {
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? silentLogger;
    this.maxChannels = Math.max(1, opts.maxChannelsPerConnection ?? DEFAULT_MAX_CHANNELS_PER_CONNECTION);
    this.maxConnections = Math.max(1, opts.maxConnectionsPerTarget ?? DEFAULT_MAX_CONNECTIONS_PER_TARGET);
    this.idleMs = opts.idleConnectionMs ?? 60_000;
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
    this.dialDeps = {
      auth: opts.auth,
      knownHosts: opts.knownHosts,
      readyTimeoutMs: this.readyTimeoutMs,
      keepaliveIntervalMs: this.keepaliveIntervalMs,
      keepaliveCountMax: this.keepaliveCountMax,
      logger: this.logger,
      connectSocket:
        opts.connectSocket ??
        ((host, port) => {
          const sock = net.connect({ host, port, noDelay: true });
          sock.setNoDelay(true);
          return sock;
        }),
    };
  }

  /** Channels this pool holds open to one target at most (all its connections). */
  get channelsPerTarget(): number {
    return this.maxChannels * this.maxConnections;
  }

  /** Runs one command on its own channel. See exec.ts for the contract. */
  exec(target: SshTarget, command: RemoteCommand, opts: ExecOptions): Promise<Result<CommandOutput, FerryError>> {
    return execCommand(this, target, command, opts);
  }

  /** Opens (or reuses) the connection without running anything: "test connection", or surfacing a host key prompt. */
  async connect(target: SshTarget, opts: { readonly timeoutMs?: number; readonly signal?: AbortSignal } = {}): Promise<Result<void, FerryError>> {
    const until: Until = { deadline: this.clock.now() + (opts.timeoutMs ?? this.readyTimeoutMs + 1000), signal: opts.signal };
    const r = await this.peer(target).ensureUp(until);
    return r.ok ? ok(undefined) : r;
  }

  async openExecChannel(target: SshTarget, commandLine: string, until: Until): Promise<Result<ExecChannel, FerryError>> {
    const peer = this.peer(target);
    let front = false;
    let busyDelay = 50;
    for (;;) {
      const slot = await peer.take(until, front);
      if (!slot.ok) return slot;
      const { link, release } = slot.value;
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
        this.logger.debug('ssh.channel-refused', { target: targetKey(target), inUse: peer.inUse });
        const waited = peer.inUse > 0 ? await peer.nextRelease(until) : (await sleep(this.clock, busyDelay, until)).ok;
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
    for (const peer of this.peers.values()) {
      const chain = [peer.target, ...(peer.target.jump ?? [])];
      if (chain.some((h) => `${h.host.toLowerCase()}:${targetPort(h)}` === hp)) peer.resetBackoff();
    }
    return ok(undefined);
  }

  status(target: SshTarget): ConnectionStatus {
    const p = this.peers.get(targetKey(target));
    if (!p) return { state: 'idle', channelsInUse: 0, queued: 0, connections: 0, consecutiveFailures: 0, lastError: undefined };
    return p.status();
  }

  /**
   * Closes every connection to one target; open channels end, queued requests fail with ssh.disconnected. A target
   * that is still the jump host of others stays up for them (and closes with the last of them).
   */
  async closeConnection(target: SshTarget): Promise<void> {
    const key = targetKey(target);
    const p = this.peers.get(key);
    if (!p) return;
    p.direct = false;
    if (p.dependents > 0) return;
    this.peers.delete(key);
    await p.close();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const all = [...this.peers.values()];
    this.peers.clear();
    await Promise.all(all.map((p) => p.close()));
  }

  /** The connections callers use for `target`. */
  private peer(target: SshTarget): Peer {
    const p = this.jumpConnection(target);
    p.direct = true;
    return p;
  }

  /** @internal The connections to a jump host (shared with callers who use that host directly). */
  jumpConnection(target: SshTarget): Peer {
    const key = targetKey(target);
    let p = this.peers.get(key);
    if (!p) {
      p = new Peer(target, this);
      if (this.disposed) void p.close();
      else this.peers.set(key, p);
    }
    return p;
  }

  /** @internal Closes a jump host no target goes through any more. */
  async retire(j: Peer): Promise<void> {
    const key = targetKey(j.target);
    if (this.peers.get(key) === j) this.peers.delete(key);
    this.logger.debug('ssh.jump-closed', { target: key });
    await j.close();
  }

  private checkKey(target: SshTarget, blob: Buffer): Promise<Result<void, FerryError>> {
    return checkPresentedKey(this.opts.knownHosts, target, blob);
  }

  /** @internal One connection attempt (dial.ts); used by the pool's per-target connection. */
  connectOnce(
    target: SshTarget,
    onClosed: (link: Link, reason: FerryError | undefined) => void,
    onClient: (client: Ssh2Client) => void = () => undefined,
    /** A forwarded channel through a jump host, instead of a TCP connection of our own. */
    through?: Duplex,
  ): Promise<Result<Link, FerryError>> {
    return dial(this.dialDeps, target, onClosed, onClient, through);
  }
}
