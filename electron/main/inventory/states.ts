/**
 * A host's connection state from what the SSH pool answered. Pure: the pool's errors already carry a message a
 * person understands (and the raw evidence in `detail`); this only sorts them into the states the UI shows.
 */
import type { FerryError } from '../../../shared/errors';
import type { ConnectionState, PresentedHostKeyView } from '../../../shared/inventory/types';
import { isHostKeyError } from '../ssh/errors';

type WithReason = Extract<ConnectionState, { state: 'unreachable' | 'auth-failed' | 'error' }>;

function withDetail(state: WithReason['state'], e: FerryError): ConnectionState {
  return e.detail === undefined ? { state, reason: e.message } : { state, reason: e.message, detail: e.detail };
}

export function presentedKeyView(e: FerryError): PresentedHostKeyView | undefined {
  if (!isHostKeyError(e)) return undefined;
  const { host, port, keyType, fingerprint } = e.hostKey;
  return { host, port, keyType, fingerprint };
}

/**
 * The state for an error met while connecting or running a command. `undefined`: the error says nothing about the
 * connection (a virsh or parse failure on a working connection: a `problem` of the host, not a state).
 */
export function connectionStateFor(e: FerryError, phase: 'connect' | 'command'): ConnectionState | undefined {
  switch (e.code) {
    case 'ssh.unreachable':
    case 'ssh.timeout':
      return withDetail('unreachable', e);
    case 'ssh.auth-failed':
      return withDetail('auth-failed', e);
    case 'ssh.host-key-unknown': {
      const key = presentedKeyView(e);
      return key ? { state: 'host-key-unknown', reason: e.message, key } : { state: 'error', reason: e.message };
    }
    case 'ssh.host-key-changed': {
      if (!isHostKeyError(e)) return { state: 'error', reason: e.message };
      const key = presentedKeyView(e)!;
      return {
        state: 'host-key-changed',
        reason: e.message,
        key,
        knownFingerprint: e.hostKey.knownFingerprint ?? 'unknown',
        knownIn: e.hostKey.knownHostsFile,
      };
    }
    case 'ssh.host-key-revoked':
    case 'ssh.handshake-failed':
    case 'ssh.known-hosts-io':
    case 'ssh.channel-failed':
      return withDetail('error', e);
    case 'ssh.disconnected':
      // Dropped under us (sshd stopped, host rebooting, keepalive timeout): for the admin, it cannot be reached now.
      return withDetail('unreachable', e);
    case 'command.timeout':
      // Out of time while connecting: nothing answered in time.
      return phase === 'connect' ? withDetail('unreachable', e) : undefined;
    default:
      return phase === 'connect' ? withDetail('error', e) : undefined;
  }
}
