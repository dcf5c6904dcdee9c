/** Main's handlers for the audit channels (shared/ipc/audit-contract.ts). */
import type { AUDIT_REQUESTS, AUDIT_STREAMS } from '../../../shared/ipc/audit-contract';
import type { IpcHandlers } from '../ipc/handlers';
import type { NetworkDeps } from './deps';

type Ids = (typeof AUDIT_REQUESTS)[number]['id'] | (typeof AUDIT_STREAMS)[number]['id'];
export type AuditHandlers = Pick<IpcHandlers, Extract<keyof IpcHandlers, Ids>>;

export function auditHandlers(_d: NetworkDeps): AuditHandlers {
  return {};
}
