/**
 * The path channel ids as plain strings (zod-free, for the preload through channels.ts). Kept equal to
 * shared/ipc/path-contract.ts by test/unit/ipc-channels.test.ts.
 */
export const PATH_REQUEST_CHANNELS = ['ferry.path.check'] as const;
export const PATH_STREAM_CHANNELS = [] as const;
