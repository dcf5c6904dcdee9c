/**
 * The audit channel ids as plain strings (zod-free, for the preload through channels.ts). Kept equal to
 * shared/ipc/audit-contract.ts by test/unit/ipc-channels.test.ts.
 */
export const AUDIT_REQUEST_CHANNELS = ['ferry.audit.host', 'ferry.audit.troubleshoot'] as const;
export const AUDIT_STREAM_CHANNELS = [] as const;
