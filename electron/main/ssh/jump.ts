/**
 * Reaching a target through jump hosts (OpenSSH's ProxyJump), the pool's helpers.
 *
 * - The connection to hop n+1 (or to the target) runs over a `direct-tcpip` channel (ssh2's forwardOut) opened on
 *   hop n's connection and handed to ssh2 as `sock`; only the first hop has a real TCP socket (noDelay set on it).
 * - Each hop is a pool connection of its own, keyed by its own chain: its host key is checked against the known
 *   hosts exactly like a target's, and two targets behind one bastion share one connection to it.
 * - Failures on the way are named after the hop ("jump host 10.77.0.11: ..."), so a dead bastion is not reported
 *   as a timeout on the target.
 * - A `direct-tcpip` channel is not a session: OpenSSH's MaxSessions does not count it, so it takes no channel slot.
 */
import type { Duplex } from 'node:stream';
import type ssh2 from 'ssh2';
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import { waitFor, type Clock, type Until } from './deadline';
import { targetPort, type SshHop, type SshTarget } from './errors';

type Ssh2Client = InstanceType<typeof ssh2.Client>;

const JUMP_PREFIX = 'jump host ';

/** The hop a target is reached through (the last of its chain, itself reached through the ones before), if any. */
export function previousHop(target: SshTarget): SshTarget | undefined {
  const chain = target.jump ?? [];
  const last = chain[chain.length - 1];
  if (last === undefined) return undefined;
  const hop: SshTarget = { host: last.host, user: last.user, ...(last.port !== undefined ? { port: last.port } : {}) };
  return chain.length > 1 ? { ...hop, jump: chain.slice(0, -1) } : hop;
}

/** The same failure, said to have happened at a jump host (once: an earlier hop of the chain keeps its own name). */
export function viaJump(hop: SshHop, e: FerryError): FerryError {
  if (e.message.startsWith(JUMP_PREFIX)) return e;
  return { ...e, message: `${JUMP_PREFIX}${hop.host}: ${e.message}` };
}

/** OpenSSH's SSH_OPEN_* reason codes (RFC 4254 5.1) as ssh2 puts them on a channel open failure. */
const ADMINISTRATIVELY_PROHIBITED = 1;

/**
 * Opens a `direct-tcpip` channel from `hop`'s connection to `dest`, to carry the next SSH connection. Waits at most
 * until `until`; a channel that opens after that is closed at once.
 */
export async function forwardThrough(client: Ssh2Client, hop: SshHop, dest: SshHop, clock: Clock, until: Until): Promise<Result<Duplex, FerryError>> {
  const destText = `${dest.host}:${targetPort(dest)}`;
  type Opened = { stream: Duplex } | { error: Error & { reason?: unknown } };
  const opened = await waitFor<Opened>(clock, until, (done) => {
    let waiting = true;
    try {
      client.forwardOut('127.0.0.1', 0, dest.host, targetPort(dest), (e, stream) => {
        if (e) {
          if (waiting) done({ error: e });
          return;
        }
        if (waiting) done({ stream });
        else stream.destroy();
      });
    } catch (e) {
      done({ error: e instanceof Error ? e : new Error(String(e)) });
    }
    return () => {
      waiting = false;
    };
  });
  if (!opened.ok) {
    return err(
      ferryError(
        opened.reason === 'timeout' ? 'ssh.timeout' : 'command.cancelled',
        `${JUMP_PREFIX}${hop.host}: ${opened.reason === 'timeout' ? 'no answer in time' : 'cancelled'} while it opened a connection to ${destText}.`,
      ),
    );
  }
  if ('stream' in opened.value) return ok(opened.value.stream);
  const e = opened.value.error;
  if (e.reason === ADMINISTRATIVELY_PROHIBITED) {
    return err(
      ferryError(
        'ssh.channel-failed',
        `${JUMP_PREFIX}${hop.host} refuses to forward connections to ${destText} (its sshd_config has AllowTcpForwarding no, or a PermitOpen rule forbids it).`,
        e.message,
      ),
    );
  }
  const why = e.message.replace(/^\(SSH\) Channel open failure:\s*/, '').trim();
  return err(ferryError('ssh.unreachable', `${JUMP_PREFIX}${hop.host} could not connect to ${destText}${why === '' ? '' : `: ${why}`}.`, e.message));
}
