/** The path channels of the contract (spread into REQUESTS / STREAMS of shared/ipc/contract.ts). */
import { z } from 'zod';
import { request, type AnyRequest, type AnyStream } from './define';
import { PATH_REQUEST_IDS } from './path-ids';
import { pathReportSchema } from '../network/path-report';

const hostId = z.string().min(1).max(100);

/**
 * The network path between two hosts (shared/network/path-report.ts): each end's interface, the largest DF packet
 * that passes, the hops and where the path MTU drops, flags with their fixes, and the migration ports. Without
 * `address` it probes the destination's management address and every migration-network address the source reaches
 * directly; with one, that address only. Nothing is changed on the hosts.
 */
export const pathCheck = request(
  PATH_REQUEST_IDS.pathCheck,
  z
    .object({
      sourceHostId: hostId,
      destinationHostId: hostId,
      address: z
        .string()
        .min(1)
        .max(45)
        .regex(/^[0-9A-Fa-f.:]+$/, 'An address to probe is an IPv4 or IPv6 address.')
        .optional(),
    })
    .strict()
    .refine((i) => i.sourceHostId !== i.destinationHostId, { message: 'Pick two different hosts.', path: ['destinationHostId'] }),
  pathReportSchema,
);

export const PATH_REQUESTS = [pathCheck] as const satisfies readonly AnyRequest[];
export const PATH_STREAMS = [] as const satisfies readonly AnyStream[];
