/**
 * One pre-flight check's result, as main runs it, the start answers it, the record keeps it and the dialog and the
 * reports show it. `skipped` is its own status: a check that did not run is never shown as a pass.
 */
import { z } from 'zod';

export const PREFLIGHT_STATUSES = ['pass', 'warn', 'fail', 'skipped'] as const;
export type PreflightStatus = (typeof PREFLIGHT_STATUSES)[number];

export const preflightResultSchema = z.object({
  /** Which check (p2p, versions, cpu, name, memory, storage, ports, mtu, tls, rdma). */
  check: z.string().min(1),
  title: z.string().optional(),
  status: z.enum(PREFLIGHT_STATUSES),
  /** A sentence with the facts. */
  message: z.string(),
  /** What to do, and where. */
  fix: z.string().optional(),
  /** Raw evidence: libvirt's text, a command's output. */
  detail: z.string().optional(),
  /** A failure that is not certain (a timed-out probe, an MTU flag): the admin may start anyway after confirming. */
  overridable: z.boolean().optional(),
  /** One click that fixes it: `offline` = --offline --persistent instead of a live migration. */
  remedy: z.enum(['offline']).optional(),
  /** In a record: the admin started despite this failed check, confirmed in these words, accepted by main at `at`. */
  override: z.object({ at: z.number(), confirmation: z.string() }).optional(),
});
export type PreflightResultView = z.infer<typeof preflightResultSchema>;
