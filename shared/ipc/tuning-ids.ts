/**
 * The tuning channel ids, spelled once: tuning-contract.ts declares its channels with them and channels.ts lists them for
 * the preload (zod-free). Keys are the contract constants' names.
 */
export const TUNING_REQUEST_IDS = {
  tuningPlan: 'ferry.tuning.plan',
  tuningApply: 'ferry.tuning.apply',
  tuningUndo: 'ferry.tuning.undo',
  tuningHistory: 'ferry.tuning.history',
} as const;
export const TUNING_STREAM_IDS = {} as const;
