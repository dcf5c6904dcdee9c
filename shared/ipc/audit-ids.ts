/**
 * The audit channel ids, spelled once: audit-contract.ts declares its channels with them and channels.ts lists them for
 * the preload (zod-free). Keys are the contract constants' names.
 */
export const AUDIT_REQUEST_IDS = {
  auditHost: 'ferry.audit.host',
  auditTroubleshoot: 'ferry.audit.troubleshoot',
} as const;
export const AUDIT_STREAM_IDS = {} as const;
