/**
 * The troubleshooting panel's data (ferry.audit.troubleshoot): a VM's QEMU log tail (`tail -n 200 --
 * /var/log/libvirt/qemu/<vm>.log`, the name validated and passed as one argv element), recent NIC errors from the
 * kernel log (records naming an audited NIC or its driver), and the last samples of the most recent failed migration
 * from this host, from the migration journal (read-only). Each part carries its own error.
 */
import { ok, type Result } from '../../../shared/result';
import type { FerryError } from '../../../shared/errors';
import { ethtoolDriver, ipLink } from '../../../shared/commands/network';
import { kernelLog, qemuLogPath, qemuLogTail } from '../../../shared/commands/audit';
import { auditedNics } from '../../../shared/audit/nic';
import { nicKernelMessages } from '../../../shared/audit/kernel-log';
import type { TroubleshootReport } from '../../../shared/audit/troubleshoot';
import { runOn, type AuditDeps } from './audit-host';
import { readLastFailedMigration } from './audit-journal';

export const LOG_LINES = 200;

export interface TroubleshootRequest {
  readonly hostId: string;
  readonly vm?: string | undefined;
}

export async function runTroubleshoot(d: AuditDeps & { readonly dataDir: string }, req: TroubleshootRequest): Promise<Result<TroubleshootReport, FerryError>> {
  const src = d.access(req.hostId);
  if (!src.ok) return src;
  const host = src.value.host;
  const runner = src.value.runner;
  const logP =
    req.vm === undefined
      ? undefined
      : (async (vm: string) => {
          const path = qemuLogPath(vm);
          if (!path.ok) return path;
          const tail = await runOn(runner, qemuLogTail(vm, LOG_LINES));
          if (!tail.ok) return tail;
          return ok({ vm, path: path.value, exists: tail.value.exists, lines: tail.value.exists ? [...tail.value.lines] : [], requested: LOG_LINES });
        })(req.vm);
  const nicP = (async () => {
    const [links, klog] = await Promise.all([runOn(runner, ipLink()), runOn(runner, kernelLog())]);
    if (!links.ok) return links;
    if (!klog.ok) return klog;
    const nics = auditedNics(links.value).map((l) => l.ifname);
    const drivers = await Promise.all(nics.map(async (name) => {
      const dr = await runOn(runner, ethtoolDriver(name));
      return { name, driver: dr.ok ? dr.value.driver : undefined };
    }));
    return ok({ nics, lines: nicKernelMessages(klog.value, drivers, 50) });
  })();
  const failedP = readLastFailedMigration(d.dataDir, host.record.id, req.vm);
  const [log, nicErrors, failedMigration] = await Promise.all([logP, nicP, failedP]);
  return ok({
    host: { id: host.record.id, name: host.record.name },
    ...(req.vm === undefined ? {} : { vm: req.vm }),
    ...(log === undefined ? {} : { log }),
    nicErrors,
    failedMigration,
  });
}
