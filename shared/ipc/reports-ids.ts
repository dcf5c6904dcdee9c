/**
 * The reports channel ids, spelled once: reports-contract.ts declares its channels with them and channels.ts lists them
 * for the preload (zod-free). Keys are the contract constants' names.
 */
export const REPORTS_REQUEST_IDS = {
  reportsList: 'ferry.reports.list',
  reportsGet: 'ferry.reports.get',
  reportsExport: 'ferry.reports.export',
  reportsImport: 'ferry.reports.import',
} as const;
export const REPORTS_STREAM_IDS = {} as const;
