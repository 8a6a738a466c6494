import type { CheckReport } from './types.js';

export type Severity = 'none' | 'low' | 'medium' | 'high' | 'critical';

const ORDER: Severity[] = ['none', 'low', 'medium', 'high', 'critical'];

export interface SeverityVerdict {
  severity: Severity;
  affected: string[];
  total: number;
  reason: string;
}

/**
 * The runbook's decision matrix as code. A service is affected when any of its checks fails; a
 * failing check tied to no service affects the whole platform. Share of affected services:
 * all → critical, more than 50% → high, 10–50% → medium, under 10% → low, none → none.
 * A firing alert labelled severity=critical makes it at least high.
 */
export function gradeSeverity(reports: CheckReport[], services: string[]): SeverityVerdict {
  const failed = reports.filter((r) => r.status === 'fail');
  const platformWide = failed.filter((r) => !r.service && !r.affects?.length);
  const known = new Set([...services, ...reports.map((r) => r.service).filter((s): s is string => Boolean(s))]);
  const affected = new Set<string>();
  for (const r of failed) {
    for (const s of r.affects ?? (r.service ? [r.service] : [])) affected.add(s);
  }
  for (const s of affected) known.add(s);
  const total = known.size;
  let severity: Severity;
  let reason: string;
  if (failed.length === 0) {
    severity = 'none';
    reason = 'every check passed';
  } else if (platformWide.length > 0 || total === 0 || affected.size >= total) {
    severity = 'critical';
    reason = platformWide.length > 0 ? `platform-wide check(s) failed: ${platformWide.map((r) => r.name).join(', ')} (all users)` : `all ${total} service(s) affected`;
  } else {
    const share = affected.size / total;
    severity = share > 0.5 ? 'high' : share >= 0.1 ? 'medium' : 'low';
    reason = `${affected.size} of ${total} services affected (${Math.round(share * 100)}%): ${[...affected].join(', ')}`;
  }
  const critical = failed.find((r) => r.criticalAlert);
  if (critical && ORDER.indexOf(severity) < ORDER.indexOf('high')) {
    severity = 'high';
    reason += `; a firing alert labelled severity=critical (${critical.name}) makes it at least high`;
  }
  return { severity, affected: platformWide.length ? [...known] : [...affected], total, reason };
}

/** The runbook's matrix: who approves and how fast, by severity. */
export const DECISION_MATRIX: Record<Exclude<Severity, 'none'>, { impact: string; action: string; approval: string; deadlineMinutes: number | null }> = {
  critical: { impact: 'All users', action: 'Immediate rollback', approval: 'CTO/Lead Engineer', deadlineMinutes: 0 },
  high: { impact: '>50% users', action: 'Rollback within 15 min', approval: 'Team Lead', deadlineMinutes: 15 },
  medium: { impact: '<50% users', action: 'Rollback within 1 hour', approval: 'On-call Engineer', deadlineMinutes: 60 },
  low: { impact: '<10% users', action: 'Scheduled rollback', approval: 'Team decision', deadlineMinutes: null },
};
