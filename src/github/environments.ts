import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatDuration, parseDuration } from '../core/durations.js';
import { ConfigurationError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { OutsideFailure } from '../core/outside.js';
import type { GitHubApi } from './api.js';

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type RollbackSeverity = (typeof SEVERITIES)[number];
/** Severities where an admin must not be able to skip the reviewers (the runbook's CTO / Team Lead approvals). */
const NO_BYPASS: readonly RollbackSeverity[] = ['critical', 'high'];
const DEFAULT_APPROVAL_TIMEOUT: Record<RollbackSeverity, string> = { critical: '30m', high: '15m', medium: '1h', low: '6h' };

const reviewer = z.object({ type: z.enum(['User', 'Team']), name: z.string().min(1) });
const pattern = z.string().min(1).max(255);
const environment = z.object({
  reviewers: z.array(reviewer).default([]),
  /** `environment`: GitHub's required reviewers; `issue`: a /approve comment on an issue (any GitHub plan). */
  approval: z.enum(['environment', 'issue']).default('environment'),
  /** Who approves, in the runbook's words (shown in the plan). */
  approver: z.string().default(''),
  'approval-timeout': z.string().optional(),
  'prevent-self-review': z.boolean().default(true),
  'admins-bypass': z.boolean().default(false),
  'wait-timer': z.number().int().min(0).max(43_200).default(0),
  /** `protected`, `all`, or the branch name patterns that may run a rollback (with `tags`). */
  branches: z.union([z.enum(['protected', 'all']), z.array(pattern)]).default(['main']),
  /** Tag name patterns (e.g. `v*`) that may run a rollback: a deploy on refs/tags/v1.1.2 reaches the approval. */
  tags: z.array(pattern).default([]),
  deadline: z.string().default(''),
});
const file = z.object({ environments: z.object({ critical: environment, high: environment, medium: environment, low: environment }) });

export type EnvironmentPolicy = z.output<typeof environment>;
export type EnvironmentsConfig = z.output<typeof file>;

export function environmentName(severity: RollbackSeverity): string {
  return `rollback-${severity}`;
}

export function readEnvironmentsConfig(path: string): EnvironmentsConfig {
  if (!fs.existsSync(path)) throw new ConfigurationError(`${path} does not exist: commit .github/rollback-environments.yml (see the README)`, 'config');
  const parsed = file.safeParse(parseYaml(fs.readFileSync(path, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigurationError(`${path}: ${issue?.path.join('.')}: ${issue?.message}`, 'config');
  }
  for (const severity of SEVERITIES) {
    const policy = parsed.data.environments[severity];
    if (policy['admins-bypass'] && NO_BYPASS.includes(severity))
      throw new ConfigurationError(
        `${path}: environments.${severity}.admins-bypass: must be false: an admin must not skip the approval of a ${severity} rollback`,
        'config',
      );
    if (policy.tags.length && !Array.isArray(policy.branches))
      throw new ConfigurationError(
        `${path}: environments.${severity}.branches: must be a list of branch patterns (e.g. [main]) when tags are named: GitHub admits tags only through custom policies`,
        'config',
      );
    approvalTimeoutMs(policy, severity, path);
  }
  return parsed.data;
}

export function approvalTimeoutMs(policy: EnvironmentPolicy, severity: RollbackSeverity, path = '.github/rollback-environments.yml'): number {
  const text = policy['approval-timeout'] ?? DEFAULT_APPROVAL_TIMEOUT[severity];
  const ms = parseDuration(text);
  // a GitHub-hosted job ends after 6 hours, so a longer wait could never be answered
  if (ms === undefined || ms <= 0 || ms > 6 * 3_600_000)
    throw new ConfigurationError(`${path}: environments.${severity}.approval-timeout: must be a duration up to 6h such as 15m, got "${text}"`, 'config');
  return ms;
}

interface BranchPolicy {
  name: string;
  type?: 'branch' | 'tag';
}

interface EnvironmentResponse {
  name: string;
  can_admins_bypass?: boolean;
  deployment_branch_policy?: { protected_branches: boolean; custom_branch_policies: boolean } | null;
  protection_rules?: {
    type: string;
    wait_timer?: number;
    prevent_self_review?: boolean;
    reviewers?: { type: string; reviewer: { id: number; login?: string; slug?: string } }[];
  }[];
}

async function reviewerIds(api: GitHubApi, owner: string, policy: EnvironmentPolicy): Promise<{ type: 'User' | 'Team'; id: number; name: string }[]> {
  return Promise.all(
    policy.reviewers.map(async (r) => {
      if (r.type === 'User') return { type: r.type, id: (await api.request<{ id: number }>('GET', `/users/${encodeURIComponent(r.name)}`)).id, name: r.name };
      const [org, slug] = r.name.includes('/') ? r.name.split('/') : [owner, r.name];
      return {
        type: r.type,
        id: (await api.request<{ id: number }>('GET', `/orgs/${encodeURIComponent(org ?? owner)}/teams/${encodeURIComponent(slug ?? '')}`)).id,
        name: r.name,
      };
    }),
  );
}

function wantedPolicies(policy: EnvironmentPolicy): BranchPolicy[] {
  if (!Array.isArray(policy.branches)) return [];
  return [...policy.branches.map((name) => ({ name, type: 'branch' as const })), ...policy.tags.map((name) => ({ name, type: 'tag' as const }))];
}

function branchPolicyBody(policy: EnvironmentPolicy): EnvironmentResponse['deployment_branch_policy'] {
  if (policy.branches === 'all') return null;
  if (policy.branches === 'protected') return { protected_branches: true, custom_branch_policies: false };
  return { protected_branches: false, custom_branch_policies: true };
}

const NO_REVIEWERS_ON_PLAN =
  'on GitHub Free, Pro and Team, private repositories cannot have required reviewers: set `approval: issue` for this severity in .github/rollback-environments.yml (a reviewer approves with an /approve comment), or use a public repository or GitHub Enterprise';

function refused(error: unknown, env: string, repo: string): never {
  const status = error instanceof OutsideFailure ? error.status : undefined;
  if (status === 403 || status === 404 || status === 401) {
    throw new ConfigurationError(
      `the token was refused (${status}) changing environment ${env} in ${repo}: environments sync needs a token with admin rights on the repository (a fine-grained token with "Administration: write", or a classic token with repo scope from an admin)`,
      'token',
    );
  }
  if (status === 422) throw new ConfigurationError(`GitHub refused required reviewers for ${env} in ${repo} (422): ${NO_REVIEWERS_ON_PLAN}`, 'config');
  throw error;
}

/** The custom deployment branch and tag policies of an environment (`path`: /repos/{repo}/environments/{env}). */
async function readBranchPolicies(api: GitHubApi, path: string): Promise<(BranchPolicy & { id: number })[]> {
  const answer = await api.request<{ branch_policies?: (BranchPolicy & { id: number })[] }>('GET', `${path}/deployment-branch-policies?per_page=100`);
  return answer.branch_policies ?? [];
}

/** Makes the environment's custom deployment policies exactly the config's branch and tag patterns. */
async function syncBranchPolicies(api: GitHubApi, path: string, policy: EnvironmentPolicy): Promise<void> {
  const wanted = wantedPolicies(policy);
  const present = await readBranchPolicies(api, path);
  for (const old of present)
    if (!wanted.some((w) => w.name === old.name && w.type === (old.type ?? 'branch')))
      await api.request('DELETE', `${path}/deployment-branch-policies/${old.id}`);
  for (const want of wanted)
    if (!present.some((p) => p.name === want.name && (p.type ?? 'branch') === want.type)) await api.request('POST', `${path}/deployment-branch-policies`, want);
}

/** Creates or updates the four rollback environments through PUT /repos/{owner}/{repo}/environments/{name}. */
export async function syncEnvironments(api: GitHubApi, repo: string, config: EnvironmentsConfig, log: Logger): Promise<string[]> {
  const [owner = '', name = ''] = repo.split('/');
  const done: string[] = [];
  for (const severity of SEVERITIES) {
    const policy = config.environments[severity];
    const reviewers = policy.approval === 'environment' ? await reviewerIds(api, owner, policy) : [];
    const env = environmentName(severity);
    const path = `/repos/${owner}/${name}/environments/${env}`;
    try {
      await api.request('PUT', path, {
        wait_timer: policy['wait-timer'],
        prevent_self_review: policy['prevent-self-review'],
        reviewers: reviewers.map((r) => ({ type: r.type, id: r.id })),
        can_admins_bypass: policy['admins-bypass'],
        deployment_branch_policy: branchPolicyBody(policy),
      });
      if (Array.isArray(policy.branches)) await syncBranchPolicies(api, path, policy);
    } catch (error) {
      refused(error, env, repo);
    }
    const refs = Array.isArray(policy.branches)
      ? wantedPolicies(policy)
          .map((p) => `${p.type} ${p.name}`)
          .join(', ')
      : `${policy.branches} branches`;
    const who =
      policy.approval === 'issue'
        ? `issue approval by ${policy.reviewers.map((r) => r.name).join(', ')}`
        : reviewers.map((r) => `${r.type} ${r.name}`).join(', ');
    log.info(
      `${env}: ${who || 'no reviewers'}; prevent self-review ${policy['prevent-self-review']}; admins bypass ${policy['admins-bypass']}; wait ${policy['wait-timer']} min; refs ${refs}`,
    );
    done.push(env);
  }
  return done;
}

export interface EnvironmentCheck {
  approval: 'environment' | 'issue';
  line: string;
}

/**
 * Fails closed: GitHub silently creates a missing environment WITHOUT protection when a job names it,
 * so before anyone is paged the approval path must carry exactly the protection the matrix demands.
 */
export async function checkEnvironment(api: GitHubApi, repo: string, severity: RollbackSeverity, config: EnvironmentsConfig): Promise<EnvironmentCheck> {
  const env = environmentName(severity);
  const policy = config.environments[severity];
  const fix = `run: keiko-rollback environments sync --repo ${repo} (with an admin token)`;
  if (policy.reviewers.length === 0)
    throw new ConfigurationError(
      `.github/rollback-environments.yml names no reviewers for ${severity}, so nobody would have to approve a ${severity} rollback; add reviewers (User logins or org/team slugs)`,
      'severity',
    );
  if (policy.approval === 'issue')
    return {
      approval: 'issue',
      line: `${severity}: approval by an /approve comment from ${policy.reviewers.map((r) => r.name).join(', ')} within ${formatDuration(approvalTimeoutMs(policy, severity))}`,
    };
  let found: EnvironmentResponse;
  try {
    found = await api.request<EnvironmentResponse>('GET', `/repos/${repo}/environments/${env}`);
  } catch (error) {
    if (error instanceof OutsideFailure && error.status === 404 && !error.extra.noSuchApi)
      throw new ConfigurationError(`environment ${env} does not exist in ${repo}, so its approval would be skipped; ${fix}`, 'severity');
    throw error;
  }
  const rule = found.protection_rules?.find((r) => r.type === 'required_reviewers');
  const present = rule?.reviewers ?? [];
  if (present.length === 0)
    throw new ConfigurationError(
      `environment ${env} in ${repo} has no required reviewers, so nobody would have to approve a ${severity} rollback; ${fix} (${NO_REVIEWERS_ON_PLAN})`,
      'severity',
    );
  const missing = policy.reviewers.filter(
    (w) => !present.some((p) => p.type === w.type && (p.reviewer.login === w.name || p.reviewer.slug === w.name.split('/').pop())),
  );
  if (missing.length)
    throw new ConfigurationError(
      `environment ${env} in ${repo} lacks the reviewers the matrix demands: ${missing.map((m) => m.name).join(', ')}; ${fix}`,
      'severity',
    );
  if (NO_BYPASS.includes(severity) && found.can_admins_bypass !== false)
    throw new ConfigurationError(
      `environment ${env} in ${repo} lets administrators bypass its reviewers, so a ${severity} rollback could run unapproved; ${fix}`,
      'severity',
    );
  if ((rule?.prevent_self_review ?? false) !== policy['prevent-self-review'])
    throw new ConfigurationError(
      `environment ${env} in ${repo} has prevent self-review ${rule?.prevent_self_review ?? false}, the config says ${policy['prevent-self-review']}; ${fix}`,
      'severity',
    );
  await checkRefs(api, repo, env, policy, found, fix);
  return { approval: 'environment', line: `${env}: ${present.map((p) => p.reviewer.login ?? p.reviewer.slug).join(', ')} must approve` };
}

async function checkRefs(api: GitHubApi, repo: string, env: string, policy: EnvironmentPolicy, found: EnvironmentResponse, fix: string): Promise<void> {
  const wanted = wantedPolicies(policy);
  if (wanted.length === 0) return;
  const custom = found.deployment_branch_policy?.custom_branch_policies === true;
  const present = custom ? await readBranchPolicies(api, `/repos/${repo}/environments/${env}`) : [];
  const absent =
    found.deployment_branch_policy === null || found.deployment_branch_policy === undefined
      ? []
      : wanted.filter((w) => !present.some((p) => p.name === w.name && (p.type ?? 'branch') === w.type));
  if (absent.length)
    throw new ConfigurationError(
      `environment ${env} in ${repo} does not admit ${absent.map((a) => `${a.type} ${a.name}`).join(', ')}, so a run from there is refused at the approval ("not allowed to deploy"); ${fix}`,
      'severity',
    );
}
