import type { ActionContext, ActionResult } from '../../core/action.js';
import { ConfigurationError, StepFailure } from '../../core/errors.js';
import { VercelApiError, type VercelClient } from '../../vercel/client.js';
import { FRONTEND_PLAN_KIND, type FrontendPlan, resolveTarget, sideOf, undoTarget } from '../../vercel/frontend-plan.js';
import {
  type AliasOutcome,
  createProductionBuild,
  readDeployment,
  readProject,
  requestAliasMove,
  waitForAliasJob,
  waitForBuild,
} from '../../vercel/rollback.js';
import type { VercelDeployment, VercelProject } from '../../vercel/types.js';
import type { RollbackFrontendInputs, RollbackFrontendOutput } from './inputs.js';
import { frontendSummary } from './summary.js';

type Mode = RollbackFrontendInputs['mode'];

function planOf(inputs: RollbackFrontendInputs, project: string, current: VercelDeployment, target: VercelDeployment): string {
  if (inputs.mode === 'redeploy') return '';
  const plan: FrontendPlan = {
    version: 1,
    kind: FRONTEND_PLAN_KIND,
    project,
    mode: inputs.mode,
    from: sideOf(current),
    to: sideOf(target),
    'created-at': inputs.plan?.['created-at'] ?? new Date().toISOString(),
  };
  return JSON.stringify(plan);
}

function result(
  inputs: RollbackFrontendInputs,
  status: string,
  current: VercelDeployment,
  target: VercelDeployment,
  outcome: AliasOutcome | undefined,
  pinned: boolean,
  failure?: string,
): ActionResult<RollbackFrontendOutput> {
  const failedAliases = outcome?.failedAliases.map((a) => `${a.alias.alias} (${a.status})`) ?? [];
  const report = {
    mode: inputs.mode,
    status,
    from: current,
    to: target,
    aliasJob: outcome ? { status: outcome.request.jobStatus, ms: outcome.ms } : null,
    pinned,
    failedAliases,
  };
  const titles: Record<Mode, string> = { rollback: 'Frontend rollback', 'undo-rollback': 'Frontend promote (undo rollback)', redeploy: 'Frontend redeploy' };
  return {
    outputs: {
      'deployment-id': failure ? current.id : target.id,
      'deployment-url': `https://${failure ? current.url : target.url}`,
      'previous-deployment-id': current.id,
      pinned: String(pinned),
      plan: planOf(inputs, inputs.project, current, target),
      result: JSON.stringify(report),
    },
    summary: frontendSummary({
      title: `${titles[inputs.mode]}: ${status}`,
      ok: !failure,
      mode: inputs.mode,
      status,
      current,
      target,
      aliasJob: report.aliasJob ?? undefined,
      pinned,
      failedAliases,
    }),
    ...(failure ? { failure } : {}),
  };
}

async function currentProduction(client: VercelClient, project: VercelProject): Promise<VercelDeployment> {
  const id = project.targets?.production?.id;
  const current = id ? await readDeployment(client, id) : undefined;
  if (!current) throw new StepFailure('Read production', `project ${project.name} has no production deployment`);
  return current;
}

async function moveAliases(
  client: VercelClient,
  project: VercelProject,
  kind: 'rollback' | 'promote',
  target: VercelDeployment,
  inputs: RollbackFrontendInputs,
  context: ActionContext,
  signal: AbortSignal,
): Promise<AliasOutcome | 'unchanged'> {
  const description = inputs.reason ?? `keiko-rollback by ${context.actor}${context.runUrl ? ` (${context.runUrl})` : ''}`;
  try {
    const requested = await context.phases.step(
      kind === 'rollback' ? 'Roll back' : 'Promote',
      () => requestAliasMove(client, project.id, kind, target.id, description, signal),
      `${kind === 'rollback' ? 'Roll back' : 'Promote'} to ${target.id}`,
    );
    if (requested === 'unchanged') return 'unchanged';
  } catch (error) {
    if (error instanceof VercelApiError && (error.status === 400 || error.status === 402))
      throw new ConfigurationError(`${target.id} cannot be used: Vercel answered ${error.status} (${error.message})`, 'target');
    throw error;
  }
  return context.phases.step(
    'Domains',
    () => waitForAliasJob(client, project, target.id, kind, { log: context.log, signal }),
    'Wait for the domains (alias job)',
  );
}

async function redeployTarget(
  client: VercelClient,
  project: VercelProject,
  inputs: RollbackFrontendInputs,
  context: ActionContext,
  signal: AbortSignal,
): Promise<VercelDeployment> {
  const created = await createProductionBuild(client, project, inputs['git-ref'], signal);
  return context.phases.step(
    'Build',
    () => waitForBuild(client, created, inputs['git-ref'] ?? 'the linked branch', { log: context.log, signal }),
    `Build ${inputs['git-ref']} (${created.id})`,
  );
}

/** Converge to a plan: its target live → unchanged; its start live → move; anything else → refuse (force overrides). */
async function fromPlan(
  client: VercelClient,
  plan: FrontendPlan,
  current: VercelDeployment,
  force: boolean,
): Promise<{ target: VercelDeployment } | { unchanged: string }> {
  if (current.id === plan.to.id) return { unchanged: `unchanged: ${plan.to.id} already serves production` };
  if (current.id !== plan.from.id && !force) {
    throw new ConfigurationError(
      `expects production at ${plan.from.id} (${plan.from.ref || plan.from.url}), but ${current.id} (${current.meta?.githubCommitRef ?? current.url}) serves it now: someone deployed in between; nothing changed. Make a new plan, or set force: true`,
      'plan',
    );
  }
  const target = await readDeployment(client, plan.to.id);
  if (!target) throw new ConfigurationError(`names ${plan.to.id}, which Vercel no longer has`, 'plan');
  return { target };
}

export interface RollbackFrontendClients {
  vercel: VercelClient;
}

export async function main(
  inputs: RollbackFrontendInputs,
  context: ActionContext,
  { vercel: client }: RollbackFrontendClients,
): Promise<ActionResult<RollbackFrontendOutput>> {
  const { signal } = context.clock;
  const project = await readProject(client, inputs.project, signal);
  const current = await currentProduction(client, project);
  let target: VercelDeployment;
  const pinnedBefore = project.autoAssignCustomDomains === false;
  if (inputs.plan) {
    const chosen = await fromPlan(client, inputs.plan, current, inputs.force);
    if ('unchanged' in chosen) return result(inputs, chosen.unchanged, current, current, undefined, pinnedBefore);
    target = chosen.target;
  } else if (inputs.mode === 'rollback') {
    const resolved = await resolveTarget(client, project, inputs.target, current, inputs.force);
    if ('stay' in resolved) return result(inputs, `unchanged: ${resolved.stay}`, current, current, undefined, pinnedBefore);
    target = resolved.to;
  } else if (inputs.mode === 'undo-rollback') target = await undoTarget(client, project, inputs.force);
  else target = inputs['dry-run'] ? current : await redeployTarget(client, project, inputs, context, signal);
  context.log.info(
    `production: ${current.id} (${current.meta?.githubCommitRef ?? current.url}) → ${target.id} (${target.meta?.githubCommitRef ?? target.url})`,
  );
  const pinnedNow = project.autoAssignCustomDomains === false;
  if (inputs['dry-run'])
    return result(
      inputs,
      inputs.mode === 'redeploy' ? `dry run: would build ${inputs['git-ref']} for production` : 'dry run: nothing changed',
      current,
      target,
      undefined,
      pinnedNow,
    );
  if (target.id === current.id && inputs.mode !== 'undo-rollback')
    return result(inputs, 'unchanged: already the current production deployment', current, target, undefined, pinnedNow);
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
