/** The reports channels of the contract (spread into REQUESTS / STREAMS of shared/ipc/contract.ts). */
import type { AnyRequest, AnyStream } from './define';

export const REPORTS_REQUESTS = [] as const satisfies readonly AnyRequest[];
export const REPORTS_STREAMS = [] as const satisfies readonly AnyStream[];
