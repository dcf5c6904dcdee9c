/** Main's handlers for the path channels (shared/ipc/path-contract.ts). */
import type { PATH_REQUESTS, PATH_STREAMS } from '../../../shared/ipc/path-contract';
import type { IpcHandlers } from '../ipc/handlers';
import type { NetworkDeps } from './deps';

type Ids = (typeof PATH_REQUESTS)[number]['id'] | (typeof PATH_STREAMS)[number]['id'];
export type PathHandlers = Pick<IpcHandlers, Extract<keyof IpcHandlers, Ids>>;

export function pathHandlers(_d: NetworkDeps): PathHandlers {
  return {};
}
