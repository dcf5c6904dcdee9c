/** Typed descriptors of the commands Ferry runs on hypervisor hosts: argv + parser + human name + timeout. */
export { command, stdoutThenStderr, C_LOCALE, checkInterfaceName, checkDestination, checkIpAddress } from './command';
export type { Command } from './command';
export { virshAwaitJobCompleted, virshCapabilities, virshDominfo, virshDomjobinfo, virshListAll, virshNodeinfo, virshVersion, VIRSH } from './virsh';
export type { DomjobinfoOptions } from './virsh';
export {
  ethtoolDriver,
  ethtoolFeatures,
  ethtoolRing,
  ethtoolSettings,
  ipAddr,
  ipLink,
  ipLinkStats,
  ipRouteGet,
  NET_BUFFER_SYSCTLS,
  pingDontFragment,
  sysctl,
  sysctlValues,
  tracepath,
} from './network';
export type { PingOptions } from './network';
