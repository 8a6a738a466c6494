import pMap from 'p-map';
import type { ActionContext, ActionResult } from '../../core/action.js';
import { formatDuration } from '../../core/durations.js';
import { ConfigurationError, describeError } from '../../core/errors.js';
import { prefixedLogger } from '../../core/logger.js';
import { DEFAULT_RETRY_POLICY } from '../../core/retry.js';
import type { KubeClient } from '../../kube/client.js';
import { namespaceSnapshots } from '../../kube/config-restore.js';
import { type ClusterClient, resolveNamespace } from '../../kube/connection.js';
import { type HelmRunner, helmRunner } from '../../kube/helm.js';
import { namespaceHistories } from '../../kube/history.js';
import { NamespaceInformers } from '../../kube/informer.js';
import { type HeldLease, LEASE_STATE, namespaceLeaseHolders } from '../../kube/lease.js';
import { writeLeaseState } from '../../kube/lease-state.js';
import { readState } from '../../kube/reroute-state.js';
import { describeTarget } from '../../kube/rollback.js';
import type { ServicePlanEntry } from '../../kube/service-plan.js';
import type { ClusterTarget } from './each-service.js';
import { resultOf, rollbackService, type ServiceResult, unplannedResult } from './execute.js';
import type { RollbackServiceInputs, RollbackServiceOutput } from './inputs.js';
import { type ClusterRun, clusterResult, clustersResult } from './outputs.js';
import { describePlan, planService, type ServicePlan } from './plan.js';
import { resumeMain } from './resume-sync.js';
import { snapshotMain } from './snapshot.js';

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

/** `on-managed: helm`: Helm with this cluster's kubeconfig, bounded by what is left of the run's time. */
function helmFor(inputs: RollbackServiceInputs, client: KubeClient, context: ActionContext): HelmRunner | undefined {
  if (inputs['on-managed'] !== 'helm') return undefined;
  return helmRunner(client.exportKubeconfig(), undefined, context.log, () => context.clock.deadline - Date.now());
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
  // several clusters plan at once: their reads are independent, their first user mistake stops the run
  const reroute = readState(client, namespace);
  // a fleet reads every history from two namespace lists; one service reads its own (fewer bytes)
  const fleet = services.length > 1;
  const histories = fleet ? namespaceHistories(client, namespace, context.clock.signal) : undefined;
  const leaseHolders = fleet && !inputs['dry-run'] ? namespaceLeaseHolders(client, namespace, context.clock.signal) : undefined;
  const snapshots = fleet ? namespaceSnapshots(client, namespace, context.clock.signal) : undefined;
  const helm = helmFor(inputs, client, context);
  const planned = await pMap(
    services,
    (service, index) =>
      planService(client, service, {
        namespace,
        target: inputs.target,
        onlyFrom: inputs['only-from'],
        container: inputs.container,
        onManaged: inputs['on-managed'],
        helm,
        argocdNamespace: inputs['argocd-namespace'] ?? 'argocd',
        force: inputs.force,
        dryRun: inputs['dry-run'],
        log: context.log,
        signal: context.clock.signal,
        given: given?.[index],
        reroute,
        histories,
        leaseHolders,
        snapshots,
      }),
    { concurrency: PLAN_PARALLEL },
  );
  for (const plan of planned) context.log.info(describePlan(plan));
  return planned;
}

export type RollbackServiceClients = { kube: KubeClient } | { clusters: ClusterClient[] };

/** The clusters of a run: the one of `kubeconfig`/`context` (no context name), or one per `contexts` entry. */
export function clusterTargets(clients: RollbackServiceClients): ClusterTarget[] {
  return 'kube' in clients ? [{ context: undefined, kube: clients.kube }] : clients.clusters;
}

function clusterRuns(inputs: RollbackServiceInputs, context: ActionContext, clients: RollbackServiceClients): ClusterRun[] {
  return clusterTargets(clients).map(({ context: name, kube }) => {
    const given = inputs.plan?.find((p) => p.context === name);
    return {
      context: name,
      kube,
      log: name ? prefixedLogger(context.log, `[${name}] `) : context.log,
      namespace: given?.namespace ?? resolveNamespace(inputs) ?? '',
      given,
      plans: [],
      results: [],
    };
  });
}

/**
 * How long one of several clusters may take to be read before the others go on without it: a quarter of the
 * run's time, from 5 s to 60 s. One unreachable API server must not hold every cluster's rollback back.
 */
export function clusterPlanBudgetMs(timeoutMs: number): number {
  return Math.min(60_000, Math.max(5_000, Math.round(timeoutMs / 4)));
}

async function planCluster(cluster: ClusterRun, inputs: RollbackServiceInputs, context: ActionContext): Promise<void> {
  const given = cluster.given?.services.filter((e) => inputs.services.length === 0 || inputs.services.includes(e.service));
  const services = given ? given.map((e) => e.service) : inputs.services;
  // several clusters: the reads of each retry for its plan budget only (the same client otherwise)
  const reader = cluster.context
    ? cluster.kube.withSignal(context.clock.signal, { ...DEFAULT_RETRY_POLICY, budgetMs: clusterPlanBudgetMs(inputs.timeout) })
    : cluster.kube;
  try {
    cluster.plans = await planAll(reader, services, inputs, { ...context, log: cluster.log }, given, cluster.namespace);
  } catch (error) {
    // one cluster that cannot be read is reported; the others still roll back (a user mistake stops them all)
    if (!cluster.context || error instanceof ConfigurationError || context.cancel.aborted) throw error;
    cluster.unplanned = `not planned: ${describeError(error)}; nothing written in ${cluster.context}`;
    cluster.results = services.map((service) => unplannedResult(service, cluster.namespace, cluster.unplanned ?? ''));
    cluster.log.warning(cluster.unplanned);
  } finally {
    if (reader !== cluster.kube) await reader.close();
  }
}

async function convergeCluster(cluster: ClusterRun, inputs: RollbackServiceInputs, context: ActionContext, onLease: LeaseCallback): Promise<void> {
  if (cluster.unplanned) return;
  const { signal, deadline, label: timeoutLabel } = context.clock;
  const log = cluster.log;
  let failedOnce = false;
  // several services: one watch of the namespace's deployments and one of its pods serve them all
  const informers = cluster.plans.length > 1 && !inputs['dry-run'] ? new NamespaceInformers(cluster.kube, cluster.namespace, { signal, log }) : undefined;
  const helm = helmFor(inputs, cluster.kube, context);
  try {
    cluster.results = await pMap(
      cluster.plans,
      async (plan): Promise<ServiceResult> => {
        // fail-fast and cancel stop new starts; what already runs converges or is cut by the run's signal
        if ((inputs['fail-fast'] && failedOnce) || context.cancel.aborted) return notStarted(plan, context.cancel.aborted, log);
        const result = await rollbackService(cluster.kube, plan, {
          dryRun: inputs['dry-run'],
          force: inputs.force,
          failAfterMs: inputs['fail-after'],
          changeCause: changeCause(inputs, context),
          holder: context.runId,
          log,
          signal,
          deadline,
          timeoutLabel,
          ...(inputs['on-managed'] === 'suspend-sync' ? { suspendSync: { namespace: inputs['argocd-namespace'] ?? 'argocd' } } : {}),
          ...(helm ? { helm } : {}),
          ...(informers ? { informers } : {}),
          onLease: (lease, isHeld) => onLease(cluster.context, lease, isHeld),
        });
        log.info(
          `${result.status === 'failed' || result.status === 'cancelled' ? '✗' : '✓'} ${plan.service}: ${result.status} (${formatDuration(result['duration-ms'])}) ${result.message}`,
        );
        if (result.status === 'failed') failedOnce = true;
        return result;
      },
      { concurrency: inputs['max-parallel'] },
    );
  } finally {
    informers?.stop();
  }
}

type LeaseCallback = (cluster: string | undefined, lease: HeldLease, held: boolean) => void;

export async function main(
  inputs: RollbackServiceInputs,
  context: ActionContext,
  clients: RollbackServiceClients,
): Promise<ActionResult<RollbackServiceOutput>> {
  if (inputs.mode === 'resume-sync') return resumeMain(inputs, context, clusterTargets(clients));
  if (inputs.mode === 'snapshot') return snapshotMain(inputs, context, clusterTargets(clients));
  const clusters = clusterRuns(inputs, context, clients);
  const several = 'clusters' in clients;
  const first = clusters[0];
  const heading = several
    ? `Plan: ${inputs.services.length || 'the given'} service(s) in ${clusters.length} clusters (${clusters.map((c) => c.context).join(', ')})`
    : first?.given
      ? `Plan (given, made ${first.given['created-at']})`
      : `Plan: ${inputs.services.length} service(s) in ${first?.namespace} → ${describeTarget(inputs.target)}`;

  const { phases } = context;
  await phases.step('Plan', () => Promise.all(clusters.map((c) => planCluster(c, inputs, context))), heading);

  const held = new Map<string, HeldLease & { context?: string }>();
  const onLease: LeaseCallback = (cluster, lease, isHeld) => {
    const key = `${cluster ?? ''}/${lease.name}`;
    if (isHeld) held.set(key, { ...lease, ...(cluster ? { context: cluster } : {}) });
    else held.delete(key);
    context.saveState(LEASE_STATE, writeLeaseState([...held.values()]));
  };
  const total = clusters.reduce((n, c) => n + c.plans.length, 0);
  await phases.step(
    inputs['dry-run'] ? 'Dry run' : 'Converge',
    () => Promise.all(clusters.map((c) => convergeCluster(c, inputs, context, onLease))),
    inputs['dry-run']
      ? 'Dry run (dryRun=All, nothing changes)'
      : `Converge (${total} service(s), up to ${inputs['max-parallel']} at once${several ? ' per cluster' : ''})`,
  );
  return several ? clustersResult(clusters, inputs, context) : clusterResult(first, inputs, context);
}
