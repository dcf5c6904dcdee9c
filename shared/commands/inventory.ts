/**
 * Commands of the host inventory (electron/main/inventory): who a host is, and every domain's flags, memory and
 * vCPUs in a constant number of calls whatever the number of domains (no command per domain).
 */
import { parseHostIdentity, type HostIdentity } from '../parsers/host-identity';
import { parseVirshDomstats, type DomainStats } from '../parsers/virsh-domstats';
import { parseVirshNames } from '../parsers/virsh-names';
import { command, type Command } from './command';
import { VIRSH } from './virsh';

const VIRSH_MS = 15_000;

/**
 * `uname -n`, `$SSH_CONNECTION` and the CPU's model name, one per line. A fixed line (nothing from the user goes
 * into it), run by `sh -c` so that SSH_CONNECTION is the variable sshd set for this session.
 */
export const HOST_IDENTITY_SCRIPT = `uname -n; printf '%s\\n' "\${SSH_CONNECTION-}"; sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -n 1`;

export function hostIdentity(): Command<HostIdentity> {
  return command('host name and SSH server address', ['sh', '-c', HOST_IDENTITY_SCRIPT], parseHostIdentity, 5_000);
}

export type DomainListFilter = 'persistent' | 'transient' | 'autostart' | 'no-autostart';

/** `virsh list --all --name --<filter>`: the names of the domains with that property. */
export function virshListNames(filter: DomainListFilter): Command<string[]> {
  return command(`${filter} domains`, [...VIRSH, 'list', '--all', '--name', `--${filter}`], parseVirshNames, VIRSH_MS);
}

/** `virsh domstats --balloon --vcpu`: memory and vCPUs of every domain (running or not) in one call. */
export function virshDomstatsMemoryVcpu(): Command<DomainStats[]> {
  return command('memory and vCPUs of all domains', [...VIRSH, 'domstats', '--balloon', '--vcpu'], parseVirshDomstats, VIRSH_MS);
}
