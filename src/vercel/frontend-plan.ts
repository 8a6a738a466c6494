import { z } from 'zod';
import { ConfigurationError } from '../core/errors.js';
import { parseVersionedPlan } from '../core/plans.js';
import type { VercelClient } from './client.js';
import { productionDeployments, readDeployment } from './rollback.js';
import type { VercelDeployment, VercelProject } from './types.js';

export const FRONTEND_PLAN_KIND = 'keiko-rollback/frontend-plan';
const side = z.object({ id: z.string().regex(/^dpl_[A-Za-z0-9]+$/, 'must be a deployment id (dpl_…)'), url: z.string().max(300), ref: z.string().max(200) });
export const frontendPlanSchema = z.object({
  version: z.literal(1),
  kind: z.literal(FRONTEND_PLAN_KIND),
  project: z.string().max(200),
  mode: z.enum(['rollback', 'undo-rollback']),
  from: side,
  to: side,
  'created-at': z.string().max(40),
});
export type FrontendPlan = z.infer<typeof frontendPlanSchema>;

export function sideOf(d: VercelDeployment): FrontendPlan['from'] {
  return { id: d.id, url: d.url, ref: d.meta?.githubCommitRef ?? '' };
}

export function parseFrontendPlan(text: string): FrontendPlan | string {
  return parseVersionedPlan(text, FRONTEND_PLAN_KIND, 1, frontendPlanSchema, 'rollback-frontend');
}

/** What the project's last alias move says: the deployment a rollback moved away from, and the one it put live. */
export function lastRollback(project: VercelProject): { from: string; to: string; at: number } | undefined {
  const last = project.lastAliasRequest;
  if (last?.type !== 'rollback' || last.jobStatus === 'failed') return undefined;
  return { from: last.fromDeploymentId, to: last.toDeploymentId, at: last.requestedAt };
}

export type FrontendResolution = { to: VercelDeployment } | { stay: string };

const describe = (d: VercelDeployment): string => `${d.id}${d.meta?.githubCommitRef ? ` (${d.meta.githubCommitRef})` : ''}`;

/**
 * `previous` by the services' rule: production put there by a rollback stays (a re-run is
 * unchanged); otherwise the newest older READY production deployment that the last rollback did not
 * move away from. A version tag matches the deployments' git ref; an id or URL names one deployment.
 */
export async function resolveTarget(
  client: VercelClient,
  project: VercelProject,
  target: string,
  current: VercelDeployment,
  force: boolean,
): Promise<FrontendResolution> {
  const rollback = lastRollback(project);
  if (target === 'previous') {
    if (rollback && rollback.to === current.id && !force)
      return {
        stay: `production is ${describe(current)}, put there by a rollback at ${new Date(rollback.at).toISOString()} from ${rollback.from}; previous never returns to a deployment a rollback moved away from`,
      };
    const all = await productionDeployments(client, project.id);
    const candidate = all.find((d) => d.readyState === 'READY' && d.id !== current.id && d.createdAt < current.createdAt && (force || d.id !== rollback?.from));
    if (!candidate) throw new ConfigurationError(`previous found no READY production deployment older than the current one (${current.id})`, 'target');
    return { to: candidate };
  }
  const byId = /^(dpl_|https?:\/\/)|\.vercel\.app\/?$/.test(target);
  if (!byId) {
    const all = await productionDeployments(client, project.id);
    const tagged = all.find((d) => d.readyState === 'READY' && d.meta?.githubCommitRef === target);
    if (tagged) return { to: guarded(tagged, rollback, force) };
    const refs = [
      ...new Set(
        all
          .filter((d) => d.readyState === 'READY')
          .map((d) => d.meta?.githubCommitRef)
          .filter(Boolean),
      ),
    ];
    throw new ConfigurationError(
      `"${target}" matches no READY production deployment of ${project.name} by its git ref or tag (refs: ${refs.join(', ') || 'none'}); or give a deployment id (dpl_…) or URL`,
      'target',
    );
  }
  const found = await readDeployment(client, target);
  if (!found || (found.projectId && found.projectId !== project.id))
    throw new ConfigurationError(`"${target}" is not a deployment of project ${project.name}`, 'target');
  if (found.readyState !== 'READY' || found.target !== 'production') {
    throw new ConfigurationError(
      `${found.id} (${found.url}) is ${found.readyState} ${found.target ?? 'preview'}: only a READY production deployment can be rolled back to`,
      'target',
    );
  }
  return { to: guarded(found, rollback, force) };
}

function guarded(target: VercelDeployment, rollback: ReturnType<typeof lastRollback>, force: boolean): VercelDeployment {
  if (rollback?.from === target.id && !force)
    throw new ConfigurationError(
      `${describe(target)} is the deployment a rollback moved away from at ${new Date(rollback.at).toISOString()}: set force: true to go back to it anyway`,
      'target',
    );
  return target;
}

/** `undo-rollback`: the newest READY production deployment, never the one a rollback moved away from unless `force`. */
export async function undoTarget(client: VercelClient, project: VercelProject, force: boolean): Promise<VercelDeployment> {
  const newest = (await productionDeployments(client, project.id)).find((d) => d.readyState === 'READY');
  if (!newest) throw new ConfigurationError('found no READY production deployment to promote', 'mode');
  const rollback = lastRollback(project);
  if (rollback?.from === newest.id && !force) {
    throw new ConfigurationError(
      `would promote ${describe(newest)} again, the deployment the rollback at ${new Date(rollback.at).toISOString()} moved away from: set force: true to re-promote it, or deploy a fix`,
      'mode',
    );
  }
  return newest;
}
