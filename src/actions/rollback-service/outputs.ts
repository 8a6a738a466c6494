import type { ActionContext, ActionResult } from '../../core/action.js';
import type { KubeClient } from '../../kube/client.js';
import { describeTarget } from '../../kube/rollback.js';
import { SERVICE_PLAN_KIND, SERVICE_PLAN_VERSION, type ServicePlanDocument } from '../../kube/service-plan.js';
import { resultName } from './each-service.js';
import type { ServiceResult } from './execute.js';
import type { RollbackServiceInputs, RollbackServiceOutput } from './inputs.js';
import type { ServicePlan } from './plan.js';
import { clustersSummary, rollbackSummary } from './summary.js';

/** One cluster's part of the run: its client, its namespace, the plan it was given (if any), then what happened. */
export interface ClusterRun {
  /** The kubeconfig context, when the run rolls back several clusters (`contexts`). */
  context: string | undefined;
  kube: KubeClient;
  log: ActionContext['log'];
  namespace: string;
  given: ServicePlanDocument | undefined;
  plans: ServicePlan[];
  results: ServiceResult[];
  /** Why nothing could be planned in this cluster (unreachable, refused): its services are reported failed. */
  unplanned?: string;
}

function planDocument(plans: ServicePlan[], cluster: ClusterRun, inputs: RollbackServiceInputs): ServicePlanDocument {
  return {
    version: SERVICE_PLAN_VERSION,
    kind: SERVICE_PLAN_KIND,
    namespace: cluster.namespace,
    target: cluster.given?.target ?? describeTarget(inputs.target),
    services: plans.map((p) => p.entry),
    'created-at': cluster.given?.['created-at'] ?? new Date().toISOString(),
    ...(cluster.context ? { context: cluster.context } : {}),
  };
}

function failureOf(cluster: ClusterRun, cancelled: boolean): string | undefined {
  const failed = cluster.results.filter((r) => r.status === 'failed' || r.status === 'cancelled');
  if (cancelled) return `cancelled: ${cluster.results.map((r) => `${r.service} ${r.status}`).join(', ')}; leases released`;
  if (cluster.unplanned) return cluster.unplanned;
  return failed.length
    ? `rollback failed for ${failed.map((r) => r.service).join(', ')}: ${failed.map((r) => `${r.service}: ${r.message}`).join(' | ')}`
    : undefined;
}

const isFailed = (r: ServiceResult): boolean => r.status === 'failed' || r.status === 'cancelled';

export function clusterResult(cluster: ClusterRun | undefined, inputs: RollbackServiceInputs, context: ActionContext): ActionResult<RollbackServiceOutput> {
  if (!cluster) throw new Error('rollback-service ran without a cluster');
  const { results, plans } = cluster;
  const failure = failureOf(cluster, context.cancel.aborted);
  return {
    outputs: {
      result: JSON.stringify(results),
      plan: JSON.stringify(planDocument(plans, cluster, inputs)),
      'rolled-back': results
        .filter((r) => r.status === 'rolled-back')
        .map((r) => r.service)
        .join(','),
      failed: results
        .filter(isFailed)
        .map((r) => r.service)
        .join(','),
    },
    summary: rollbackSummary(results, plans, cluster.namespace, inputs['dry-run']),
    ...(failure ? { failure } : {}),
  };
}

/** Several clusters: every result names its context; `rolled-back` and `failed` list service@context. */
export function clustersResult(clusters: ClusterRun[], inputs: RollbackServiceInputs, context: ActionContext): ActionResult<RollbackServiceOutput> {
  const results = clusters.flatMap((c) => c.results.map((r) => ({ ...r, context: c.context })));
  const named = (keep: (r: ServiceResult) => boolean): string => results.filter(keep).map(resultName).join(',');
  const failures = clusters.flatMap((c) => {
    const failure = failureOf(c, context.cancel.aborted);
    return failure ? [`${c.context}: ${failure}`] : [];
  });
  return {
    outputs: {
      result: JSON.stringify(results),
      plan: JSON.stringify(clusters.filter((c) => !c.unplanned).map((c) => planDocument(c.plans, c, inputs))),
      'rolled-back': named((r) => r.status === 'rolled-back'),
      failed: named(isFailed),
    },
    summary: clustersSummary(
      clusters.map((c) => ({ context: c.context ?? '', namespace: c.namespace, results: c.results, plans: c.plans, unplanned: c.unplanned })),
      inputs['dry-run'],
    ),
    ...(failures.length ? { failure: failures.join(' || ') } : {}),
  };
}
