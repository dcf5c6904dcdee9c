/** Main's handlers for the tuning channels (shared/ipc/tuning-contract.ts). */
import type { TUNING_REQUESTS, TUNING_STREAMS } from '../../../shared/ipc/tuning-contract';
import type { IpcHandlers } from '../ipc/handlers';
import type { NetworkDeps } from './deps';

type Ids = (typeof TUNING_REQUESTS)[number]['id'] | (typeof TUNING_STREAMS)[number]['id'];
export type TuningHandlers = Pick<IpcHandlers, Extract<keyof IpcHandlers, Ids>>;

export function tuningHandlers(_d: NetworkDeps): TuningHandlers {
  return {};
}
