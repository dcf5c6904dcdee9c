/** Main's handlers for the audit channels (shared/ipc/audit-contract.ts). */
import type { AUDIT_REQUESTS, AUDIT_STREAMS } from '../../../shared/ipc/audit-contract';
import { auditHost, auditTroubleshoot } from '../../../shared/ipc/audit-contract';
import type { IpcHandlers } from '../ipc/handlers';
import type { NetworkDeps } from './deps';
import { runHostAudit } from './audit-host';
import { runTroubleshoot } from './audit-troubleshoot';

type Ids = (typeof AUDIT_REQUESTS)[number]['id'] | (typeof AUDIT_STREAMS)[number]['id'];
export type AuditHandlers = Pick<IpcHandlers, Extract<keyof IpcHandlers, Ids>>;

export function auditHandlers(d: NetworkDeps): AuditHandlers {
  return {
    [auditHost.id]: (input) => runHostAudit(d, input),
    [auditTroubleshoot.id]: (input) => runTroubleshoot(d, input),
  };
}
