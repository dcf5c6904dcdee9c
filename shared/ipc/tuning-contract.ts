/** The tuning channels of the contract (spread into REQUESTS / STREAMS of shared/ipc/contract.ts). */
import type { AnyRequest, AnyStream } from './define';

export const TUNING_REQUESTS = [] as const satisfies readonly AnyRequest[];
export const TUNING_STREAMS = [] as const satisfies readonly AnyStream[];
