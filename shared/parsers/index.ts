/** Pure parsers for every command Ferry runs on a hypervisor host. Each takes the command's text (stdout, then
 * stderr) and returns Result<value, FerryError>; see each module for what it accepts. */
export { parseDomjobinfo } from './virsh-domjobinfo';
export type { DomainJobInfo, DomainJobNumbers, DomainJobOperation, DomainJobType } from './virsh-domjobinfo';
export { parseVirshVersion, parseVirshNodeinfo } from './virsh-host';
export type { NamedVersion, NodeInfo, VirshVersion } from './virsh-host';
export { parseVirshCapabilities } from './virsh-capabilities';
export type { CpuTopology, GuestCapability, HostCapabilities, HostCpu } from './virsh-capabilities';
export { parseVirshList, parseVirshDominfo } from './virsh-domain';
export type { DomainInfo, DomainListEntry, DomainState, Tristate } from './virsh-domain';
export { virshError, virshErrorLines } from './virsh-error';
export { parseIpAddr, parseIpLink, parseIpLinkStats, parseIpRouteGet } from './ip';
export type { IpAddress, IpDirectionStats, IpLink, IpLinkStats, IpLinkWithAddresses, IpRoute } from './ip';
export { parseEthtoolDriver, parseEthtoolFeatures, parseEthtoolRing, parseEthtoolSettings } from './ethtool';
export type {
  Duplex,
  EthtoolDriver,
  EthtoolFeature,
  EthtoolFeatures,
  EthtoolRing,
  EthtoolSettings,
  LinkSpeed,
  RingSizes,
} from './ethtool';
export { parseSysctl, parseSysctlN } from './sysctl';
export type { SysctlValues, TcpBufferBytes } from './sysctl';
export { parsePing } from './ping';
export type { PingOutcome, PingResult, PingRtt, PingStats } from './ping';
export { parseTracepath } from './tracepath';
export type { TracepathOutcome, TracepathProbe, TracepathResult, TracepathUnreachable } from './tracepath';
export { parseXml } from './xml';
export type { XmlElement } from './xml';
export { parseVirshHelp } from './virsh-help';
export type { VirshHelp, VirshHelpOption } from './virsh-help';
