/** The audit channels of the contract (spread into REQUESTS / STREAMS of shared/ipc/contract.ts). */
import { z } from 'zod';
import { request, type AnyRequest, type AnyStream } from './define';
import { hostAuditSchema } from '../audit/types';
import { troubleshootReportSchema } from '../audit/troubleshoot';

const hostId = z.string().min(1).max(100);
/** A libvirt domain name as the audit accepts it (shared/commands/audit.ts checkVmName says the same in main). */
const vmName = z
  .string()
  .min(1)
  .max(200)
  .refine((s) => !/[/\u0000-\u001f\u007f]/.test(s) && !/^[-.]/.test(s), 'A domain name has no "/" or control characters and does not start with "-" or ".".');

/**
 * Audits a host's readiness for live migration: its NICs, TCP buffers against the bandwidth-delay product to the
 * peer, clock sync, bonds, the migration network towards the peer, and (with a VM) CPU pinning and storage latency.
 * Read-only. A command that fails becomes a finding with its error, not a failed request.
 */
export const auditHost = request(
  'ferry.audit.host',
  z.object({ hostId, peerHostId: hostId.optional(), vm: vmName.optional() }).strict().refine((i) => i.peerHostId !== i.hostId, { message: 'The peer must be another host.', path: ['peerHostId'] }),
  hostAuditSchema,
);

/** The troubleshooting panel: a VM's QEMU log tail, NIC errors in the kernel log, the last failed migration's samples. */
export const auditTroubleshoot = request('ferry.audit.troubleshoot', z.object({ hostId, vm: vmName.optional() }).strict(), troubleshootReportSchema);

export const AUDIT_REQUESTS = [auditHost, auditTroubleshoot] as const satisfies readonly AnyRequest[];
export const AUDIT_STREAMS = [] as const satisfies readonly AnyStream[];
