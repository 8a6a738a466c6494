import { formatDuration, sleep } from '../core/durations.js';
import { ConfigurationError, StepFailure } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { VercelApiError, type VercelClient } from './client.js';
import { type AliasRequest, type AliasStatus, fromListed, type ListedDeployment, type VercelDeployment, type VercelProject } from './types.js';

export async function readProject(client: VercelClient, project: string, signal?: AbortSignal): Promise<VercelProject> {
  try {
    return await client.request<VercelProject>('GET', `/v9/projects/${encodeURIComponent(project)}`, {
      query: { rollbackInfo: 'true' },
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (error instanceof VercelApiError && error.status === 404)
      throw new ConfigurationError(`"${project}" was not found by Vercel (in ${'this scope'}); check project and team`, 'project');
    throw error;
  }
}

export async function readDeployment(client: VercelClient, idOrUrl: string): Promise<VercelDeployment | undefined> {
  const bare = idOrUrl.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  try {
    return await client.request<VercelDeployment>('GET', `/v13/deployments/${encodeURIComponent(bare)}`);
  } catch (error) {
    if (error instanceof VercelApiError && error.status === 404) return undefined;
    throw error;
  }
}

/** Production deployments, newest first, across pages. */
export async function productionDeployments(client: VercelClient, projectId: string, maxPages = 5): Promise<VercelDeployment[]> {
  const all: VercelDeployment[] = [];
  let until: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const result = await client.request<{ deployments: ListedDeployment[]; pagination?: { next?: number | null } }>('GET', '/v6/deployments', {
      query: { projectId, target: 'production', limit: '50', until },
    });
    all.push(...result.deployments.map(fromListed));
    if (!result.pagination?.next) break;
    until = String(result.pagination.next);
  }
  return all.sort((a, b) => b.createdAt - a.createdAt);
}

export interface AliasOutcome {
  request: AliasRequest;
  project: VercelProject;
  ms: number;
  failedAliases: AliasStatus[];
}

/** Polls the project until its alias job to `deploymentId` ends, backing off from 250 ms. */
export async function waitForAliasJob(
  client: VercelClient,
  project: VercelProject,
  deploymentId: string,
  kind: 'rollback' | 'promote',
  options: { log: Logger; signal: AbortSignal },
): Promise<AliasOutcome> {
  const started = Date.now();
  let delay = 250;
  let lastStatus = '';
  for (;;) {
    const latest = await readProject(client, project.id, options.signal);
    const request = latest.lastAliasRequest;
    if (request && request.toDeploymentId === deploymentId) {
      if (request.jobStatus !== lastStatus) {
        options.log.info(`  alias job (${kind}): ${request.jobStatus} after ${formatDuration(Date.now() - started)}`);
        lastStatus = request.jobStatus;
      }
      if (request.jobStatus === 'succeeded' || request.jobStatus === 'skipped' || request.jobStatus === 'failed') {
        const failedAliases =
          request.jobStatus === 'failed'
            ? (
                await client.request<{ aliases: AliasStatus[] }>('GET', `/v9/projects/${encodeURIComponent(project.id)}/${kind}/aliases`, {
                  query: { failedOnly: 'true' },
                })
              ).aliases
            : [];
        return { request, project: latest, ms: Date.now() - started, failedAliases };
      }
    }
    await sleep(delay, options.signal);
    delay = Math.min(2000, Math.round(delay * 1.5));
  }
}

/**
 * Asks Vercel to move production's domains: `rollback` (an instant rollback, which pins production) or `promote`
 * (which also ends the pin). Returns `unchanged` when Vercel answers 409: that deployment serves production already.
 */
export async function requestAliasMove(
  client: VercelClient,
  projectId: string,
  kind: 'rollback' | 'promote',
  deploymentId: string,
  description: string | undefined,
  signal: AbortSignal,
): Promise<'requested' | 'unchanged'> {
  const path =
    kind === 'rollback'
      ? `/v9/projects/${encodeURIComponent(projectId)}/rollback/${deploymentId}`
      : `/v10/projects/${encodeURIComponent(projectId)}/promote/${deploymentId}`;
  try {
    await client.request('POST', path, { body: {}, query: kind === 'rollback' && description ? { description } : {}, signal });
    return 'requested';
  } catch (error) {
    if (error instanceof VercelApiError && error.status === 409) return 'unchanged';
    throw error;
  }
}

/** Starts a production build of `gitRef` from the project's linked repository (POST /v13/deployments). */
export async function createProductionBuild(
  client: VercelClient,
  project: VercelProject,
  gitRef: string | undefined,
  signal: AbortSignal,
): Promise<VercelDeployment> {
  if (!project.link?.repoId) throw new ConfigurationError(`redeploy needs a Git repository linked to project ${project.name}, and it has none`, 'mode');
  return client.request<VercelDeployment>('POST', '/v13/deployments', {
    body: { name: project.name, project: project.id, target: 'production', gitSource: { type: project.link.type, ref: gitRef, repoId: project.link.repoId } },
    signal,
  });
}

/** Polls a build until READY (backing off to 5 s); ERROR or CANCELED is the build's failure, said with its URL. */
export async function waitForBuild(
  client: VercelClient,
  created: VercelDeployment,
  what: string,
  options: { log: Logger; signal: AbortSignal },
): Promise<VercelDeployment> {
  let state = created.readyState;
  for (let delay = 500; ; delay = Math.min(5000, delay * 1.5)) {
    const latest = await readDeployment(client, created.id);
    if (latest && latest.readyState !== state) options.log.info(`  ${created.id}: ${latest.readyState}`);
    state = latest?.readyState ?? state;
    if (state === 'READY' && latest) return latest;
    if (state === 'ERROR' || state === 'CANCELED') throw new StepFailure('Redeploy', `the build of ${what} ended ${state} (https://${created.url})`);
    await sleep(delay, options.signal);
  }
}
