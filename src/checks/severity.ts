import type { CheckReport } from './types.js';

export type Severity = 'none' | 'low' | 'medium' | 'high' | 'critical';

const ORDER: Severity[] = ['none', 'low', 'medium', 'high', 'critical'];

export interface SeverityVerdict {
  severity: Severity;
  affected: string[];
  total: number;
  reason: string;
  /** Every rule that decided the verdict, in the order applied, for the summary. */
  rules: string[];
}

/** The platform a verdict is measured against: its services, and where that list came from. */
export interface Platform {
  services: string[];
  source: string;
}

function byShare(affected: number, total: number): Severity {
  if (affected === 0) return 'none';
  if (affected >= total) return 'critical';
  const share = affected / total;
  return share > 0.5 ? 'high' : share >= 0.1 ? 'medium' : 'low';
}

function raise(severity: Severity, to: Severity): Severity {
  return ORDER.indexOf(to) > ORDER.indexOf(severity) ? to : severity;
}

/**
 * The runbook's decision matrix as code, by impact on the platform: the share of the platform's
 * services affected (all → critical, >50% → high, 10–50% → medium, <10% → low). A failing
 * dependency of no service (database, Redis, TCP) affects all users. Signals (smoke tests, alerts
 * on services outside the run, App Insights counts, queries) raise the severity one level at most;
 * a firing alert labelled severity=critical makes it at least high.
 */
export function gradeSeverity(reports: CheckReport[], platform: Platform): SeverityVerdict {
  const failed = reports.filter((r) => r.status === 'fail');
  const dependencies = failed.filter((r) => !r.signal && !r.service && !r.affects?.length);
  const signals = failed.filter((r) => r.signal && !r.affects?.length);
  const affected = new Set<string>();
  for (const r of failed) for (const s of r.affects ?? (r.service && !r.signal ? [r.service] : [])) affected.add(s);
  const known = new Set([...platform.services, ...affected]);
  const total = known.size;
  const rules: string[] = [];
  if (failed.length === 0) return { severity: 'none', affected: [], total, reason: 'every check passed', rules: ['every check passed → none'] };
  let severity: Severity;
  if (dependencies.length) {
    severity = 'critical';
    rules.push(`platform-wide dependency failed (${dependencies.map((r) => r.name).join(', ')}): all users → critical`);
  } else {
    severity = byShare(affected.size, Math.max(total, 1));
    const share = total ? Math.round((affected.size / total) * 100) : 0;
    rules.push(
      `${affected.size} of ${total} platform services affected (${share}%; platform: ${platform.source})${affected.size ? `: ${[...affected].join(', ')}` : ''} → ${severity}`,
    );
  }
  if (signals.length && severity !== 'critical') {
    const raised = ORDER[Math.min(ORDER.indexOf(severity) + 1, ORDER.length - 1)] ?? severity;
    rules.push(`failing signal(s) ${signals.map((r) => r.name).join(', ')} raise it one level at most: ${severity} → ${raised}`);
    severity = raised;
  }
  const critical = failed.find((r) => r.criticalAlert);
  if (critical && ORDER.indexOf(severity) < ORDER.indexOf('high')) {
    severity = raise(severity, 'high');
    rules.push(`a firing alert labelled severity=critical (${critical.name}) makes it at least high → high`);
  }
  const reason = dependencies.length
    ? `platform-wide dependency failed: ${dependencies.map((r) => r.name).join(', ')} (all users)`
    : (rules[0]?.replace(/ → \w+$/, '') ?? '');
  return { severity, affected: dependencies.length ? [...known] : [...affected], total, reason, rules };
}

/** The runbook's matrix: who approves and how fast, by severity. */
export const DECISION_MATRIX: Record<Exclude<Severity, 'none'>, { impact: string; action: string; approval: string; deadlineMinutes: number | null }> = {
  critical: { impact: 'All users', action: 'Immediate rollback', approval: 'CTO/Lead Engineer', deadlineMinutes: 0 },
  high: { impact: '>50% users', action: 'Rollback within 15 min', approval: 'Team Lead', deadlineMinutes: 15 },
  medium: { impact: '<50% users', action: 'Rollback within 1 hour', approval: 'On-call Engineer', deadlineMinutes: 60 },
  low: { impact: '<10% users', action: 'Scheduled rollback', approval: 'Team decision', deadlineMinutes: null },
};
