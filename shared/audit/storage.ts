/**
 * Storage latency of the devices behind a VM's disks, as iostat -x would show it, from two /proc/diskstats reads:
 *   await = (ms spent reading + writing) / (reads + writes completed) in the interval
 *   util  = ms the device had I/O in flight / interval ms x 100
 * A migration with --copy-storage-all, or a guest whose writes stall on a saturated device, converges slower.
 */
import type { Result } from '../result';
import type { FerryError } from '../errors';
import type { DomainBlockDevice } from '../parsers/virsh-domblklist';
import type { BackingState, DiskCounters, DiskstatsSnapshot } from '../parsers/storage';
import { errorFinding, finding, type Finding } from './types';
import { shLine } from '../shell/quote';

export const AWAIT_WARN_MS = 20;
export const UTIL_WARN_PERCENT = 80;

export interface DeviceLatency {
  readonly device: string;
  readonly intervalSeconds: number;
  readonly reads: number;
  readonly writes: number;
  /** Undefined when no I/O completed in the interval (nothing to time). */
  readonly awaitMs?: number;
  readonly utilPercent: number;
}

/** Latency of one device between two snapshots; undefined when the device is missing from either or time did not move. */
export function deviceLatency(before: DiskstatsSnapshot, after: DiskstatsSnapshot, major: number, minor: number): DeviceLatency | undefined {
  const find = (s: DiskstatsSnapshot): DiskCounters | undefined => s.disks.find((d) => d.major === major && d.minor === minor);
  const a = find(before);
  const b = find(after);
  const dt = after.uptimeSeconds - before.uptimeSeconds;
  if (a === undefined || b === undefined || !(dt > 0)) return undefined;
  const reads = b.readsCompleted - a.readsCompleted;
  const writes = b.writesCompleted - a.writesCompleted;
  const ms = b.readMs - a.readMs + (b.writeMs - a.writeMs);
  const ios = reads + writes;
  if (reads < 0 || writes < 0 || ms < 0 || b.ioMs < a.ioMs) return undefined; // counters reset (device re-added)
  const util = Math.min(100, ((b.ioMs - a.ioMs) / (dt * 1000)) * 100);
  const out: DeviceLatency = { device: b.name, intervalSeconds: dt, reads, writes, utilPercent: util };
  return ios > 0 ? { ...out, awaitMs: ms / ios } : out;
}

export interface StorageInput {
  readonly vm: string;
  readonly disks: Result<readonly DomainBlockDevice[], FerryError>;
  /** Absent when no disk had a local source to map. */
  readonly backing?: Result<readonly BackingState[], FerryError>;
  readonly snapshots?: Result<readonly DiskstatsSnapshot[], FerryError>;
}

export function storageFindings(i: StorageInput): Finding[] {
  const title = (d: string) => `Storage behind ${i.vm} ${d}`;
  if (!i.disks.ok) return [errorFinding('storage-latency', i.vm, `Storage behind ${i.vm}`, i.disks.error)];
  const disks = i.disks.value.filter((d) => d.source !== undefined);
  if (disks.length === 0) {
    return [finding('storage-latency', i.vm, 'pass', `Storage behind ${i.vm}`, `${i.vm} has no disk with a source (${i.disks.value.length === 0 ? 'a diskless guest, e.g. kernel and initrd boot' : 'only empty drives'}): no storage to measure.`)];
  }
  const out: Finding[] = [];
  for (const d of disks) {
    const subject = `${i.vm}/${d.target}`;
    const t = title(d.target);
    const src = d.source ?? '';
    if (d.type !== 'file' && d.type !== 'block') {
      out.push(finding('storage-latency', subject, 'unsupported', t, `${d.target} is a ${d.type} disk (${src}): its latency is not visible in this host's /proc/diskstats.`));
      continue;
    }
    if (i.backing === undefined || !i.backing.ok) {
      out.push(errorFinding('storage-latency', subject, t, i.backing?.ok === false ? i.backing.error : { code: 'command.failed', message: 'the backing device was not looked up.' }));
      continue;
    }
    const b = i.backing.value.find((x) => x.path === src);
    if (b === undefined) {
      out.push(finding('storage-latency', subject, 'fail', t, `Not checked: the backing probe said nothing about ${src}.`));
      continue;
    }
    if (b.kind === 'missing') {
      out.push(finding('storage-latency', subject, 'fail', t, `${d.target}'s source ${src} does not exist on this host.`, { fix: `Check the path in the domain definition (${shLine`virsh domblklist --domain ${i.vm} --details`}) and the storage it should be on.` }));
      continue;
    }
    const where = b.kind === 'file' ? `${src} on ${b.source} (${b.fstype}, mounted at ${b.mountpoint})` : src;
    if (b.major === 0) {
      out.push(finding('storage-latency', subject, 'unsupported', t, `${where} is not on a block device (${b.kind === 'file' ? b.fstype : 'no device'}): /proc/diskstats has no figures for it.`));
      continue;
    }
    if (i.snapshots === undefined || !i.snapshots.ok) {
      out.push(errorFinding('storage-latency', subject, t, i.snapshots?.ok === false ? i.snapshots.error : { code: 'command.failed', message: 'the disk counters were not read.' }));
      continue;
    }
    const snaps = i.snapshots.value;
    const first = snaps[0];
    const last = snaps[snaps.length - 1];
    const lat = first && last ? deviceLatency(first, last, b.major, b.minor) : undefined;
    if (lat === undefined) {
      out.push(finding('storage-latency', subject, 'unsupported', t, `${where}: device ${b.major}:${b.minor} is not in /proc/diskstats (or its counters were reset), so there is no latency figure.`));
      continue;
    }
    const awaitText = lat.awaitMs === undefined ? 'await - (no I/O completed in the interval)' : `await ${lat.awaitMs.toFixed(2)} ms over ${lat.reads + lat.writes} I/Os`;
    const facts = `${where}, device ${lat.device}: ${awaitText}, utilisation ${lat.utilPercent.toFixed(1)} % over ${lat.intervalSeconds.toFixed(2)} s.`;
    const slow = lat.awaitMs !== undefined && lat.awaitMs > AWAIT_WARN_MS;
    const busy = lat.utilPercent > UTIL_WARN_PERCENT;
    if (!slow && !busy) {
      out.push(finding('storage-latency', subject, 'pass', t, facts));
      continue;
    }
    out.push(
      finding('storage-latency', subject, 'warn', t, `${facts} ${[slow ? `await above ${AWAIT_WARN_MS} ms` : '', busy ? `utilisation above ${UTIL_WARN_PERCENT} %` : ''].filter(Boolean).join(' and ')}.`, {
        fix: `Find what else uses ${lat.device} (iotop, or /proc/diskstats of the other devices) and move it, or put ${i.vm}'s disk on faster storage before migrating with --copy-storage-all.`,
      }),
    );
  }
  return out;
}
