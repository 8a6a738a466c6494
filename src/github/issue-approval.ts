import { setTimeout as sleep } from 'node:timers/promises';
import { formatDuration } from '../core/durations.js';
import type { Logger } from '../core/logger.js';
import { OutsideFailure } from '../core/outside.js';
import { isAbort } from '../core/run-clock.js';
import type { GitHubApi } from './api.js';
import type { EnvironmentPolicy, RollbackSeverity } from './environments.js';

/**
 * Approval by an issue comment, for GitHub plans where environments cannot have required reviewers: the run
 * opens (or, on a re-run, reuses) an issue holding the plan, mentions the reviewers of the severity and waits
 * for `/approve` or `/deny`. Only comments written after the wait began count, so an old answer never decides
 * a re-run. Fails closed: a deny, an approval from anyone who may not approve, or no answer in time.
 */
export interface ApprovalRequest {
  repo: string;
  severity: RollbackSeverity;
  environment: string;
  reason: string;
  /** The login that started the run: never its own approver when prevent-self-review. */
  actor: string;
  runId: string;
  runUrl: string | undefined;
  planMarkdown: string;
  policy: EnvironmentPolicy;
  timeoutMs: number;
  pollMs: number;
}

export type ApprovalOutcome = { approved: true; by: string; issue: number } | { approved: false; why: string; issue: number };

interface Comment {
  id: number;
  body: string;
  user: { login: string; type?: string } | null;
}

const LABEL = 'rollback-approval';

function marker(runId: string): string {
  return `<!-- keiko-rollback approval run=${runId} -->`;
}

function mention(policy: EnvironmentPolicy): string {
  return policy.reviewers.map((r) => `@${r.name}`).join(' ');
}

async function openIssue(api: GitHubApi, request: ApprovalRequest): Promise<number> {
  const known = await api.request<{ number: number; state?: string; body?: string | null }[]>(
    'GET',
    `/repos/${request.repo}/issues?state=all&labels=${LABEL}&per_page=100`,
  );
  const reused = known.find((i) => (i.body ?? '').includes(marker(request.runId)));
  if (reused) {
    // a re-run of the approval job asks again on the same issue; answers given before it do not count
    if (reused.state === 'closed') await api.request('PATCH', `/repos/${request.repo}/issues/${reused.number}`, { state: 'open' });
    return reused.number;
  }
  const body = [
    marker(request.runId),
    `## Approve the ${request.severity} rollback of \`${request.environment}\`?`,
    '',
    `**Reason:** ${request.reason}`,
    '',
    `**Requested by:** @${request.actor}${request.runUrl ? ` in ${request.runUrl}` : ''}`,
    '',
    `${mention(request.policy)}: comment \`/approve\` to run exactly this plan, or \`/deny\` to stop it. No answer within ${formatDuration(request.timeoutMs)} stops it too.${request.policy['prevent-self-review'] ? ` @${request.actor} cannot approve their own rollback.` : ''}`,
    '',
    request.planMarkdown,
  ].join('\n');
  const created = await api.request<{ number: number }>('POST', `/repos/${request.repo}/issues`, {
    title: `Rollback approval: ${request.environment} (${request.severity}) — run ${request.runId}`,
    body,
    labels: [LABEL, `severity:${request.severity}`],
  });
  return created.number;
}

/** Whether `login` is one of the policy's reviewers (a User by login, or a member of a Team). */
async function mayApprove(membership: GitHubApi, login: string, policy: EnvironmentPolicy): Promise<boolean> {
  for (const reviewer of policy.reviewers) {
    if (reviewer.type === 'User' && reviewer.name.toLowerCase() === login.toLowerCase()) return true;
    if (reviewer.type !== 'Team') continue;
    const [org, slug] = reviewer.name.split('/');
    try {
      const member = await membership.request<{ state?: string }>(
        'GET',
        `/orgs/${encodeURIComponent(org ?? '')}/teams/${encodeURIComponent(slug ?? '')}/memberships/${encodeURIComponent(login)}`,
      );
      if (member.state === 'active') return true;
    } catch (error) {
      // 404: not a member, or a token that may not read the organization (then nobody from a team approves: fail closed)
      if (!(error instanceof OutsideFailure && error.status === 404)) throw error;
    }
  }
  return false;
}

function command(body: string): '/approve' | '/deny' | undefined {
  const first = body.trim().split(/\s+/)[0]?.toLowerCase();
  return first === '/approve' || first === '/deny' ? first : undefined;
}

async function decide(membership: GitHubApi, request: ApprovalRequest, comment: Comment, said: '/approve' | '/deny', issue: number): Promise<ApprovalOutcome> {
  const login = comment.user?.login ?? 'ghost';
  if (said === '/deny') return { approved: false, why: `denied by @${login}`, issue };
  if (request.policy['prevent-self-review'] && login.toLowerCase() === request.actor.toLowerCase())
    return { approved: false, why: `@${login} started this run and may not approve it (prevent-self-review)`, issue };
  if (!(await mayApprove(membership, login, request.policy)))
    return { approved: false, why: `@${login} is not a ${request.severity} reviewer (${request.policy.reviewers.map((r) => r.name).join(', ')})`, issue };
  return { approved: true, by: login, issue };
}

export async function awaitIssueApproval(
  api: GitHubApi,
  membership: GitHubApi,
  request: ApprovalRequest,
  log: Logger,
  signal: AbortSignal,
): Promise<ApprovalOutcome> {
  const issue = await openIssue(api, request);
  const commentsPath = `/repos/${request.repo}/issues/${issue}/comments?per_page=100`;
  const before = new Set((await api.request<Comment[]>('GET', commentsPath)).map((c) => c.id));
  log.info(
    `Waiting up to ${formatDuration(request.timeoutMs)} for /approve or /deny from ${request.policy.reviewers.map((r) => r.name).join(', ')} on issue #${issue}`,
  );
  const deadline = Date.now() + request.timeoutMs;
  let lastProgress = Date.now();
  let outcome: ApprovalOutcome | undefined;
  while (!outcome) {
    for (const comment of await api.request<Comment[]>('GET', commentsPath)) {
      if (before.has(comment.id) || comment.user?.type === 'Bot') continue;
      before.add(comment.id);
      const said = command(comment.body);
      if (said) {
        outcome = await decide(membership, request, comment, said, issue);
        break;
      }
    }
    if (outcome) break;
    if (Date.now() >= deadline) {
      outcome = { approved: false, why: `no /approve within ${formatDuration(request.timeoutMs)}`, issue };
      break;
    }
    if (Date.now() - lastProgress >= 60_000) {
      lastProgress = Date.now();
      log.info(`still waiting for approval on issue #${issue} (${formatDuration(deadline - Date.now())} left)`);
    }
    try {
      await sleep(Math.min(request.pollMs, Math.max(0, deadline - Date.now())), undefined, { signal });
    } catch (error) {
      if (!isAbort(error)) throw error;
      // the command's own --timeout or a cancel: nothing more can be posted with a dead signal; fail closed
      return {
        approved: false,
        why: `the wait was stopped (the command's --timeout, or the job was cancelled) before anyone answered on issue #${issue}`,
        issue,
      };
    }
  }
  const text = outcome.approved
    ? `Approved by @${outcome.by}: the ${request.severity} rollback of \`${request.environment}\` starts now.`
    : `Not approved — ${outcome.why}. The rollback does not run (fail closed); start a new run to ask again.`;
  await api.request('POST', `/repos/${request.repo}/issues/${issue}/comments`, { body: text });
  await api.request('PATCH', `/repos/${request.repo}/issues/${issue}`, { state: 'closed' });
  return outcome;
}
