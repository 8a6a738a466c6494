import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { OutsideFailure } from '../../core/outside.js';
import { KubeApiError, type KubeClient } from '../../kube/client.js';
import type { HelmRunner } from '../../kube/helm.js';
import type { NamespaceInformers } from '../../kube/informer.js';
import { acquireLease, type HeldLease, LeaseHeldError } from '../../kube/lease.js';
import { watchPodFailures } from '../../kube/pod-failures.js';
import { describeMap, type LiveReplicaSet, rolloutMap } from '../../kube/rollout-map.js';
import { rolloutState } from '../../kube/rollout-status.js';
import { waitForRollout } from '../../kube/rollout-watch.js';
import { converge } from '../../kube/service-plan.js';
import { type Deployment, REVISION_ANNOTATION } from '../../kube/types.js';
import { kubectlName, podRevisionLabel, workloadOf } from '../../kube/workload.js';
import { leaseName, type ServicePlan } from './plan.js';
import { writeRollback } from './write.js';

export type ServiceStatus = 'rolled-back' | 'unchanged' | 'planned' | 'failed' | 'skipped' | 'cancelled';

export interface ServiceResult {
  service: string;
  namespace: string;
  /** The kubeconfig context of its cluster, when the run rolled back several (`contexts`). */
  context?: string | undefined;
  status: ServiceStatus;
  'from-revision': number | null;
  'to-revision': number | null;
  'from-version': string;
  'to-version': string;
  'from-images': string[];
  'to-images': string[];
  'duration-ms': number;
  message: string;
  /** After a failure: each ReplicaSet with pods, and the next steps. */
  live?: LiveReplicaSet[];
  next?: string[];
}

export interface ExecuteOptions {
  dryRun: boolean;
  force: boolean;
  failAfterMs: number;
  changeCause: string | undefined;
  holder: string;
  log: Logger;
  signal: AbortSignal;
  deadline: number;
  timeoutLabel: string;
  onLease(lease: HeldLease, held: boolean): void;
  /** `on-managed: helm`: Helm with the run's kubeconfig (a plan entry with a Helm revision is rolled back through it). */
  helm?: HelmRunner;
  /** `on-managed: suspend-sync`: where Argo CD keeps its Applications (their automated sync is turned off before the patch). */
  suspendSync?: { namespace: string };
  /** Several services at once share one watch of deployments and one of pods. */
  informers?: NamespaceInformers;
}

export function resultOf(plan: ServicePlan, status: ServiceStatus, message: string, started: number): ServiceResult {
  const { from, to } = plan.entry;
  return {
    service: plan.service,
    namespace: plan.namespace,
    status,
    'from-revision': from?.revision ?? null,
    'to-revision': to.revision,
    'from-version': from?.version ?? '?',
    'to-version': to.version,
    'from-images': from?.images ?? [],
    'to-images': to.images,
    'duration-ms': Date.now() - started,
    message,
  };
}

/** A service of a cluster that could not be planned (unreachable, refused): failed, nothing written there. */
export function unplannedResult(service: string, namespace: string, message: string): ServiceResult {
  return {
    service,
    namespace,
    status: 'failed',
    'from-revision': null,
    'to-revision': null,
    'from-version': '?',
    'to-version': '?',
    'from-images': [],
    'to-images': [],
    'duration-ms': 0,
    message,
  };
}

/** The failure with what is live. */
async function failed(client: KubeClient, plan: ServicePlan, reason: string, started: number): Promise<ServiceResult> {
  try {
    const map = await rolloutMap(client, plan.namespace, plan.service, AbortSignal.timeout(10_000));
    const detail = [reason, ...map.problems.filter((p) => !reason.includes(p)), describeMap(map)].join('; ');
    return { ...resultOf(plan, 'failed', detail, started), live: map.replicaSets, next: map.next };
  } catch {
    return resultOf(plan, 'failed', reason, started);
  }
}

/**
 * Waits until the target's rollout is complete and healthy, as `kubectl rollout status` judges it,
 * and fails fast when the target's pods cannot start (fail-after) or the progress deadline passed.
 */
async function settle(
  client: KubeClient,
  plan: ServicePlan,
  deployment: Deployment,
  status: 'rolled-back' | 'unchanged',
  options: ExecuteOptions,
  started: number,
  note?: string,
): Promise<ServiceResult> {
  const done = (message: string): ServiceResult =>
    resultOf(
      plan,
      status,
      [
        status === 'unchanged' ? (plan.entry.stay ?? `already at ${plan.entry.to.version} (revision ${plan.entry.to.revision}); nothing written`) : note,
        message,
      ]
        .filter(Boolean)
        .join('; '),
      started,
    );
  const ref = workloadOf(plan.service);
  const state = rolloutState(deployment, ref.kind);
  if (state.done) return done(state.message);
  if (state.failure) return failed(client, plan, `${state.failure} (kubectl rollout status would exit 1)`, started);
  // with a reroute's variables kept, the template is new and so is its hash: watch every pod of the deployment
  const target = plan.history.revisions.find((r) => r.replicaSet.metadata.uid === plan.entry.to.uid);
  const revisionLabel = plan.overlay ? {} : podRevisionLabel(ref, target?.replicaSet.metadata.name ?? '', plan.entry.to.hash);
  const { matchLabels, matchExpressions } = deployment.spec.selector;
  const selector = { matchLabels: { ...matchLabels, ...revisionLabel }, ...(matchExpressions ? { matchExpressions } : {}) };
  const pods = watchPodFailures(client, {
    namespace: plan.namespace,
    selector,
    failAfterMs: options.failAfterMs,
    log: options.log,
    signal: options.signal,
    ...(options.informers ? { pods: options.informers.pods() } : {}),
  });
  const stop = new AbortController();
  try {
    const outcome = await Promise.race([
      waitForRollout(client, deployment, {
        kind: ref.kind,
        signal: AbortSignal.any([options.signal, stop.signal]),
        log: options.log,
        ...(options.informers && ref.kind === 'deployment' ? { deployments: options.informers.deployments() } : {}),
      }),
      pods.failed.then((reason) => ({ podFailure: reason })),
    ]);
    if ('podFailure' in outcome) return failed(client, plan, `the new pods cannot start: ${outcome.podFailure}`, started);
    if (outcome.state.failure) return failed(client, plan, outcome.state.failure, started);
    const revision = outcome.deployment.metadata.annotations?.[REVISION_ANNOTATION];
    return done(revision ? `${outcome.state.message} (now revision ${revision})` : outcome.state.message);
  } finally {
    stop.abort();
    pods.stop();
  }
}

export async function rollbackService(client: KubeClient, plan: ServicePlan, options: ExecuteOptions): Promise<ServiceResult> {
  const started = Date.now();
  if (options.dryRun) return dryRun(client, plan, options, started);
  // already at the target when planned, and nobody else busy with it: nothing to write, so no Lease
  if (!plan.heldBy && converge(plan.history, plan.entry, false, plan.overlay).action === 'at-target')
    return settle(client, plan, plan.history.deployment, 'unchanged', options, started).catch((error: unknown) =>
      failed(client, plan, describeError(error), started),
    );
  let lease: HeldLease | undefined;
  const releaseLease = async (): Promise<void> => {
    const held = lease;
    lease = undefined;
    if (!held) return;
    await held
      .release()
      .catch((error: unknown) => options.log.warning(`could not release lease ${held.name}: ${describeError(error)}; it expires by itself within 60s`));
    options.onLease(held, false);
  };
  try {
    lease = await acquireLease(client, {
      namespace: plan.namespace,
      name: leaseName(plan.service),
      holder: options.holder,
      log: options.log,
      signal: options.signal,
      deadline: options.deadline,
      runEnds: options.deadline,
    });
    options.onLease(lease, true);
    const written = await writeRollback(client, plan, options, !(plan.heldBy ?? lease.waitedFor));
    if ('failed' in written) return await failed(client, plan, written.failed, started);
    return await settle(client, plan, written.deployment, written.status, options, started, written.note);
  } catch (error) {
    if (error instanceof LeaseHeldError) return resultOf(plan, 'failed', `another rollback is running: ${error.message}; nothing written`, started);
    if (options.signal.aborted) {
      // the run's time is up: the Lease goes first (the seconds left are few), then the verdict
      await releaseLease();
      const cancelled = !(options.signal.reason instanceof Error && options.signal.reason.name === 'TimeoutError');
      const waitingFor = error instanceof OutsideFailure ? ` (${error.sentence()})` : '';
      const why = `${cancelled ? 'cancelled' : `timed out after ${options.timeoutLabel}`}${waitingFor}; see what is live with: kubectl -n ${plan.namespace} rollout status ${kubectlName(workloadOf(plan.service))}`;
      return resultOf(plan, cancelled ? 'cancelled' : 'failed', why, started);
    }
    return failed(client, plan, describeError(error), started);
  } finally {
    await releaseLease();
  }
}

async function dryRun(client: KubeClient, plan: ServicePlan, options: ExecuteOptions, started: number): Promise<ServiceResult> {
  const decision = converge(plan.history, plan.entry, options.force, plan.overlay);
  if (decision.action === 'refuse') return resultOf(plan, 'failed', decision.message, started);
  if (decision.action === 'at-target') {
    const state = rolloutState(plan.history.deployment, workloadOf(plan.service).kind);
    return resultOf(plan, state.failure ? 'failed' : 'unchanged', `${plan.entry.stay ?? `already at ${plan.entry.to.version}`}; ${state.message}`, started);
  }
  try {
    await writeRollback(client, plan, options, true);
  } catch (error) {
    // the plan job runs with read-only credentials (before approval nobody may write); RBAC refuses even a dry-run patch
    if (error instanceof KubeApiError && error.code === 403)
      return resultOf(
        plan,
        'planned',
        'planned with read-only credentials: the patch was not dry-run on the server (that needs the patch verb); nothing changed',
        started,
      );
    throw error;
  }
  return resultOf(plan, 'planned', 'dry run: the server accepted the rollback patch (dryRun=All); nothing changed', started);
}
