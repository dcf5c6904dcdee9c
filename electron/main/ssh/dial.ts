/**
 * One SSH connection attempt: the socket (ours with TCP_NODELAY, or a channel forwarded through a jump host), the
 * credentials, and the host key check on every key exchange against the known_hosts store (unknown, changed, revoked
 * and certificate-only keys refused with their own errors; the algorithms the file knows for the host negotiated
 * first, as OpenSSH does). Secrets go to ssh2 and nowhere else; error details pass through `redact`.
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { ConnectConfig, ServerHostKeyAlgorithm } from 'ssh2';
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import { isHostKeyError, mapSshError, redact, targetKey, targetPort, type SshTarget } from './errors';
import { checkPresentedKey, loadKnownHosts } from './host-key-check';
import { knownKeyTypes, type KnownHostsStore } from './known-hosts';
import type { Link } from './connection';
import type { SshLogger } from './logger';

const { Client } = ssh2;
type Ssh2Client = InstanceType<typeof Client>;

export type SshAuth =
  | { readonly kind: 'key'; readonly privateKey: string | Buffer; readonly passphrase?: string }
  | { readonly kind: 'agent'; readonly socketPath: string };

export interface DialDeps {
  readonly auth: (target: SshTarget) => SshAuth | Promise<SshAuth>;
  readonly knownHosts: KnownHostsStore;
  readonly connectSocket: (host: string, port: number) => Duplex;
  readonly readyTimeoutMs: number;
  readonly keepaliveIntervalMs: number;
  readonly keepaliveCountMax: number;
  readonly logger: SshLogger;
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

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** One connection attempt: resolves with a ready link, or the mapped error; `onClosed` hears of a later drop. */
export async function dial(
  d: DialDeps,
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
    auth = await d.auth(target);
  } catch (e) {
    return err(ferryError('ssh.auth-failed', `No credentials are available for ${targetKey(target)}.`, errorText(e)));
  }
  const secrets: string[] = [];
  if (auth.kind === 'key') {
    secrets.push(typeof auth.privateKey === 'string' ? auth.privateKey : auth.privateKey.toString('utf8'));
    if (auth.passphrase !== undefined) secrets.push(auth.passphrase);
  }
  const known = await loadKnownHosts(d.knownHosts);
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
      readyTimeoutMs: d.readyTimeoutMs,
      keepaliveMs: d.keepaliveIntervalMs * (d.keepaliveCountMax + 1),
      secrets,
    });
    const finish = (r: Result<Link, FerryError>): void => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    let sock: Duplex;
    try {
      sock = through ?? d.connectSocket(host, port);
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
      d.logger.debug('ssh.error', { target: targetKey(target), code: mapped.code, detail: mapped.detail });
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
      readyTimeout: d.readyTimeoutMs,
      keepaliveInterval: d.keepaliveIntervalMs,
      keepaliveCountMax: d.keepaliveCountMax,
      tryKeyboard: false,
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        checkPresentedKey(d.knownHosts, target, key).then(
          (v) => {
            if (!v.ok) {
              hostKeyError = v.error;
              d.logger.warn('ssh.host-key-refused', {
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
