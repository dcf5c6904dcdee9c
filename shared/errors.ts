/**
 * Every expected failure Ferry reports carries a stable code (for the program) and a message a person understands
 * (for the admin). `detail` keeps the raw evidence: a remote command's stderr, libvirt's own error text.
 */
export type FerryErrorCode =
  // parsing
  | 'parse.unrecognised'
  | 'parse.missing-field'
  | 'parse.bad-value'
  // a command could not be built: a caller passed a value that is not a valid interface name, address, size...
  | 'input.invalid'
  // ssh transport
  | 'ssh.unreachable'
  | 'ssh.timeout'
  | 'ssh.auth-failed'
  | 'ssh.host-key-unknown'
  | 'ssh.host-key-changed'
  | 'ssh.host-key-revoked'
  | 'ssh.host-certificate-unsupported'
  | 'ssh.disconnected'
  | 'ssh.channel-failed'
  | 'ssh.handshake-failed'
  | 'ssh.known-hosts-io'
  // remote commands
  | 'command.timeout'
  | 'command.cancelled'
  | 'command.failed'
  | 'command.not-found'
  // network tools reporting on the host's own configuration
  | 'net.no-such-device'
  | 'net.no-route'
  | 'net.unknown-host'
  // the IPC contract between the renderer and main
  | 'ipc.bad-payload'
  | 'ipc.unknown-channel'
  | 'ipc.transport'
  | 'ipc.internal'
  // Ferry's own data (inventory, settings, trusted keys)
  | 'storage.in-use'
  | 'storage.io'
  | 'inventory.io'
  | 'inventory.corrupt'
  | 'inventory.not-found'
  | 'inventory.duplicate'
  | 'ssh-config.unreadable'
  // libvirt
  | 'libvirt.error'
  | 'libvirt.no-domain'
  | 'libvirt.not-running'
  | 'libvirt.no-job'
  | 'libvirt.stats-on-destination'
  | 'libvirt.unsupported'
  // a post-copy migration broke after the switch (the VM is split between the hosts)
  | 'libvirt.postcopy-failed'
  // libvirt's connection to the other host closed mid-operation
  | 'libvirt.connection-closed';

export interface FerryError {
  readonly code: FerryErrorCode;
  /** One or two sentences for a person: what happened and, where known, what to do. */
  readonly message: string;
  /** Raw evidence: stderr of the remote command, libvirt's error text, the offending line. */
  readonly detail?: string;
}

export function ferryError(code: FerryErrorCode, message: string, detail?: string): FerryError {
  return detail === undefined ? { code, message } : { code, message, detail };
}
