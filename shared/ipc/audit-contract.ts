/** The audit channels of the contract (spread into REQUESTS / STREAMS of shared/ipc/contract.ts). */
import { z } from 'zod';
import { request, type AnyRequest, type AnyStream } from './define';
import { AUDIT_REQUEST_IDS } from './audit-ids';
import { isDomainName } from '../commands/domain-name';
import { hostAuditSchema } from '../audit/types';
import { troubleshootReportSchema } from '../audit/troubleshoot';

const hostId = z.string().min(1).max(100);
/** A libvirt domain name as libvirt accepts it (shared/commands/domain-name.ts, the one rule). */
const vmName = z.string().refine(isDomainName, "A domain name as libvirt accepts it: not empty, no '/', no line break, at most 251 bytes.");

/**
 * Audits a host's readiness for live migration: its NICs, TCP buffers against the bandwidth-delay product to the
 * peer, clock sync, bonds, the migration network towards the peer, and (with a VM) CPU pinning and storage latency.
 * Read-only. A command that fails becomes a finding with its error, not a failed request.
 */
export const auditHost = request(
  AUDIT_REQUEST_IDS.auditHost,
  z.object({ hostId, peerHostId: hostId.optional(), vm: vmName.optional() }).strict().refine((i) => i.peerHostId !== i.hostId, { message: 'The peer must be another host.', path: ['peerHostId'] }),
  hostAuditSchema,
);

/** The troubleshooting panel: a VM's QEMU log tail, NIC errors in the kernel log, the last failed migration's samples. */
export const auditTroubleshoot = request(AUDIT_REQUEST_IDS.auditTroubleshoot, z.object({ hostId, vm: vmName.optional() }).strict(), troubleshootReportSchema);

export const AUDIT_REQUESTS = [auditHost, auditTroubleshoot] as const satisfies readonly AnyRequest[];
export const AUDIT_STREAMS = [] as const satisfies readonly AnyStream[];
