/**
 * virsh commands. Always against `qemu:///system` (a non-root SSH user would otherwise get qemu:///session), and
 * always with the domain after `--domain`, so a name starting with '-' is read as a name, not an option.
 */
import { parseDomjobinfo, type DomainJobInfo } from '../parsers/virsh-domjobinfo';
import { parseVirshNodeinfo, parseVirshVersion, type NodeInfo, type VirshVersion } from '../parsers/virsh-host';
import { parseVirshCapabilities, type HostCapabilities } from '../parsers/virsh-capabilities';
import { parseVirshDominfo, parseVirshList, parseVirshNames, type DomainInfo, type DomainListEntry } from '../parsers/virsh-domain';
import { parseVirshEvents, type VirshEvents } from '../parsers/virsh-event';
import { parseDomstateReason, type DomainStateReason } from '../parsers/virsh-domstate';
import { parseVirshAck } from '../parsers/virsh-error';
import { command, type Command } from './command';

export const VIRSH = ['virsh', '--connect', 'qemu:///system'] as const;

// The first virsh call on a host with a cold capabilities cache takes ~8 s.
const FIRST_CALL_MS = 30_000;
const VIRSH_MS = 15_000;

export function virshVersion(): Command<VirshVersion> {
  return command('libvirt and hypervisor versions', [...VIRSH, 'version'], parseVirshVersion, FIRST_CALL_MS);
}

export function virshNodeinfo(): Command<NodeInfo> {
  return command('host CPU and memory', [...VIRSH, 'nodeinfo'], parseVirshNodeinfo, VIRSH_MS);
}

export function virshCapabilities(): Command<HostCapabilities> {
  return command('host capabilities', [...VIRSH, 'capabilities'], parseVirshCapabilities, FIRST_CALL_MS);
}

export function virshListAll(): Command<DomainListEntry[]> {
  return command('all domains', [...VIRSH, 'list', '--all'], parseVirshList, VIRSH_MS);
}

/** Every domain's name, defined or running: whether a host holds a domain of a name, nothing else. */
export function virshListNames(): Command<string[]> {
  return command('names of all domains', [...VIRSH, 'list', '--all', '--name'], parseVirshNames, VIRSH_MS);
}

export function virshDominfo(domain: string): Command<DomainInfo> {
  return command(`details of ${domain}`, [...VIRSH, 'dominfo', '--domain', domain], parseVirshDominfo, VIRSH_MS);
}

/** `virsh domstate --reason`: `paused (post-copy failed)` is how one half of a broken post-copy run says so. */
export function virshDomstateReason(domain: string): Command<DomainStateReason> {
  return command(`state of ${domain}`, [...VIRSH, 'domstate', '--reason', '--domain', domain], parseDomstateReason, VIRSH_MS);
}

export interface DomjobinfoOptions {
  /** Statistics of the last completed job instead of the running one. */
  readonly completed?: boolean;
  /** With `completed`: leave them in place (without it, reading them clears them). */
  readonly keepCompleted?: boolean;
  /** `--rawstats`: exact integers instead of rounded sizes. */
  readonly raw?: boolean;
}

export function virshDomjobinfo(domain: string, opts: DomjobinfoOptions = {}): Command<DomainJobInfo> {
  const argv = [...VIRSH, 'domjobinfo', '--domain', domain];
  if (opts.completed) argv.push('--completed');
  if (opts.completed && opts.keepCompleted) argv.push('--keep-completed');
  if (opts.raw) argv.push('--rawstats');
  const what = opts.completed ? 'completed job statistics' : 'job statistics';
  return command(`${what} of ${domain}`, argv, parseDomjobinfo, VIRSH_MS);
}

/**
 * Waits for the domain's job-completed event and prints it with its statistics (`virsh event` without --loop ends
 * after the first event). After a post-copy migration libvirt 9.0 keeps no completed statistics the engine can ask
 * for (the destination shows none, the source forgets the domain with --undefinesource): this event is where they
 * are. Started before the job ends; `timeoutS` bounds the wait on the host itself.
 */
export function virshAwaitJobCompleted(domain: string, timeoutS: number): Command<VirshEvents> {
  const argv = [...VIRSH, 'event', '--domain', domain, '--event', 'job-completed', '--timestamp', '--timeout', String(Math.max(1, Math.round(timeoutS)))];
  return command(`job-completed event of ${domain}`, argv, parseVirshEvents, Math.round(timeoutS * 1000) + 15_000);
}

/** `virsh shutdown`: asks the guest to shut down and returns at once (the guest takes its time, or ignores it). */
export function virshShutdown(domain: string): Command<string> {
  return command(`shut down ${domain}`, [...VIRSH, 'shutdown', '--domain', domain], parseVirshAck, VIRSH_MS);
}
