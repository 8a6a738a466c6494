import { formatDuration } from '../core/durations.js';
import { markdownTable } from '../core/summary.js';
import { DECISION_MATRIX } from '../checks/severity.js';
import type { GitHubApi } from './api.js';
import { environmentName, type RollbackSeverity } from './environments.js';

export interface RollbackRequest {
  severity: RollbackSeverity;
  environment: string;
  services: string;
  target: string;
  databaseTool: string;
  databaseTarget: string;
  frontendTarget: string;
  reroute: boolean;
  circuitBreaker: boolean;
  dryRun: boolean;
  reason: string;
}

/** The plan job's header: what will happen, who approves, by when. */
export function planSummary(request: RollbackRequest, requestedAt: Date): string {
  const matrix = DECISION_MATRIX[request.severity];
  const deadline = matrix.deadlineMinutes === null ? 'scheduled (no deadline)' : matrix.deadlineMinutes === 0 ? 'immediately' : `by ${new Date(requestedAt.getTime() + matrix.deadlineMinutes * 60_000).toISOString().replace(/\.\d+Z$/, 'Z')} (${matrix.deadlineMinutes} min)`;
  const rows = [
    ['Traffic', request.reroute ? `backup ingress${request.circuitBreaker ? ' + circuit breaker' : ''}, restored when verify is healthy` : 'unchanged'],
    ['Services', request.services ? `${request.services} → ${request.target}` : 'not rolled back'],
    ['Database', request.databaseTool && request.databaseTool !== 'none' ? `${request.databaseTool} downgrade to ${request.databaseTarget} (verified backup first)` : 'not rolled back'],
    ['Frontend', request.frontendTarget ? `Vercel production → ${request.frontendTarget}` : 'not rolled back'],
    ['Verify', 'health, alerts and smoke checks after the rollback'],
  ];
  return [
    `## 📋 Rollback plan for \`${request.environment}\`${request.dryRun ? ' (dry run)' : ''}`,
    '',
    `**Reason:** ${request.reason}`,
    `**Severity:** ${request.severity} (${matrix.impact}) → ${matrix.action}`,
    `**Approval:** environment \`${environmentName(request.severity)}\` — ${matrix.approval}`,
    `**Deadline:** ${deadline}`,
    '',
    markdownTable(['Phase', 'What will happen'], rows),
    '',
    'The exact per-phase plan (versions, migrations, deployments) follows from each dry run below.',
    '',
  ].join('\n');
}

export interface JobOutcome {
  result: string;
  outputs?: Record<string, string>;
}

export interface ReportInput {
  request: RollbackRequest;
  jobs: Record<string, JobOutcome>;
  startedAt: Date;
  finishedAt: Date;
  runUrl: string | undefined;
}

const PHASES = ['plan', 'approve', 'reroute', 'services', 'database', 'frontend', 'verify', 'restore-reroute'];
const ICON: Record<string, string> = { success: '✅', failure: '❌', cancelled: '🚫', skipped: '➖' };

export function overallSucceeded(jobs: Record<string, JobOutcome>): boolean {
  return Object.values(jobs).every((j) => j.result === 'success' || j.result === 'skipped') && jobs.verify?.outputs?.healthy !== 'false';
}

export function rollbackReport(input: ReportInput): { markdown: string; ok: boolean; deadlineMet: boolean | null } {
  const matrix = DECISION_MATRIX[input.request.severity];
  const elapsedMin = (input.finishedAt.getTime() - input.startedAt.getTime()) / 60_000;
  const deadlineMet = matrix.deadlineMinutes === null ? null : matrix.deadlineMinutes === 0 ? null : elapsedMin <= matrix.deadlineMinutes;
  const ok = overallSucceeded(input.jobs);
  const rows = PHASES.filter((p) => input.jobs[p]).map((p) => [p, `${ICON[input.jobs[p]?.result ?? ''] ?? '❔'} ${input.jobs[p]?.result}`]);
  const verify = input.jobs.verify?.outputs;
  const markdown = [
    `## ${ok ? '✅' : '❌'} Rollback of \`${input.request.environment}\` ${ok ? 'completed' : 'did not complete'}`,
    '',
    `**Reason:** ${input.request.reason} · **Severity:** ${input.request.severity} · **Took:** ${formatDuration(input.finishedAt.getTime() - input.startedAt.getTime())}`,
    `**Matrix deadline:** ${matrix.action}${deadlineMet === null ? '' : deadlineMet ? ' — met' : ' — MISSED'}`,
    ...(verify ? [`**After the rollback:** healthy=${verify.healthy ?? '?'}, severity=${verify.severity ?? '?'}${verify.failed ? `, failing: ${verify.failed}` : ''}`] : []),
    '',
    markdownTable(['Phase', 'Outcome'], rows),
    ...(input.runUrl ? ['', `Run: ${input.runUrl}`] : []),
    '',
  ].join('\n');
  return { markdown, ok, deadlineMet };
}

/** Marks the environment's deployment history with the rollback (a deployment plus its status). */
export async function recordDeployment(api: GitHubApi, repo: string, ref: string, input: ReportInput, ok: boolean): Promise<number> {
  const deployment = await api.request<{ id: number }>('POST', `/repos/${repo}/deployments`, {
    ref,
    environment: input.request.environment,
    description: `rollback: ${input.request.reason}`.slice(0, 140),
    auto_merge: false,
    required_contexts: [],
    task: 'rollback',
    payload: { rollback: true, severity: input.request.severity, services: input.request.services, target: input.request.target },
  });
  await api.request('POST', `/repos/${repo}/deployments/${deployment.id}/statuses`, {
    state: ok ? 'success' : 'failure',
    environment: input.request.environment,
    description: ok ? 'rolled back' : 'rollback did not complete',
    ...(input.runUrl ? { log_url: input.runUrl } : {}),
  });
  return deployment.id;
}

export async function openIncidentIssue(api: GitHubApi, repo: string, input: ReportInput, markdown: string): Promise<number> {
  const issue = await api.request<{ number: number }>('POST', `/repos/${repo}/issues`, {
    title: `Rollback of ${input.request.environment} (${input.request.severity}): ${input.request.reason}`.slice(0, 200),
    body: markdown,
    labels: ['incident', 'rollback', `severity:${input.request.severity}`],
  });
  return issue.number;
}
