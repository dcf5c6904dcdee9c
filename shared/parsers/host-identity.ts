/**
 * Who a host is, from one small shell line run over SSH (shared/commands/inventory.ts `hostIdentity`):
 *
 *   line 1  `uname -n`                          the host name
 *   line 2  `$SSH_CONNECTION`                   "client-ip client-port server-ip server-port", empty outside SSH
 *   line 3  first `model name` of /proc/cpuinfo  empty where the kernel prints none (many ARM hosts)
 *
 * The server IP of SSH_CONNECTION is the address this host received Ferry's connection on: the NIC holding it is the
 * management NIC. An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is returned as the IPv4 address.
 */
import { ok, type Result } from '../result';
import type { FerryError } from '../errors';
import { emptyOutput, fail, splitLines } from './text';

export interface HostIdentity {
  readonly hostname: string;
  /** The server side of SSH_CONNECTION; absent when the command did not run through sshd. */
  readonly sshServerAddress?: string;
  readonly cpuModelName?: string;
}

export function parseHostIdentity(text: string): Result<HostIdentity, FerryError> {
  const lines = splitLines(text);
  if (lines.length === 0) return emptyOutput('uname -n');
  const hostname = (lines[0] ?? '').trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(hostname)) return fail('parse.bad-value', 'The host name is not a host name.', lines[0] ?? '');
  const conn = (lines[1] ?? '').trim();
  let sshServerAddress: string | undefined;
  if (conn !== '') {
    const parts = conn.split(/\s+/);
    if (parts.length !== 4 || !/^\d+$/.test(parts[1] ?? '') || !/^\d+$/.test(parts[3] ?? '')) {
      return fail('parse.bad-value', 'SSH_CONNECTION is not "client-ip client-port server-ip server-port".', lines[1] ?? '');
    }
    const server = (parts[2] ?? '').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1').replace(/%.*$/, '');
    sshServerAddress = server;
  }
  const cpu = (lines[2] ?? '').trim();
  const out: { hostname: string; sshServerAddress?: string; cpuModelName?: string } = { hostname };
  if (sshServerAddress !== undefined) out.sshServerAddress = sshServerAddress;
  if (cpu !== '') out.cpuModelName = cpu;
  return ok(out);
}
