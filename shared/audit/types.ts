/**
 * The host readiness audit: what it found, as data both processes share. Each finding has a status, one
 * sentence of facts and, when something should change, the fix with the exact place (the command, the file).
 * "Not supported" (a driver that has no ring settings) is its own status, never an error or a zero.
 */
import { z } from 'zod';
import type { FerryError } from '../errors';

export const FINDING_STATUSES = ['pass', 'warn', 'fail', 'unsupported'] as const;
export type FindingStatus = (typeof FINDING_STATUSES)[number];

export const AUDIT_CONCERNS = [
  'host',
  'nic-link',
  'nic-rings',
  'nic-offloads',
  'nic-driver',
  'nic-counters',
  'nic-kernel-log',
  'tcp-buffers',
  'clock',
  'bonding',
  'migration-network',
  'cpu-pinning',
  'storage-latency',
] as const;
export type AuditConcern = (typeof AUDIT_CONCERNS)[number];

/** How the panel groups findings, in this order. */
export const AUDIT_GROUPS: readonly { readonly id: string; readonly title: string; readonly concerns: readonly AuditConcern[] }[] = [
  { id: 'host', title: 'Host', concerns: ['host'] },
  { id: 'nics', title: 'Network interfaces', concerns: ['nic-link', 'nic-rings', 'nic-offloads', 'nic-driver', 'nic-counters', 'nic-kernel-log'] },
  { id: 'tcp', title: 'TCP buffers', concerns: ['tcp-buffers'] },
  { id: 'migration-network', title: 'Migration network', concerns: ['migration-network'] },
  { id: 'bonding', title: 'Bonding', concerns: ['bonding'] },
  { id: 'clock', title: 'Clock', concerns: ['clock'] },
  { id: 'cpu', title: 'CPU pinning', concerns: ['cpu-pinning'] },
  { id: 'storage', title: 'Storage latency', concerns: ['storage-latency'] },
];

export const findingSchema = z.object({
  /** Stable within one audit: `<concern>:<subject>`, e.g. `nic-rings:eth0`. */
  id: z.string().min(1),
  concern: z.enum(AUDIT_CONCERNS),
  /** What the finding is about: a NIC, a sysctl key, a bond, a VM, a disk, `host`. */
  subject: z.string(),
  status: z.enum(FINDING_STATUSES),
  /** A short title: "eth0 ring sizes". */
  title: z.string(),
  /** One sentence with the facts. */
  message: z.string(),
  /** What to change and where (absent when nothing needs to change). */
  fix: z.string().optional(),
  /** Raw evidence: the tool's own text, an error's detail. */
  detail: z.string().optional(),
});
export type Finding = z.infer<typeof findingSchema>;

export const skippedCheckSchema = z.object({ concern: z.enum(AUDIT_CONCERNS), reason: z.string() });
export type SkippedCheck = z.infer<typeof skippedCheckSchema>;

const hostRef = z.object({ id: z.string(), name: z.string() });

export const hostAuditSchema = z.object({
  host: hostRef,
  peer: hostRef.optional(),
  vm: z.string().optional(),
  /** Wall-clock ms since the epoch when the audit started, and how long it took. */
  startedAt: z.number(),
  durationMs: z.number().nonnegative(),
  /** The NICs audited, in the host's order. */
  nics: z.array(z.string()),
  /** The figures the TCP buffer check used. */
  figures: z.object({
    rttMs: z.number().nonnegative().optional(),
    rttTarget: z.string().optional(),
    linkMbps: z.number().nonnegative().optional(),
    linkNic: z.string().optional(),
    bdpBytes: z.number().nonnegative().optional(),
  }),
  findings: z.array(findingSchema),
  /** Checks that did not run, and why (no peer chosen, no VM chosen). */
  skipped: z.array(skippedCheckSchema),
});
export type HostAudit = z.infer<typeof hostAuditSchema>;

/** A finding for a check that could not run because a command failed (the host did not answer, a tool is missing). */
export function errorFinding(concern: AuditConcern, subject: string, title: string, error: FerryError): Finding {
  const f: Finding = {
    id: `${concern}:${subject}`,
    concern,
    subject,
    status: 'fail',
    title,
    message: `Not checked: ${error.message}`,
    fix: fixForError(error),
  };
  return error.detail === undefined ? f : { ...f, detail: error.detail };
}

function fixForError(error: FerryError): string {
  switch (error.code) {
    case 'command.not-found':
      return 'Install the missing tool on the host (Debian: apt-get install ethtool iproute2 util-linux procps), then run the audit again.';
    case 'command.timeout':
      return 'The host answered too slowly; check its load and run the audit again.';
    default:
      return error.code.startsWith('ssh.') ? 'Check the host’s connection in its Host details tab, then run the audit again.' : 'Read the detail below; run the audit again once the host answers.';
  }
}

/** Builds a finding without `undefined` optional fields. */
export function finding(
  concern: AuditConcern,
  subject: string,
  status: FindingStatus,
  title: string,
  message: string,
  extra: { fix?: string | undefined; detail?: string | undefined } = {},
): Finding {
  const f: Finding = { id: `${concern}:${subject}`, concern, subject, status, title, message };
  return {
    ...f,
    ...(extra.fix === undefined ? {} : { fix: extra.fix }),
    ...(extra.detail === undefined ? {} : { detail: extra.detail }),
  };
}
