import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { OutsideFailure } from '../../core/outside.js';
import { KubeApiError, type KubeClient } from '../../kube/client.js';
import { currentRevision, type Revision, type RevisionHistory, readRevisionHistory } from '../../kube/history.js';
import type { NamespaceInformers } from '../../kube/informer.js';
import { acquireLease, type HeldLease, LeaseHeldError } from '../../kube/lease.js';
import { watchPodFailures } from '../../kube/pod-failures.js';
import { pausedAdvice, rollbackPatch, templateOfRevision } from '../../kube/rollback.js';
import { ROLLED_BACK_FROM, type RollbackEntry, rollbackEntries, withEntry } from '../../kube/rollback-record.js';
import { describeMap, type LiveReplicaSet, rolloutMap } from '../../kube/rollout-map.js';
import { rolloutState } from '../../kube/rollout-status.js';
import { waitForRollout } from '../../kube/rollout-watch.js';
import { converge, revisionRefOf } from '../../kube/service-plan.js';
import { CHANGE_CAUSE_ANNOTATION, type Deployment, REVISION_ANNOTATION } from '../../kube/types.js';
import { kubectlName, podRevisionLabel, revisionPatch, workloadOf, workloadPath } from '../../kube/workload.js';
import { leaseName, type ServicePlan, variablesOf } from './plan.js';

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
  /** Several services at once share one watch of deployments and one of pods. */
  informers?: NamespaceInformers;
}

const JSON_PATCH = 'application/json-patch+json';
const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';

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

/**
 * A Deployment: kubectl's JSON patch behind a test of the resourceVersion it was built from. A StatefulSet
 * or DaemonSet: kubectl's strategic merge patch of the ControllerRevision's template, carrying that
 * resourceVersion (a change in between is a 409), with our record and the change-cause as annotations.
 */
function patchOf(
  plan: ServicePlan,
  fresh: RevisionHistory,
  target: Revision,
  changeCause: string | undefined,
  entry: RollbackEntry,
): { body: unknown; contentType: string } {
  const workload = fresh.deployment;
  if (workloadOf(plan.service).kind === 'deployment') {
    const guard = { op: 'test', path: '/metadata/resourceVersion', value: workload.metadata.resourceVersion };
    return { body: [guard, ...rollbackPatch(workload, target, changeCause, entry, plan.overlay)], contentType: JSON_PATCH };
  }
  const annotations = { [ROLLED_BACK_FROM]: withEntry(rollbackEntries(workload), entry), ...(changeCause ? { [CHANGE_CAUSE_ANNOTATION]: changeCause } : {}) };
  return { body: revisionPatch(workload, templateOfRevision(target), annotations), contentType: STRATEGIC_MERGE_PATCH };
}

type Written = { deployment: Deployment; status: 'rolled-back' | 'unchanged'; note?: string } | { failed: string };

/**
 * Converges one service to its plan entry under the Lease. The patch carries a test of the
 * resourceVersion it was built from; after any write whose answer was not seen (lost response,
 * reset, 5xx, 409/422) the deployment is read again and the outcome decided from what is live.
 */
async function writeRollback(client: KubeClient, plan: ServicePlan, options: ExecuteOptions, reuse: boolean): Promise<Written> {
  let fresh: RevisionHistory | undefined = reuse ? plan.history : undefined;
  let sent = false;
  for (let attempt = 1; ; attempt++) {
    fresh ??= await readRevisionHistory(client, plan.namespace, plan.service, options.signal);
    if (fresh.deployment.spec.paused) return { failed: pausedAdvice(fresh.deployment) };
    const decision = converge(fresh, plan.entry, options.force, plan.overlay);
    if (decision.action === 'refuse') return { failed: decision.message };
    if (decision.action === 'at-target') {
      // our own earlier attempt may have written it: the answer was lost, the live state tells
      return sent
        ? { deployment: fresh.deployment, status: 'rolled-back', note: 'the answer to the patch was lost; read back: the target is live' }
        : { deployment: fresh.deployment, status: 'unchanged' };
    }
    const live = currentRevision(fresh);
    const from = live ? revisionRefOf(live) : { hash: '', version: '?', revision: 0 };
    const entry = {
      from: { hash: from.hash, version: from.version, revision: from.revision },
      to: { hash: plan.entry.to.hash, version: plan.entry.to.version, revision: decision.target.revision },
      run: options.holder,
      at: new Date().toISOString(),
    };
    try {
      sent = true;
      const written = await client.request<Deployment>('PATCH', workloadPath(plan.namespace, workloadOf(plan.service)), {
        ...patchOf(plan, fresh, decision.target, options.changeCause, entry),
        ...(options.dryRun ? { query: { dryRun: 'All' } } : {}),
        signal: options.signal,
      });
      return {
        deployment: written,
        status: 'rolled-back',
        ...(plan.overlay ? { note: `kept the active reroute's ${variablesOf(plan.overlay).join(', ')}` } : {}),
      };
    } catch (error) {
      options.signal.throwIfAborted();
      const code = error instanceof KubeApiError ? error.code : undefined;
      // a 4xx other than a conflict is a definitive answer: nothing was written, nothing to read back
      const definitive = code !== undefined && code >= 400 && code < 500 && code !== 409 && code !== 422;
      if (options.dryRun || definitive || attempt >= 5) throw error;
      const why =
        code === 409
          ? '409 Conflict on the patch'
          : code === 422
            ? 'the deployment changed since it was read'
            : `no answer to the patch (${describeError(error)}); it may have applied`;
      options.log.info(`  ${plan.service}: ${why}; re-reading and deciding again from what is live`);
      fresh = undefined;
    }
  }
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
  const state = rolloutState(deployment, workloadOf(plan.service).kind);
  if (state.done) return done(state.message);
  if (state.failure) return failed(client, plan, `${state.failure} (kubectl rollout status would exit 1)`, started);
  const ref = workloadOf(plan.service);
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
