/** How the audit panel presents a HostAudit: findings grouped (AUDIT_GROUPS order), with counts per status. Pure. */
import { AUDIT_GROUPS, FINDING_STATUSES, type Finding, type FindingStatus, type HostAudit, type SkippedCheck } from './types';

export const STATUS_LABEL: Readonly<Record<FindingStatus, string>> = { pass: 'Pass', warn: 'Warning', fail: 'Fail', unsupported: 'Not supported' };

export interface FindingGroup {
  readonly id: string;
  readonly title: string;
  readonly findings: readonly Finding[];
  readonly skipped: readonly SkippedCheck[];
  /** The worst status in the group (fail > warn > unsupported > pass); undefined when it holds only skipped checks. */
  readonly worst?: FindingStatus;
}

const RANK: Readonly<Record<FindingStatus, number>> = { fail: 3, warn: 2, unsupported: 1, pass: 0 };

export function groupFindings(audit: HostAudit): FindingGroup[] {
  const out: FindingGroup[] = [];
  for (const g of AUDIT_GROUPS) {
    const findings = audit.findings.filter((f) => g.concerns.includes(f.concern));
    const skipped = audit.skipped.filter((s) => g.concerns.includes(s.concern));
    if (findings.length === 0 && skipped.length === 0) continue;
    const worst = findings.reduce<FindingStatus | undefined>((w, f) => (w === undefined || RANK[f.status] > RANK[w] ? f.status : w), undefined);
    out.push(worst === undefined ? { id: g.id, title: g.title, findings, skipped } : { id: g.id, title: g.title, findings, skipped, worst });
  }
  return out;
}

export function statusCounts(findings: readonly Finding[]): Record<FindingStatus, number> {
  const c = Object.fromEntries(FINDING_STATUSES.map((s) => [s, 0])) as Record<FindingStatus, number>;
  for (const f of findings) c[f.status] += 1;
  return c;
}
