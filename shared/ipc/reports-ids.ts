/**
 * The reports channel ids as plain strings (zod-free, for the preload through channels.ts). Kept equal to
 * shared/ipc/reports-contract.ts by test/unit/ipc-channels.test.ts.
 */
export const REPORTS_REQUEST_CHANNELS = ['ferry.reports.list', 'ferry.reports.get', 'ferry.reports.export', 'ferry.reports.import'] as const;
export const REPORTS_STREAM_CHANNELS = [] as const;
