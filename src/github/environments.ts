import { OutsideFailure } from '../core/outside.js';
import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigurationError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { GitHubApi } from './api.js';

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type RollbackSeverity = (typeof SEVERITIES)[number];

const reviewer = z.object({ type: z.enum(['User', 'Team']), name: z.string().min(1) });
const environment = z.object({
  reviewers: z.array(reviewer).default([]),
  'prevent-self-review': z.boolean().default(true),
  'wait-timer': z.number().int().min(0).max(43_200).default(0),
  branches: z.enum(['protected', 'all']).default('protected'),
  approval: z.string().default(''),
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
  return parsed.data;
}

interface EnvironmentResponse {
  name: string;
  protection_rules?: { type: string; wait_timer?: number; prevent_self_review?: boolean; reviewers?: { type: string; reviewer: { id: number; login?: string; slug?: string } }[] }[];
}

async function reviewerIds(api: GitHubApi, owner: string, policy: EnvironmentPolicy): Promise<{ type: 'User' | 'Team'; id: number; name: string }[]> {
  return Promise.all(
    policy.reviewers.map(async (r) => {
      if (r.type === 'User') return { type: r.type, id: (await api.request<{ id: number }>('GET', `/users/${encodeURIComponent(r.name)}`)).id, name: r.name };
      const [org, slug] = r.name.includes('/') ? r.name.split('/') : [owner, r.name];
      return { type: r.type, id: (await api.request<{ id: number }>('GET', `/orgs/${encodeURIComponent(org ?? owner)}/teams/${encodeURIComponent(slug ?? '')}`)).id, name: r.name };
    }),
  );
}

/** Creates or updates the four rollback environments through PUT /repos/{owner}/{repo}/environments/{name}. */
export async function syncEnvironments(api: GitHubApi, repo: string, config: EnvironmentsConfig, log: Logger): Promise<string[]> {
  const [owner = '', name = ''] = repo.split('/');
  const done: string[] = [];
  for (const severity of SEVERITIES) {
    const policy = config.environments[severity];
    const reviewers = await reviewerIds(api, owner, policy);
    const env = environmentName(severity);
    try {
      await api.request('PUT', `/repos/${owner}/${name}/environments/${env}`, {
        wait_timer: policy['wait-timer'],
        prevent_self_review: policy['prevent-self-review'],
        reviewers: reviewers.map((r) => ({ type: r.type, id: r.id })),
        deployment_branch_policy: policy.branches === 'protected' ? { protected_branches: true, custom_branch_policies: false } : null,
      });
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 403 || status === 404 || status === 401) {
        throw new ConfigurationError(`the token was refused (${status}) creating environment ${env} in ${repo}: environments sync needs a token with admin rights on the repository (a fine-grained token with "Administration: write", or a classic token with repo scope from an admin)`, 'token');
      }
      throw error;
    }
    log.info(`${env}: ${reviewers.length ? reviewers.map((r) => `${r.type} ${r.name}`).join(', ') : 'no reviewers'}; prevent self-review ${policy['prevent-self-review']}; wait ${policy['wait-timer']} min; branches ${policy.branches}`);
    done.push(env);
  }
  return done;
}

/**
 * Fails closed: GitHub silently creates a missing environment WITHOUT protection when a job names
 * it, so before anyone is paged the environment must exist and carry the reviewers the matrix demands.
 */
export async function checkEnvironment(api: GitHubApi, repo: string, severity: RollbackSeverity, config: EnvironmentsConfig): Promise<string> {
  const env = environmentName(severity);
  const fix = `run: keiko-rollback environments sync --repo ${repo} (with an admin token)`;
  let found: EnvironmentResponse;
  try {
    found = await api.request<EnvironmentResponse>('GET', `/repos/${repo}/environments/${env}`);
  } catch (error) {
    if (error instanceof OutsideFailure && error.status === 404 && !error.extra.noSuchApi) throw new ConfigurationError(`environment ${env} does not exist in ${repo}, so its approval would be skipped; ${fix}`, 'severity');
    throw error;
  }
  const wanted = config.environments[severity].reviewers;
  const rule = found.protection_rules?.find((r) => r.type === 'required_reviewers');
  const present = rule?.reviewers ?? [];
  if (wanted.length && present.length === 0) throw new ConfigurationError(`environment ${env} in ${repo} has no required reviewers, so nobody would have to approve a ${severity} rollback; ${fix}`, 'severity');
  const missing = wanted.filter((w) => !present.some((p) => p.type === w.type && (p.reviewer.login === w.name || p.reviewer.slug === w.name.split('/').pop())));
  if (missing.length) throw new ConfigurationError(`environment ${env} in ${repo} lacks the reviewers the matrix demands: ${missing.map((m) => m.name).join(', ')}; ${fix}`, 'severity');
  return `${env}: ${present.map((p) => p.reviewer.login ?? p.reviewer.slug).join(', ') || 'no reviewers required'} must approve`;
}
