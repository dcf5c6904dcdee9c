/**
 * TCP buffers against the bandwidth-delay product: a single migration stream can keep at most its window in
 * flight, so to fill a link of S bit/s over a round trip of R seconds the buffers must hold S/8 x R bytes. The
 * kernel's autotuning grows a socket's buffers up to `net.ipv4.tcp_rmem`/`tcp_wmem`'s third value (QEMU sets no
 * SO_RCVBUF/SO_SNDBUF, so these are what bound a migration); `net.core.rmem_max`/`wmem_max` cap what a program may
 * ask for explicitly.
 */
import type { Result } from '../result';
import type { FerryError } from '../errors';
import type { SysctlValues, TcpBufferBytes } from '../parsers/sysctl';
import { formatBytes, formatBitsPerSecond, megabitsPerSecondToBytesPerSecond, SIZE_UNITS } from '../units';
import { errorFinding, finding, type Finding } from './types';
import { shLine } from '../shell/quote';

export const BUFFER_KEYS = ['net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem', 'net.core.rmem_max', 'net.core.wmem_max'] as const;
export type BufferKey = (typeof BUFFER_KEYS)[number];

/** Bytes in flight to fill a link of `linkMbps` megabit/s over `rttMs`. */
export function bandwidthDelayProduct(linkMbps: number, rttMs: number): number {
  // Rounded to a micro-byte first, so that float noise (10000 Mb/s x 0.07 ms = 87500.00000000001) does not add a byte.
  return Math.ceil(Number((megabitsPerSecondToBytesPerSecond(linkMbps) * (rttMs / 1000)).toFixed(6)));
}

/** The BDP rounded up to a whole MiB (at least 1 MiB): the value proposed when a buffer is short. */
export function proposedBufferBytes(bdpBytes: number): number {
  return Math.max(1, Math.ceil(bdpBytes / SIZE_UNITS.MiB)) * SIZE_UNITS.MiB;
}

export interface BdpInput {
  readonly linkMbps: number;
  readonly linkNic: string;
  readonly rttMs: number;
  readonly rttTarget: string;
}

const SYSCTL_D = '/etc/sysctl.d/90-ferry-migration.conf';

function maxOf(v: SysctlValues, key: BufferKey): { max: number; triple?: TcpBufferBytes } | undefined {
  switch (key) {
    case 'net.ipv4.tcp_rmem':
      return v.tcpRmemBytes && { max: v.tcpRmemBytes.max, triple: v.tcpRmemBytes };
    case 'net.ipv4.tcp_wmem':
      return v.tcpWmemBytes && { max: v.tcpWmemBytes.max, triple: v.tcpWmemBytes };
    case 'net.core.rmem_max':
      return v.coreRmemMaxBytes === undefined ? undefined : { max: v.coreRmemMaxBytes };
    case 'net.core.wmem_max':
      return v.coreWmemMaxBytes === undefined ? undefined : { max: v.coreWmemMaxBytes };
  }
}

export function tcpBufferFindings(sysctls: Result<SysctlValues, FerryError>, bdp: BdpInput): Finding[] {
  if (!sysctls.ok) return BUFFER_KEYS.map((k) => errorFinding('tcp-buffers', k, k, sysctls.error));
  const product = bandwidthDelayProduct(bdp.linkMbps, bdp.rttMs);
  const basis = `the bandwidth-delay product is ${formatBytes(product)} (${formatBitsPerSecond(bdp.linkMbps)} on ${bdp.linkNic} x ${bdp.rttMs.toFixed(3)} ms RTT to ${bdp.rttTarget})`;
  return BUFFER_KEYS.map((key) => {
    const got = maxOf(sysctls.value, key);
    if (got === undefined) {
      return finding('tcp-buffers', key, 'unsupported', key, `This kernel has no ${key}${sysctls.value.missing?.includes(key) ? '' : ' (sysctl did not print it)'}.`);
    }
    const shown = got.triple ? `${got.triple.min} ${got.triple.default} ${got.triple.max} (max ${formatBytes(got.max)})` : formatBytes(got.max);
    const facts = `${key} = ${shown}; ${basis}.`;
    if (got.max >= product) return finding('tcp-buffers', key, 'pass', key, facts);
    const next = proposedBufferBytes(product);
    const value = got.triple ? `${got.triple.min} ${got.triple.default} ${next}` : String(next);
    const why = got.triple
      ? 'autotuning stops there, so one migration stream cannot fill the link'
      : 'programs that set their socket buffers explicitly are capped there';
    return finding('tcp-buffers', key, 'warn', key, `${facts} It is below the BDP: ${why}.`, {
      fix: `${shLine`sysctl -w ${`${key}=${value}`}`}, and persist it as the line \`${key} = ${value}\` in ${SYSCTL_D}.`,
    });
  });
}
