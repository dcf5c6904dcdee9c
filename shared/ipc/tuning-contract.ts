/** The tuning channels of the contract (spread into REQUESTS / STREAMS of shared/ipc/contract.ts). */
import { z } from 'zod';
import { request, type AnyRequest, type AnyStream } from './define';
import { TUNING_REQUEST_IDS } from './tuning-ids';
import { changeSetSummarySchema, tuningPlanSchema, tuningRunResultSchema } from '../tuning/types';

const hostId = z.string().min(1).max(100);
const id = z.string().min(1).max(100);

/**
 * Reads the host's current values over SSH and proposes changes (nothing is changed). With a peer, the NICs are the
 * ones this host routes to the peer over, and the path MTU and RTT are measured with bounded pings; the optional
 * figures replace or add what cannot be measured (the path MTU beyond this NIC's own MTU, a WAN's RTT, a link speed
 * the driver does not report).
 */
export const tuningPlan = request(
  TUNING_REQUEST_IDS.tuningPlan,
  z
    .object({
      hostId,
      peerHostId: hostId.optional(),
      pathMtuBytes: z.number().int().min(576).max(65535).optional(),
      rttMs: z.number().positive().max(10_000).optional(),
      linkSpeedMbps: z.number().positive().max(1_600_000).optional(),
    })
    .strict(),
  tuningPlanSchema,
);

/** Applies the chosen changes of a plan; previous values are on disk before the first command runs. */
export const tuningApply = request(
  TUNING_REQUEST_IDS.tuningApply,
  z.object({ hostId, planId: id, changeIds: z.array(id).min(1).max(100), persist: z.boolean() }).strict(),
  tuningRunResultSchema,
);

/** Puts every change of a change set back to its previous value (also after a restart). */
export const tuningUndo = request(TUNING_REQUEST_IDS.tuningUndo, z.object({ hostId, changeSetId: id }).strict(), tuningRunResultSchema);

/** The host's change sets, newest first. */
export const tuningHistory = request(TUNING_REQUEST_IDS.tuningHistory, z.object({ hostId }).strict(), z.array(changeSetSummarySchema));

export const TUNING_REQUESTS = [tuningPlan, tuningApply, tuningUndo, tuningHistory] as const satisfies readonly AnyRequest[];
export const TUNING_STREAMS = [] as const satisfies readonly AnyStream[];
