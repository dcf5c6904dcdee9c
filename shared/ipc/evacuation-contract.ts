/**
 * The evacuation channels of the contract (spread into REQUESTS / STREAMS of shared/ipc/contract.ts): maintenance
 * mode on a host, the plan to empty it, the run under per-host limits, its controls, its live view and its report.
 */
import { z } from 'zod';
import { request, stream, type AnyRequest, type AnyStream } from './define';
import { EVACUATION_REQUEST_IDS, EVACUATION_STREAM_IDS } from './evacuation-ids';
import { reportsExport, REPORT_FORMATS } from './reports-contract';
import {
  EVACUATION_CONTROLS,
  evacuationLimitsSchema,
  evacuationPlanSchema,
  evacuationViewSchema,
} from '../evacuation/schema';

const hostId = z.string().min(1).max(100);
const evacuationId = z.string().min(1).max(100);

/**
 * Maintenance mode: while on, the host is offered as a destination to nobody (the migrate dialog, a drop, a plan).
 * Kept with the host in the inventory, so it survives a restart. Answers the host's maintenance mark.
 */
export const setMaintenance = request(
  EVACUATION_REQUEST_IDS.setMaintenance,
  z.object({ hostId, on: z.boolean() }).strict(),
  z.object({ hostId, maintenance: z.object({ since: z.string() }).strict().optional() }),
);

/**
 * The plan to empty a host: every VM on it with a destination, options and prediction, problem rows first. Nothing
 * moves. Without `limits`, the defaults (2 per source, 2 per destination).
 */
export const evacuationPlan = request(
  EVACUATION_REQUEST_IDS.evacuationPlan,
  z.object({ hostId, limits: evacuationLimitsSchema.optional() }).strict(),
  evacuationPlanSchema,
);

/**
 * Runs a plan as the admin left it (rows changed in the dialog included). Main re-checks every row against the
 * inventory (a destination in maintenance or gone, the same host) and refuses the whole plan with the reasons rather
 * than start part of it.
 */
export const evacuationStart = request(
  EVACUATION_REQUEST_IDS.evacuationStart,
  z.object({ plan: evacuationPlanSchema }).strict(),
  z.object({ id: evacuationId }),
);

/** pause: running ones finish, nothing new starts; resume; cancel-rest: queued rows cancelled; abort-all: also aborts running ones. */
export const evacuationControl = request(
  EVACUATION_REQUEST_IDS.evacuationControl,
  z.object({ id: evacuationId, action: z.enum(EVACUATION_CONTROLS) }).strict(),
  z.object({ id: evacuationId }),
);

/** The evacuation's report: a row per VM (destination, options, predicted vs actual, downtime, result). */
export const evacuationExport = request(
  EVACUATION_REQUEST_IDS.evacuationExport,
  z.object({ id: evacuationId, format: z.enum(REPORT_FORMATS) }).strict(),
  reportsExport.output,
);

/** Every evacuation not ended, and the newest ended ones; the whole list again on every change. */
export const evacuationsWatch = stream(
  EVACUATION_STREAM_IDS.evacuationsWatch,
  z.object({}).strict(),
  z.object({ evacuations: z.array(evacuationViewSchema) }),
);

export const EVACUATION_REQUESTS = [
  setMaintenance,
  evacuationPlan,
  evacuationStart,
  evacuationControl,
  evacuationExport,
] as const satisfies readonly AnyRequest[];
export const EVACUATION_STREAMS = [evacuationsWatch] as const satisfies readonly AnyStream[];
