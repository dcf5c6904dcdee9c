/**
 * The tuning channel ids as plain strings (zod-free, for the preload through channels.ts). Kept equal to
 * shared/ipc/tuning-contract.ts by test/unit/ipc-channels.test.ts.
 */
export const TUNING_REQUEST_CHANNELS = ['ferry.tuning.plan', 'ferry.tuning.apply', 'ferry.tuning.undo', 'ferry.tuning.history'] as const;
export const TUNING_STREAM_CHANNELS = [] as const;
