import pMap from 'p-map';
import type { ActionContext, ActionResult } from '../../core/action.js';
import { formatDuration } from '../../core/durations.js';
import type { KubeClient } from '../../kube/client.js';
import { resolveNamespace } from '../../kube/connection.js';
import { namespaceHistories } from '../../kube/history.js';
import { NamespaceInformers } from '../../kube/informer.js';
import { type HeldLease, LEASE_STATE, namespaceLeaseHolders } from '../../kube/lease.js';
import { writeLeaseState } from '../../kube/lease-state.js';
import { readState } from '../../kube/reroute-state.js';
import { describeTarget } from '../../kube/rollback.js';
import { SERVICE_PLAN_KIND, SERVICE_PLAN_VERSION, type ServicePlanDocument, type ServicePlanEntry } from '../../kube/service-plan.js';
import { resultOf, rollbackService, type ServiceResult } from './execute.js';
import type { RollbackServiceInputs, RollbackServiceOutput } from './inputs.js';
import { describePlan, planService, type ServicePlan } from './plan.js';
import { rollbackSummary } from './summary.js';

/** Reads while planning: enough to overlap the round trips of a fleet, few enough to stay polite to the API server. */
const PLAN_PARALLEL = 25;

function notStarted(plan: ServicePlan, cancelled: boolean, log: ActionContext['log']): ServiceResult {
  const result = resultOf(
    plan,
    cancelled ? 'cancelled' : 'skipped',
    cancelled ? 'not started: the run was cancelled' : 'not started: fail-fast stopped after an earlier failure',
    Date.now(),
  );
  log.info(`✗ ${plan.service}: ${result.status} (${result.message})`);
  return result;
}

function changeCause(inputs: RollbackServiceInputs, context: ActionContext): string | undefined {
  if (!inputs.reason) return undefined;
  return `${inputs.reason} (rollback to ${describeTarget(inputs.target)} by ${context.actor}${context.runUrl ? `, ${context.runUrl}` : ''})`;
}

function planDocument(plans: ServicePlan[], namespace: string, inputs: RollbackServiceInputs): ServicePlanDocument {
  return {
    version: SERVICE_PLAN_VERSION,
    kind: SERVICE_PLAN_KIND,
    namespace,
    target: inputs.plan?.target ?? describeTarget(inputs.target),
    services: plans.map((p) => p.entry),
    'created-at': inputs.plan?.['created-at'] ?? new Date().toISOString(),
  };
}

/** Every service's reads at once (reads: nothing to protect), logged in the order the services were given. */
async function planAll(
  client: KubeClient,
  services: string[],
  inputs: RollbackServiceInputs,
  context: ActionContext,
  given: ServicePlanEntry[] | undefined,
  namespace: string,
): Promise<ServicePlan[]> {
  const reroute = readState(client, namespace);
  // a fleet reads every history from two namespace lists; one service reads its own (fewer bytes)
  const fleet = services.length > 1;
  const histories = fleet ? namespaceHistories(client, namespace, context.clock.signal) : undefined;
  const leaseHolders = fleet && !inputs['dry-run'] ? namespaceLeaseHolders(client, namespace, context.clock.signal) : undefined;
  const planned = await pMap(
    services,
    (service, index) =>
      planService(client, service, {
        namespace,
        target: inputs.target,
        onlyFrom: inputs['only-from'],
        container: inputs.container,
        onManaged: inputs['on-managed'],
        force: inputs.force,
        dryRun: inputs['dry-run'],
        log: context.log,
        signal: context.clock.signal,
        given: given?.[index],
        reroute,
        histories,
        leaseHolders,
      }),
    { concurrency: PLAN_PARALLEL },
  );
  for (const plan of planned) context.log.info(describePlan(plan));
  return planned;
}

export interface RollbackServiceClients {
  kube: KubeClient;
}

export async function main(
  inputs: RollbackServiceInputs,
  context: ActionContext,
  { kube: client }: RollbackServiceClients,
): Promise<ActionResult<RollbackServiceOutput>> {
  const { log } = context;
  const namespace = inputs.plan?.namespace ?? resolveNamespace(inputs) ?? '';
  const { signal, deadline, label: timeoutLabel } = context.clock;
  const given = inputs.plan?.services.filter((e) => inputs.services.length === 0 || inputs.services.includes(e.service));
  const services = given ? given.map((e) => e.service) : inputs.services;
  const heading = given
    ? `Plan (given, made ${inputs.plan?.['created-at'] ?? '?'})`
    : `Plan: ${services.length} service(s) in ${namespace} → ${describeTarget(inputs.target)}`;

  const { phases } = context;
  const plans = await phases.step('Plan', () => planAll(client, services, inputs, context, given, namespace), heading);

  const held = new Map<string, HeldLease>();
  const saveLeases = (): void => context.saveState(LEASE_STATE, writeLeaseState([...held.values()]));
  let failedOnce = false;
  // several services: one watch of the namespace's deployments and one of its pods serve them all
  const informers = plans.length > 1 && !inputs['dry-run'] ? new NamespaceInformers(client, namespace, { signal, log }) : undefined;
  const results = await phases
    .step(
      inputs['dry-run'] ? 'Dry run' : 'Converge',
      () =>
        pMap(
          plans,
          async (plan): Promise<ServiceResult> => {
            // fail-fast and cancel stop new starts; what already runs converges or is cut by the run's signal
            if ((inputs['fail-fast'] && failedOnce) || context.cancel.aborted) return notStarted(plan, context.cancel.aborted, log);
            const result = await rollbackService(client, plan, {
              dryRun: inputs['dry-run'],
              force: inputs.force,
              failAfterMs: inputs['fail-after'],
              changeCause: changeCause(inputs, context),
              holder: context.runId,
              log,
              signal,
              deadline,
              timeoutLabel,
              ...(informers ? { informers } : {}),
              onLease: (lease, isHeld) => {
                if (isHeld) held.set(lease.name, lease);
                else held.delete(lease.name);
                saveLeases();
              },
            });
            log.info(
              `${result.status === 'failed' || result.status === 'cancelled' ? '✗' : '✓'} ${plan.service}: ${result.status} (${formatDuration(result['duration-ms'])}) ${result.message}`,
            );
            if (result.status === 'failed') failedOnce = true;
            return result;
          },
          { concurrency: inputs['max-parallel'] },
        ),
      inputs['dry-run'] ? 'Dry run (dryRun=All, nothing changes)' : `Converge (up to ${inputs['max-parallel']} at once)`,
    )
    .finally(() => informers?.stop());

  const failed = results.filter((r) => r.status === 'failed' || r.status === 'cancelled');
  const failure = context.cancel.aborted
    ? `cancelled: ${results.map((r) => `${r.service} ${r.status}`).join(', ')}; leases released`
    : failed.length
      ? `rollback failed for ${failed.map((r) => r.service).join(', ')}: ${failed.map((r) => `${r.service}: ${r.message}`).join(' | ')}`
      : undefined;
  return {
    outputs: {
      result: JSON.stringify(results),
      plan: JSON.stringify(planDocument(plans, namespace, inputs)),
      'rolled-back': results
        .filter((r) => r.status === 'rolled-back')
        .map((r) => r.service)
        .join(','),
      failed: failed.map((r) => r.service).join(','),
    },
    summary: rollbackSummary(results, plans, namespace, inputs['dry-run']),
    ...(failure ? { failure } : {}),
  };
}
