import { DECISION_MATRIX } from '../checks/severity.js';
import { formatDuration } from '../core/durations.js';
import { markdownTable } from '../core/summary.js';
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
  /** Only services still running this version are rolled back (the automatic rollback of one release). */
  release: string;
  automatic: boolean;
  frontendProject: string;
  /** How this severity is approved: GitHub's environment reviewers, or an /approve issue comment. */
  approval?: 'environment' | 'issue';
}

const iso = (date: Date): string => date.toISOString().replace(/\.\d+Z$/, 'Z');

/** The plan job's header: what will happen, who approves, by when (counted from when the problem was detected). */
export function planSummary(request: RollbackRequest, detectedAt: Date): string {
  const matrix = DECISION_MATRIX[request.severity];
  const deadline =
    matrix.deadlineMinutes === null
      ? 'scheduled (no deadline)'
      : matrix.deadlineMinutes === 0
        ? 'immediately'
        : `by ${iso(new Date(detectedAt.getTime() + matrix.deadlineMinutes * 60_000))} (${matrix.deadlineMinutes} min after detection at ${iso(detectedAt)})`;
  const approval = request.approval === 'issue' ? 'an `/approve` comment on the approval issue' : `environment \`${environmentName(request.severity)}\``;
  const rows = [
    ['Traffic', request.reroute ? `backup ingress${request.circuitBreaker ? ' + circuit breaker' : ''}, restored when verify is healthy` : 'unchanged'],
    [
      'Services',
      request.services
        ? `${request.services} → ${request.target}${request.release ? ` (only those still running ${request.release})` : ''}`
        : 'not rolled back',
    ],
    [
      'Database',
      request.databaseTool && request.databaseTool !== 'none'
        ? `${request.databaseTool} downgrade to ${request.databaseTarget} (verified backup first)`
        : 'not rolled back',
    ],
    ['Frontend', request.frontendTarget ? `Vercel production → ${request.frontendTarget}` : 'not rolled back'],
    ['Verify', 'health, alerts and smoke checks after the rollback'],
  ];
  return [
    `## 📋 Rollback plan for \`${request.environment}\`${request.dryRun ? ' (dry run)' : ''}`,
    '',
    // one paragraph each: GitHub joins consecutive lines into one
    `**Reason:** ${request.reason}${request.automatic ? ' (automatic)' : ''}`,
    '',
    `**Severity:** ${request.severity} (${matrix.impact}) → ${matrix.action}`,
    '',
    `**Approval:** ${approval} — ${matrix.approval}`,
    '',
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
  /** When the problem was detected: the matrix deadline counts from here (the plan job's start if not given). */
  detectedAt: Date;
  startedAt: Date;
  finishedAt: Date;
  runUrl: string | undefined;
}

const PHASES = [
  'plan',
  'approve-environment',
  'approve-issue',
  'announce',
  'rollback',
  'reroute',
  'services',
  'database',
  'frontend',
  'verify',
  'restore-reroute',
];

interface StepOutcome {
  outcome?: string;
  conclusion?: string;
  outputs?: Record<string, string>;
}

/**
 * The needs of the report job, one outcome per phase: the rollback job runs the phases as steps and passes
 * `toJSON(steps)` as its `steps` output, so each step id (reroute, services, …) becomes a phase of its own.
 * A job that ended before it could say (its output empty or damaged) keeps its own result.
 */
export function phasesOf(needs: Record<string, JobOutcome>): Record<string, JobOutcome> {
  const phases: Record<string, JobOutcome> = { ...needs };
  for (const job of Object.values(needs)) {
    const raw = job.outputs?.steps;
    if (!raw) continue;
    try {
      for (const [id, step] of Object.entries(JSON.parse(raw) as Record<string, StepOutcome>))
        phases[id] = { result: step.outcome ?? step.conclusion ?? 'unknown', outputs: step.outputs ?? {} };
    } catch {
      // the job's own result stands for its phases
    }
  }
  return phases;
}
const ICON: Record<string, string> = { success: '✅', failure: '❌', cancelled: '🚫', skipped: '➖' };

/** Approved through the environment or the issue (or run without an approval step, as a caller may). */
function approvalGiven(jobs: Record<string, JobOutcome>): boolean {
  const approvals = [jobs['approve-environment'], jobs['approve-issue'], jobs.approved].filter((j) => j !== undefined);
  return approvals.length === 0 || approvals.some((j) => j.result === 'success');
}

export function overallSucceeded(jobs: Record<string, JobOutcome>): boolean {
  return Object.values(jobs).every((j) => j.result === 'success' || j.result === 'skipped') && jobs.verify?.outputs?.healthy !== 'false' && approvalGiven(jobs);
}

interface ServiceLine {
  service?: string;
  status?: string;
  message?: string;
}

/** The services job's `result` output: one line per service that did not end rolled back or unchanged. */
function serviceProblems(jobs: Record<string, JobOutcome>): string[] {
  const raw = jobs.services?.outputs?.result;
  if (!raw) return jobs.services?.result === 'failure' ? ['- services: the job failed before it reported (open the run for its log)'] : [];
  let lines: ServiceLine[];
  try {
    lines = JSON.parse(raw) as ServiceLine[];
  } catch {
    return ['- services: the result could not be read (open the run for its log)'];
  }
  return lines
    .filter((l) => l.status !== 'rolled-back' && l.status !== 'unchanged' && l.status !== 'planned')
    .map((l) => `- \`${l.service ?? '?'}\` ${l.status ?? '?'}: ${l.message ?? 'no message'}`);
}

function frontendLines(input: ReportInput): string[] {
  const frontend = input.jobs.frontend?.outputs;
  if (frontend?.pinned !== 'true') return [];
  const project = input.request.frontendProject || '<project>';
  return [
    `> ⚠️ **Vercel production of \`${project}\` is pinned to ${frontend['deployment-id'] ?? 'the rolled-back deployment'}**: new deploys build but do not go live. When the fix is deployed: \`keiko-rollback frontend --mode undo-rollback --project ${project}\` (or \`vercel promote <deployment>\`).`,
    '',
  ];
}

export function rollbackReport(input: ReportInput): { markdown: string; ok: boolean; deadlineMet: boolean | null } {
  const matrix = DECISION_MATRIX[input.request.severity];
  const sinceDetection = input.finishedAt.getTime() - input.detectedAt.getTime();
  const deadlineMet = matrix.deadlineMinutes === null || matrix.deadlineMinutes === 0 ? null : sinceDetection / 60_000 <= matrix.deadlineMinutes;
  const ok = overallSucceeded(input.jobs);
  const rows = PHASES.filter((p) => input.jobs[p]).map((p) => [p, `${ICON[input.jobs[p]?.result ?? ''] ?? '❔'} ${input.jobs[p]?.result}`]);
  const verify = input.jobs.verify?.outputs;
  const problems = serviceProblems(input.jobs);
  const markdown = [
    `## ${ok ? '✅' : '❌'} Rollback of \`${input.request.environment}\` ${ok ? 'completed' : 'did not complete'}`,
    '',
    `**Reason:** ${input.request.reason}${input.request.automatic ? ' (automatic)' : ''}`,
    '',
    `**Severity:** ${input.request.severity} · **Detected:** ${iso(input.detectedAt)} · **${ok ? 'Resolved' : 'Ended'}:** ${formatDuration(sinceDetection)} after detection (the rollback itself took ${formatDuration(input.finishedAt.getTime() - input.startedAt.getTime())})`,
    '',
    `**Matrix deadline:** ${matrix.action}${deadlineMet === null ? '' : deadlineMet ? ' — met' : ' — MISSED'}`,
    '',
    ...(verify
      ? [
          `**After the rollback:** healthy=${verify.healthy ?? '?'}, severity=${verify.severity ?? '?'}${verify.failed ? `, failing: ${verify.failed}` : ''}`,
          '',
        ]
      : []),
    ...(problems.length ? ['**Services that did not roll back:**', '', ...problems, ''] : []),
    ...(input.jobs.database?.outputs?.restored === 'true' ? ['**Database:** the downgrade failed and the verified backup was restored.', ''] : []),
    ...frontendLines(input),
    markdownTable(['Phase', 'Outcome'], rows),
    ...(input.runUrl ? ['', `Run: ${input.runUrl} — the approved plan is in the plan job's summary.`] : []),
    '',
  ].join('\n');
  return { markdown, ok, deadlineMet };
}

/**
 * Marks the environment's deployment history with the rollback: the automatic rollback's claim record gets its
 * final status; otherwise a new deployment (task `rollback`, which the guards ignore, so it never triggers one).
 */
export async function recordDeployment(api: GitHubApi, repo: string, ref: string, input: ReportInput, ok: boolean, claimed?: number): Promise<number> {
  const id =
    claimed ??
    (
      await api.request<{ id: number }>('POST', `/repos/${repo}/deployments`, {
        ref,
        environment: input.request.environment,
        description: `rollback: ${input.request.reason}`.slice(0, 140),
        auto_merge: false,
        required_contexts: [],
        task: 'rollback',
        payload: {
          rollback: true,
          automatic: input.request.automatic,
          release: input.request.release,
          severity: input.request.severity,
          services: input.request.services,
          target: input.request.target,
        },
      })
    ).id;
  await api.request('POST', `/repos/${repo}/deployments/${id}/statuses`, {
    state: ok ? 'success' : 'failure',
    environment: input.request.environment,
    description: ok ? 'rolled back' : 'rollback did not complete',
    ...(input.runUrl ? { log_url: input.runUrl } : {}),
  });
  return id;
}

export async function openIncidentIssue(api: GitHubApi, repo: string, input: ReportInput, markdown: string): Promise<number> {
  const issue = await api.request<{ number: number }>('POST', `/repos/${repo}/issues`, {
    title: `Rollback of ${input.request.environment} (${input.request.severity}): ${input.request.reason}`.slice(0, 200),
    body: markdown,
    labels: ['incident', 'rollback', `severity:${input.request.severity}`],
  });
  return issue.number;
}
