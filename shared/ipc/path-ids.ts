/**
 * The path channel ids, spelled once: path-contract.ts declares its channels with them and channels.ts lists them for
 * the preload (zod-free). Keys are the contract constants' names.
 */
export const PATH_REQUEST_IDS = {
  pathCheck: 'ferry.path.check',
} as const;
export const PATH_STREAM_IDS = {} as const;
