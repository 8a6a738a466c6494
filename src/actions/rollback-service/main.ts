import type { ActionContext, ActionResult } from '../../core/action.js';
import { formatDuration } from '../../core/durations.js';
import { KubeClient } from '../../kube/client.js';
import { loadKubeConfig, resolveNamespace } from '../../kube/connection.js';
import { LEASE_STATE, type HeldLease } from '../../kube/lease.js';
import { describeTarget } from '../../kube/rollback.js';
import { resultOf, rollbackService, type ServiceResult } from './execute.js';
import type { RollbackServiceInputs } from './inputs.js';
import { describePlan, planService, type ServicePlan } from './plan.js';
import { rollbackSummary } from './summary.js';

/** Runs `worker` over `items` with at most `limit` at once; `stop()` prevents new starts. */
async function forEachLimited<T, R>(items: T[], limit: number, worker: (item: T) => Promise<R>, skipped: (item: T) => R, shouldStop: () => boolean): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      const item = items[index] as T;
      results[index] = shouldStop() ? skipped(item) : await worker(item);
    }
  });
  await Promise.all(lanes);
  return results;
}

function changeCause(inputs: RollbackServiceInputs, context: ActionContext): string | undefined {
  if (!inputs.reason) return undefined;
  return `${inputs.reason} (rollback to ${describeTarget(inputs.target)} by ${context.actor}${context.runUrl ? `, ${context.runUrl}` : ''})`;
}

export async function main(inputs: RollbackServiceInputs, context: ActionContext): Promise<ActionResult> {
  const { log } = context;
  const namespace = resolveNamespace(inputs) ?? '';
  const kubeConfig = await loadKubeConfig(inputs, context.secrets);
  const client = new KubeClient(kubeConfig, log);
  const timeoutLabel = formatDuration(inputs.timeout);
  const deadline = Date.now() + inputs.timeout;
  const signal = AbortSignal.timeout(inputs.timeout);
  const target = describeTarget(inputs.target);

  const plans = await log.group(`Plan: ${inputs.services.length} service(s) in ${namespace} → ${target}`, async () => {
    const planned: ServicePlan[] = [];
    for (const service of inputs.services) {
      const plan = await planService(client, service, { namespace, target: inputs.target, container: inputs.container, onManaged: inputs['on-managed'], dryRun: inputs['dry-run'], log, signal });
      log.info(describePlan(plan, inputs.container));
      planned.push(plan);
    }
    return planned;
  });

  const held = new Map<string, HeldLease>();
  const saveLeases = (): void => context.saveState(LEASE_STATE, JSON.stringify([...held.values()].map((l) => ({ namespace: l.namespace, name: l.name, holder: l.holder }))));
  let failedOnce = false;
  const results = await log.group(inputs['dry-run'] ? 'Dry run (dryRun=All, nothing changes)' : `Roll back (up to ${inputs['max-parallel']} at once)`, () =>
    forEachLimited<ServicePlan, ServiceResult>(
      plans,
      inputs['max-parallel'],
      async (plan) => {
        const result = await rollbackService(client, plan, {
          dryRun: inputs['dry-run'],
          relative: inputs.target.kind === 'previous',
          changeCause: changeCause(inputs, context),
          holder: context.runId,
          container: inputs.container,
          log,
          signal,
          deadline,
          timeoutLabel,
          onLease: (lease, isHeld) => {
            if (isHeld) held.set(lease.name, lease);
            else held.delete(lease.name);
            saveLeases();
          },
        });
        log.info(`${result.status === 'failed' ? '✗' : '✓'} ${plan.service}: ${result.status} (${formatDuration(result['duration-ms'])}) ${result.message}`);
        if (result.status === 'failed') failedOnce = true;
        return result;
      },
      (plan) => resultOf(plan, 'skipped', 'not started: fail-fast stopped after an earlier failure', Date.now(), inputs.container),
      () => inputs['fail-fast'] && failedOnce,
    ),
  );

  const failed = results.filter((r) => r.status === 'failed').map((r) => r.service);
  return {
    outputs: {
      result: JSON.stringify(results),
      'rolled-back': results.filter((r) => r.status === 'rolled-back').map((r) => r.service).join(','),
      failed: failed.join(','),
    },
    summary: rollbackSummary(results, plans, namespace, inputs['dry-run']),
    ...(failed.length ? { failure: `rollback failed for ${failed.join(', ')}: ${results.filter((r) => r.status === 'failed').map((r) => `${r.service}: ${r.message}`).join(' | ')}` } : {}),
  };
}
