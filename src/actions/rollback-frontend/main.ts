import type { ActionContext, ActionResult } from '../../core/action.js';
import { sleep } from '../../core/durations.js';
import { ConfigurationError, StepFailure } from '../../core/errors.js';
import { VercelApiError, VercelClient } from '../../vercel/client.js';
import { productionDeployments, readDeployment, readProject, resolveFrontendTarget, waitForAliasJob, type AliasOutcome } from '../../vercel/rollback.js';
import type { VercelDeployment, VercelProject } from '../../vercel/types.js';
import type { RollbackFrontendInputs } from './inputs.js';
import { frontendSummary } from './summary.js';

type Mode = RollbackFrontendInputs['mode'];

function result(inputs: RollbackFrontendInputs, status: string, current: VercelDeployment, target: VercelDeployment, outcome: AliasOutcome | undefined, pinned: boolean, failure?: string): ActionResult {
  const failedAliases = outcome?.failedAliases.map((a) => `${a.alias.alias} (${a.status})`) ?? [];
  const report = { mode: inputs.mode, status, from: current, to: target, aliasJob: outcome ? { status: outcome.request.jobStatus, ms: outcome.ms } : null, pinned, failedAliases };
  const titles: Record<Mode, string> = { rollback: 'Frontend rollback', 'undo-rollback': 'Frontend promote (undo rollback)', redeploy: 'Frontend redeploy' };
  return {
    outputs: { 'deployment-id': failure ? current.id : target.id, 'deployment-url': `https://${failure ? current.url : target.url}`, 'previous-deployment-id': current.id, pinned: String(pinned), result: JSON.stringify(report) },
    summary: frontendSummary({ title: `${titles[inputs.mode]}: ${status}`, ok: !failure, mode: inputs.mode, status, current, target, aliasJob: report.aliasJob ?? undefined, pinned, failedAliases }),
    ...(failure ? { failure } : {}),
  };
}

async function currentProduction(client: VercelClient, project: VercelProject): Promise<VercelDeployment> {
  const id = project.targets?.production?.id;
  const current = id ? await readDeployment(client, id) : undefined;
  if (!current) throw new StepFailure('Read production', `project ${project.name} has no production deployment`);
  return current;
}

async function moveAliases(client: VercelClient, project: VercelProject, kind: 'rollback' | 'promote', target: VercelDeployment, inputs: RollbackFrontendInputs, context: ActionContext, signal: AbortSignal): Promise<AliasOutcome | 'unchanged'> {
  const path = kind === 'rollback' ? `/v9/projects/${encodeURIComponent(project.id)}/rollback/${target.id}` : `/v10/projects/${encodeURIComponent(project.id)}/promote/${target.id}`;
  try {
    await context.log.group(`${kind === 'rollback' ? 'Roll back' : 'Promote'} to ${target.id}`, () =>
      client.request('POST', path, { body: {}, query: kind === 'rollback' ? { description: inputs.reason ?? `keiko-rollback by ${context.actor}${context.runUrl ? ` (${context.runUrl})` : ''}` } : {}, signal }),
    );
  } catch (error) {
    if (error instanceof VercelApiError && error.status === 409) return 'unchanged';
    if (error instanceof VercelApiError && (error.status === 400 || error.status === 402)) throw new ConfigurationError(`${target.id} cannot be used: Vercel answered ${error.status} (${error.message})`, 'target');
    throw error;
  }
  return context.log.group('Wait for the domains (alias job)', () => waitForAliasJob(client, project, target.id, kind, { log: context.log, signal }));
}

async function redeployTarget(client: VercelClient, project: VercelProject, inputs: RollbackFrontendInputs, context: ActionContext, signal: AbortSignal): Promise<VercelDeployment> {
  if (!project.link?.repoId) throw new ConfigurationError(`redeploy needs a Git repository linked to project ${project.name}, and it has none`, 'mode');
  const created = await client.request<VercelDeployment>('POST', '/v13/deployments', {
    body: { name: project.name, project: project.id, target: 'production', gitSource: { type: project.link.type, ref: inputs['git-ref'], repoId: project.link.repoId } },
    signal,
  });
  return context.log.group(`Build ${inputs['git-ref']} (${created.id})`, async () => {
    let state = created.readyState;
    for (let delay = 500; ; delay = Math.min(5000, delay * 1.5)) {
      const latest = await readDeployment(client, created.id);
      if (latest && latest.readyState !== state) context.log.info(`  ${created.id}: ${latest.readyState}`);
      state = latest?.readyState ?? state;
      if (state === 'READY' && latest) return latest;
      if (state === 'ERROR' || state === 'CANCELED') throw new StepFailure('Redeploy', `the build of ${inputs['git-ref']} ended ${state} (https://${created.url})`);
      await sleep(delay, signal);
    }
  });
}

export async function main(inputs: RollbackFrontendInputs, context: ActionContext): Promise<ActionResult> {
  const signal = AbortSignal.timeout(inputs.timeout);
  const client = new VercelClient(inputs['api-url'], inputs['vercel-token'], inputs.team, context.log);
  const project = await readProject(client, inputs.project, signal);
  const current = await currentProduction(client, project);
  let target: VercelDeployment;
  if (inputs.mode === 'rollback') target = await resolveFrontendTarget(client, project, inputs.target, current);
  else if (inputs.mode === 'undo-rollback') {
    const newest = (await productionDeployments(client, project.id)).find((d) => d.readyState === 'READY');
    if (!newest) throw new ConfigurationError('found no READY production deployment to promote', 'mode');
    target = newest;
  } else target = inputs['dry-run'] ? current : await redeployTarget(client, project, inputs, context, signal);
  context.log.info(`production: ${current.id} (${current.meta?.githubCommitRef ?? current.url}) → ${target.id} (${target.meta?.githubCommitRef ?? target.url})`);
  const pinnedNow = project.autoAssignCustomDomains === false;
  if (inputs['dry-run']) return result(inputs, inputs.mode === 'redeploy' ? `dry run: would build ${inputs['git-ref']} for production` : 'dry run: nothing changed', current, target, undefined, pinnedNow);
  if (target.id === current.id && inputs.mode !== 'undo-rollback') return result(inputs, 'unchanged: already the current production deployment', current, target, undefined, pinnedNow);
  const kind = inputs.mode === 'rollback' ? 'rollback' : 'promote';
  const outcome = await moveAliases(client, project, kind, target, inputs, context, signal);
  if (outcome === 'unchanged') return result(inputs, 'unchanged: already the current production deployment', current, target, undefined, pinnedNow);
  const pinned = outcome.project.autoAssignCustomDomains === false;
  if (outcome.request.jobStatus === 'failed') {
    const aliases = outcome.failedAliases.map((a) => a.alias.alias).join(', ') || 'unknown aliases';
    return result(inputs, 'failed', current, target, outcome, pinned, `Vercel could not move all domains to ${target.id}: failed aliases ${aliases}`);
  }
  return result(inputs, `${target.id} serves production`, current, target, outcome, pinned);
}
