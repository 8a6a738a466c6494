import type { GitHubApi } from './api.js';
import { type RollbackSeverity, SEVERITIES } from './environments.js';

/**
 * At most one automatic rollback per environment and release. Each guard that wants to roll back writes a
 * claim — a GitHub deployment with task `rollback` and payload `{automatic, release}` — then lists the claims of
 * that environment: the lowest id wins. Two guards racing both write, both list, and agree on the same winner;
 * the loser marks its record inactive and stands down. The winner's record later gets the rollback's outcome.
 */
export interface GuardVerdict {
  repo: string;
  ref: string;
  environment: string;
  release: string;
  deployResult: string;
  deployFailureSeverity: RollbackSeverity;
  healthy: boolean;
  severity: string;
  failed: string;
  runUrl: string | undefined;
}

export type ClaimOutcome =
  | { rollback: true; severity: RollbackSeverity; reason: string; deployment: number }
  | { rollback: false; why: string; deployment?: number };

interface DeploymentRecord {
  id: number;
  task?: string;
  payload?: unknown;
}

function claimsRelease(record: DeploymentRecord, release: string): boolean {
  const payload = typeof record.payload === 'string' ? safeJson(record.payload) : record.payload;
  return (
    record.task === 'rollback' &&
    typeof payload === 'object' &&
    payload !== null &&
    (payload as { automatic?: unknown }).automatic === true &&
    (payload as { release?: unknown }).release === release
  );
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function guardSeverity(verdict: GuardVerdict): RollbackSeverity {
  const measured = (SEVERITIES as readonly string[]).includes(verdict.severity) ? (verdict.severity as RollbackSeverity) : undefined;
  return !verdict.healthy && measured ? measured : verdict.deployFailureSeverity;
}

export async function claimAutomaticRollback(api: GitHubApi, verdict: GuardVerdict): Promise<ClaimOutcome> {
  const deployFailed = verdict.deployResult !== 'success';
  if (verdict.healthy && !deployFailed) return { rollback: false, why: `${verdict.release} is healthy in ${verdict.environment}: nothing to roll back` };
  const severity = guardSeverity(verdict);
  const reason = deployFailed
    ? `automatic: the deploy of ${verdict.release} ended ${verdict.deployResult}${verdict.healthy ? '' : ` and post-deploy checks failed (${verdict.failed || 'unhealthy'})`}`
    : `automatic: post-deploy checks failed after ${verdict.release} (${verdict.failed || 'unhealthy'})`;
  const list = `/repos/${verdict.repo}/deployments?environment=${encodeURIComponent(verdict.environment)}&task=rollback&per_page=100`;
  const earlier = (await api.request<DeploymentRecord[]>('GET', list)).filter((d) => claimsRelease(d, verdict.release));
  if (earlier.length)
    return {
      rollback: false,
      why: `an automatic rollback of ${verdict.release} in ${verdict.environment} was already claimed (deployment ${Math.min(...earlier.map((d) => d.id))}); this trigger stands down`,
    };
  const mine = await api.request<{ id: number }>('POST', `/repos/${verdict.repo}/deployments`, {
    ref: verdict.ref,
    environment: verdict.environment,
    task: 'rollback',
    auto_merge: false,
    required_contexts: [],
    description: reason.slice(0, 140),
    payload: { rollback: true, automatic: true, release: verdict.release, severity },
  });
  const claims = (await api.request<DeploymentRecord[]>('GET', list)).filter((d) => claimsRelease(d, verdict.release));
  const winner = Math.min(mine.id, ...claims.map((d) => d.id));
  if (winner !== mine.id) {
    await api.request('POST', `/repos/${verdict.repo}/deployments/${mine.id}/statuses`, {
      state: 'inactive',
      description: `duplicate: deployment ${winner} rolls ${verdict.release} back`,
      ...(verdict.runUrl ? { log_url: verdict.runUrl } : {}),
    });
    return {
      rollback: false,
      why: `another trigger claimed the automatic rollback of ${verdict.release} first (deployment ${winner}); this one stands down`,
      deployment: mine.id,
    };
  }
  await api.request('POST', `/repos/${verdict.repo}/deployments/${mine.id}/statuses`, {
    state: 'in_progress',
    description: 'automatic rollback waiting for approval',
    ...(verdict.runUrl ? { log_url: verdict.runUrl } : {}),
  });
  return { rollback: true, severity, reason, deployment: mine.id };
}
