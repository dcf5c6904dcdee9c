// The main-process SSH core: what the rest of main (collectors, migration engine, benchmarks) imports.
export { SshPool, backoffDelay, orderHostKeyAlgorithms, silentLogger } from './pool';
export type { SshAuth, SshLogger, SshPoolOptions, BackoffOptions, ConnectionStatus, ChannelOpener, ExecChannel } from './pool';
export { execCommand, killProcessGroup, requireExitZero, commandLine, describeCommand } from './exec';
export type { RemoteCommand, ExecOptions, CompletedCommand, CommandOutput, KillSignal } from './exec';
export { ShellSession, newSessionToken } from './shell-session';
export type { ShellSessionOptions } from './shell-session';
export { VirshSession, virshStderr } from './virsh-session';
export type { VirshSessionOptions } from './virsh-session';
export type { SessionRunOptions, SessionOptions, SessionState } from './sentinel';
export { isHostKeyError, mapSshError, redact, targetKey } from './errors';
export type { SshTarget, HostKeyError, PresentedHostKey } from './errors';
export {
  appendKnownHost,
  checkHostKey,
  fileKnownHostsStore,
  fingerprintSha256,
  formatKnownHostsLine,
  hostLookupName,
  memoryKnownHostsStore,
  parseKnownHosts,
  readKnownHostsFile,
} from './known-hosts';
export type { KnownHostsStore, KnownHostsFile, KnownHostEntry, HostKeyStatus, HostKeyVerdict } from './known-hosts';
export { systemClock } from './deadline';
export type { Clock, Until } from './deadline';
