/**
 * Turning ssh2 and socket failures into FerryErrors a person can act on, and keeping secrets out of them.
 *
 * ssh2 reports failures as Error objects with a `level` ('client-socket', 'client-timeout', 'client-authentication',
 * 'handshake', 'protocol', 'agent', 'client-dns') and, for socket errors, Node's `code` (ECONNREFUSED...). The raw
 * text goes to `detail` after redaction; the message says what happened and what to check.
 */
import { ferryError, type FerryError, type FerryErrorCode } from '../../../shared/errors';

/** One SSH server: a target, or one of the jump hosts on the way to it. */
export interface SshHop {
  readonly host: string;
  /** Default 22. */
  readonly port?: number;
  readonly user: string;
}

export interface SshTarget extends SshHop {
  /**
   * Jump hosts, first to last, as OpenSSH's `ProxyJump a,b`: Ferry connects to the first, each next one through a
   * forwarded channel of the previous, and the target through the last. Absent or empty: a direct connection.
   */
  readonly jump?: readonly SshHop[];
}

export const targetPort = (t: SshHop): number => t.port ?? 22;

/** `user@host:port` of one server. IPv6 literals are bracketed. */
export function hopKey(t: SshHop): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `${t.user}@${host}:${targetPort(t)}`;
}

/**
 * `user@host:port`, followed by ` via <first hop>,<next hop>` for a jump chain: the pool's key (the same target
 * through another bastion is another connection) and the name used in messages.
 */
export function targetKey(t: SshTarget): string {
  const via = t.jump !== undefined && t.jump.length > 0 ? ` via ${t.jump.map(hopKey).join(',')}` : '';
  return `${hopKey(t)}${via}`;
}

/** The host key a server presented, as carried by the host-key errors (all public data). */
export interface PresentedHostKey {
  readonly host: string;
  readonly port: number;
  /** Type named in the key blob: ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa... */
  readonly keyType: string;
  /** `SHA256:...` as `ssh-keygen -lf` prints it. */
  readonly fingerprint: string;
  /** The public key blob, base64: what `trustHostKey` appends. */
  readonly keyBase64: string;
}

export interface HostKeyError extends FerryError {
  readonly code: 'ssh.host-key-unknown' | 'ssh.host-key-changed' | 'ssh.host-key-revoked';
  readonly hostKey: PresentedHostKey & {
    /** changed: the fingerprint on record for this key type, and where. */
    readonly knownFingerprint?: string;
    readonly knownLine?: number;
    /** unknown: key types the known_hosts file does hold for this host (a reason to be suspicious). */
    readonly otherKeyTypes?: readonly string[];
    readonly knownHostsFile: string;
  };
}

export function isHostKeyError(e: FerryError): e is HostKeyError {
  return (e.code === 'ssh.host-key-unknown' || e.code === 'ssh.host-key-changed' || e.code === 'ssh.host-key-revoked') && 'hostKey' in e;
}

/**
 * Removes every secret (passphrase, private key text and each of its lines) from a text. ssh2's own messages do not
 * quote keys, but this is the last line of defence before anything reaches a log or the UI.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  const pieces = new Set<string>();
  for (const s of secrets) {
    if (s.length === 0) continue;
    pieces.add(s);
    for (const line of s.split(/\r?\n/)) {
      const t = line.trim();
      // Short lines such as "-----END" markers are not secret and would shred ordinary text.
      if (t.length >= 16) pieces.add(t);
    }
  }
  for (const p of [...pieces].sort((a, b) => b.length - a.length)) out = out.split(p).join('[redacted]');
  return out;
}

export interface ErrorContext {
  readonly target: SshTarget;
  /** Did the TCP connection complete? Tells "no answer" from "answered, then stalled". */
  readonly socketConnected?: boolean;
  /** Had authentication succeeded (a live connection that then broke)? */
  readonly wasReady?: boolean;
  readonly readyTimeoutMs?: number;
  readonly keepaliveMs?: number;
  readonly secrets?: readonly string[];
}

function rawOf(e: unknown): { message: string; code: string | undefined; level: string | undefined } {
  if (e instanceof Error) {
    const x = e as Error & { code?: unknown; level?: unknown };
    return { message: x.message, code: typeof x.code === 'string' ? x.code : undefined, level: typeof x.level === 'string' ? x.level : undefined };
  }
  return { message: String(e), code: undefined, level: undefined };
}

/** Maps one ssh2/socket error to a FerryError. */
export function mapSshError(e: unknown, ctx: ErrorContext): FerryError {
  const { message, code, level } = rawOf(e);
  const where = targetKey(ctx.target);
  const hostPort = `${ctx.target.host}:${targetPort(ctx.target)}`;
  const detail = redact([level, code, message].filter((x) => x !== undefined).join(': '), ctx.secrets ?? []);
  const make = (c: FerryErrorCode, m: string): FerryError => ferryError(c, m, detail);

  switch (code) {
    case 'ECONNREFUSED':
      return make('ssh.unreachable', `${hostPort} refused the connection: nothing listens on that port (is sshd running, is the port right?).`);
    case 'EHOSTUNREACH':
    case 'EHOSTDOWN':
      return make('ssh.unreachable', `${ctx.target.host} cannot be reached: no route or no answer on the local network (is the host up, is the address right?).`);
    case 'ENETUNREACH':
      return make('ssh.unreachable', `No network route to ${ctx.target.host} from this machine.`);
    case 'ETIMEDOUT':
      return make('ssh.unreachable', `${hostPort} did not answer (the TCP connection timed out); a firewall may drop the packets or the host is down.`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return make('ssh.unreachable', `The name ${ctx.target.host} cannot be resolved.`);
    case 'ECONNRESET':
    case 'EPIPE':
      return make('ssh.disconnected', ctx.wasReady === true ? `The connection to ${where} was reset.` : `${hostPort} reset the connection during the SSH handshake (sshd refused us: MaxStartups, tcp wrappers, or a crash).`);
    default:
      break;
  }
  if (level === 'client-dns') return make('ssh.unreachable', `The name ${ctx.target.host} cannot be resolved.`);
  if (level === 'client-timeout' && /keepalive/i.test(message)) {
    const s = ctx.keepaliveMs === undefined ? '' : ` for ${Math.round(ctx.keepaliveMs / 1000)} s`;
    return make('ssh.disconnected', `${where} stopped answering${s} (keepalive timeout). The host may be down, or the path drops large packets (an MTU black hole).`);
  }
  if (level === 'client-timeout') {
    const s = ctx.readyTimeoutMs === undefined ? '' : ` within ${Math.round(ctx.readyTimeoutMs / 1000)} s`;
    return ctx.socketConnected === false
      ? make('ssh.unreachable', `${hostPort} did not answer${s} (no TCP connection); the host may be down or a firewall drops the packets.`)
      : make('ssh.timeout', `${hostPort} accepted the connection but the SSH handshake did not finish${s}. A path that drops large packets (MTU black hole) or an overloaded sshd does this.`);
  }
  if (level === 'client-authentication' || /All configured authentication methods failed/i.test(message)) {
    return make('ssh.auth-failed', `${where} refused our credentials: check that the user is right and that its authorized_keys holds Ferry's public key.`);
  }
  if (level === 'agent') return make('ssh.auth-failed', `The SSH agent could not be used for ${where}: is it running, and does it hold a key?`);
  if (/privateKey|private key|passphrase|Encrypted private/i.test(message)) {
    return make('ssh.auth-failed', `The private key for ${where} could not be used: it is unreadable, or its passphrase is missing or wrong.`);
  }
  if (level === 'handshake') {
    return make('ssh.handshake-failed', `The SSH handshake with ${hostPort} failed: no common algorithm, or the host's signature did not verify.`);
  }
  if (ctx.wasReady === true) return make('ssh.disconnected', `The connection to ${where} broke.`);
  return make('ssh.disconnected', `The connection to ${hostPort} closed before it was ready.`);
}
