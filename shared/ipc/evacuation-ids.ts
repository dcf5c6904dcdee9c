/**
 * The evacuation channel ids, spelled once: evacuation-contract.ts declares its channels with them and channels.ts
 * lists them for the preload (zod-free). Keys are the contract constants' names.
 */
export const EVACUATION_REQUEST_IDS = {
  setMaintenance: 'ferry.evacuation.setMaintenance',
  evacuationPlan: 'ferry.evacuation.plan',
  evacuationStart: 'ferry.evacuation.start',
  evacuationControl: 'ferry.evacuation.control',
  evacuationExport: 'ferry.evacuation.export',
} as const;
export const EVACUATION_STREAM_IDS = {
  evacuationsWatch: 'ferry.evacuation.watch',
} as const;
