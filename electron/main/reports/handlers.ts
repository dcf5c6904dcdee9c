/** Main's handlers for the reports channels (shared/ipc/reports-contract.ts). */
import type { REPORTS_REQUESTS, REPORTS_STREAMS } from '../../../shared/ipc/reports-contract';
import type { IpcHandlers } from '../ipc/handlers';

type Ids = (typeof REPORTS_REQUESTS)[number]['id'] | (typeof REPORTS_STREAMS)[number]['id'];
export type ReportsHandlers = Pick<IpcHandlers, Extract<keyof IpcHandlers, Ids>>;

export interface ReportsDeps {
  readonly dataDir: string;
  readonly wallClock: () => number;
}

export function reportsHandlers(_d: ReportsDeps): ReportsHandlers {
  return {};
}
