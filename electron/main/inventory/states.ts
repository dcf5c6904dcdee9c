/**
 * A host's connection state from what the SSH pool answered. Pure: the pool's errors already carry a message a
 * person understands (and the raw evidence in `detail`); this only sorts them into the states the UI shows.
 */
import type { FerryError } from '../../../shared/errors';
import type { ConnectionState, PresentedHostKeyView } from '../../../shared/inventory/types';
import { isHostKeyError } from '../ssh/errors';

type WithReason = Extract<ConnectionState, { state: 'unreachable' | 'libvirt-unreachable' | 'auth-failed' | 'error' }>;

function withDetail(state: WithReason['state'], e: FerryError): ConnectionState {
  return e.detail === undefined ? { state, reason: e.message } : { state, reason: e.message, detail: e.detail };
}

export function presentedKeyView(e: FerryError): PresentedHostKeyView | undefined {
  if (!isHostKeyError(e)) return undefined;
  const { host, port, keyType, fingerprint } = e.hostKey;
  return { host, port, keyType, fingerprint };
}

/**
 * virsh's words when it cannot reach the host's own libvirtd (virsh 9.0 on the lab with libvirtd stopped: a new
 * virsh says "failed to connect to the hypervisor" then "Failed to connect socket to '/var/run/libvirt/libvirt-sock':
 * No such file or directory" and exits; one already connected says it was disconnected, then cannot reconnect).
 * The inventory only runs virsh against the host's local qemu:///system, so here they are about that host.
 */
const LIBVIRTD_GONE =
  /failed to connect to the hypervisor|Failed to reconnect to the hypervisor|Failed to connect socket to|no valid connection|Disconnected from \S+ due to|End of file while reading data|Cannot recv data|Cannot write data/;

/** SSH works, libvirtd does not: the host can neither list nor take VMs. The reason quotes libvirt's last line. */
function libvirtdGone(e: FerryError): ConnectionState | undefined {
  if (!e.code.startsWith('libvirt.')) return undefined;
  const text = e.detail ?? e.message;
  if (!LIBVIRTD_GONE.test(text)) return undefined;
  const lines = text.split('\n').map((l) => l.replace(/^error: ?/, '').trim()).filter((l) => l !== '');
  return { state: 'libvirt-unreachable', reason: `libvirtd does not answer: ${lines[lines.length - 1] ?? text}`, detail: text };
}

/**
 * The state for an error met while connecting or running a command. `undefined`: the error says nothing about the
 * connection (a virsh or parse failure on a working connection: a `problem` of the host, not a state).
 */
export function connectionStateFor(e: FerryError, phase: 'connect' | 'command'): ConnectionState | undefined {
  const gone = libvirtdGone(e);
  if (gone) return gone;
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
    case 'ssh.host-certificate-unsupported':
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
