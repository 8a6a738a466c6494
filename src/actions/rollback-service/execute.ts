import type { Logger } from '../../core/logger.js';
import { KubeApiError, type KubeClient } from '../../kube/client.js';
import { readRevisionHistory, type RevisionHistory } from '../../kube/history.js';
import { acquireLease, LeaseHeldError, type HeldLease } from '../../kube/lease.js';
import { diagnoseRollout } from '../../kube/pods.js';
import { isAlreadyAt, pausedAdvice, rollbackPatch } from '../../kube/rollback.js';
import { rolloutState } from '../../kube/rollout-status.js';
import { waitForRollout } from '../../kube/rollout-watch.js';
import { deploymentPath, imagesOf, type Deployment } from '../../kube/types.js';
import { leaseName, versionLabel, type ServicePlan } from './plan.js';

export type ServiceStatus = 'rolled-back' | 'unchanged' | 'planned' | 'failed' | 'skipped';

export interface ServiceResult {
  service: string;
  namespace: string;
  status: ServiceStatus;
  'from-revision': number | null;
  'to-revision': number | null;
  'from-version': string;
  'to-version': string;
  'from-images': string[];
  'to-images': string[];
  'duration-ms': number;
  message: string;
}

export interface ExecuteOptions {
  dryRun: boolean;
  /** The target is relative to what runs (`previous`): never applied on top of another run's rollback. */
  relative: boolean;
  changeCause: string | undefined;
  holder: string;
  container: string | undefined;
  log: Logger;
  signal: AbortSignal;
  deadline: number;
  timeoutLabel: string;
  onLease(lease: HeldLease, held: boolean): void;
}

const JSON_PATCH = 'application/json-patch+json';

export function resultOf(plan: ServicePlan, status: ServiceStatus, message: string, started: number, container?: string): ServiceResult {
  return {
    service: plan.service,
    namespace: plan.namespace,
    status,
    'from-revision': plan.from?.revision ?? null,
    'to-revision': plan.to.revision,
    'from-version': versionLabel(plan.from, container),
    'to-version': versionLabel(plan.to, container),
    'from-images': imagesOf(plan.history.deployment.spec.template),
    'to-images': plan.to.images,
    'duration-ms': Date.now() - started,
    message,
  };
}

/**
 * Writes the rollback. The plan's read is reused unless another run held the lease meanwhile; the
 * patch carries a test of the resourceVersion it was built from, so a deployment changed since then is
 * refused by the server (409/422) and read again before deciding anew.
 */
async function writeRollback(client: KubeClient, plan: ServicePlan, options: ExecuteOptions, concurrent?: string): Promise<Deployment | { unchanged: string } | { failed: string }> {
  let fresh: RevisionHistory | undefined = concurrent ? undefined : plan.history;
  for (let attempt = 1; ; attempt++) {
    fresh ??= await readRevisionHistory(client, plan.namespace, plan.service, options.signal);
    if (fresh.deployment.spec.paused) return { failed: pausedAdvice(fresh.deployment) };
    const target = fresh.revisions.find((r) => r.replicaSet.metadata.uid === plan.to.replicaSet.metadata.uid);
    if (!target) return { failed: `revision ${plan.to.revision} disappeared from the history while waiting (pruned by revisionHistoryLimit?)` };
    if (isAlreadyAt(fresh.deployment, target)) return { unchanged: `already at ${versionLabel(target, options.container)} (revision ${target.revision}); nothing written` };
    if (concurrent && options.relative) {
      // two "roll back to previous" at once mean one rollback, not a rollback of the rollback
      return { unchanged: `${concurrent} rolled ${plan.service} back while this run waited; not rolling back again on top of it (run again to go further back)` };
    }
    const guard = { op: 'test', path: '/metadata/resourceVersion', value: fresh.deployment.metadata.resourceVersion };
    try {
      return await client.request<Deployment>('PATCH', deploymentPath(plan.namespace, plan.service), {
        body: [guard, ...rollbackPatch(fresh.deployment, target, options.changeCause)],
        contentType: JSON_PATCH,
        ...(options.dryRun ? { query: { dryRun: 'All' } } : {}),
        signal: options.signal,
      });
    } catch (error) {
      const stale = error instanceof KubeApiError && (error.code === 409 || error.code === 422);
      if (!stale || attempt >= 5) throw error;
      options.log.info(`  ${plan.service}: ${error.code === 409 ? '409 Conflict on the patch' : 'the deployment changed since it was read'}; re-reading and deciding again`);
      fresh = undefined;
    }
  }
}

async function failureDetail(client: KubeClient, plan: ServicePlan, reason: string): Promise<string> {
  try {
    const deployment = await client.get<Deployment>(deploymentPath(plan.namespace, plan.service), undefined, AbortSignal.timeout(10_000));
    const problems = await diagnoseRollout(client, deployment);
    const state = rolloutState(deployment);
    return [reason, state.done ? undefined : state.message, ...problems].filter(Boolean).join('; ');
  } catch {
    return reason;
  }
}

export async function rollbackService(client: KubeClient, plan: ServicePlan, options: ExecuteOptions): Promise<ServiceResult> {
  const started = Date.now();
  const result = (status: ServiceStatus, message: string): ServiceResult => resultOf(plan, status, message, started, options.container);
  if (plan.unchanged) return result('unchanged', `already at ${versionLabel(plan.to, options.container)} (revision ${plan.to.revision}); nothing written`);
  if (options.dryRun) {
    await writeRollback(client, plan, options);
    return result('planned', 'dry run: the server accepted the rollback patch (dryRun=All); nothing changed');
  }
  let lease: HeldLease | undefined;
  try {
    lease = await acquireLease(client, { namespace: plan.namespace, name: leaseName(plan.service), holder: options.holder, log: options.log, signal: options.signal, deadline: options.deadline });
    options.onLease(lease, true);
    const written = await writeRollback(client, plan, options, plan.heldBy ?? lease.waitedFor);
    if ('unchanged' in written) return result('unchanged', written.unchanged);
    if ('failed' in written) return result('failed', written.failed);
    const outcome = await waitForRollout(client, written, { signal: options.signal, log: options.log });
    if (outcome.state.failure) return result('failed', await failureDetail(client, plan, outcome.state.failure));
    return result('rolled-back', `${outcome.state.message} (now revision ${outcome.deployment.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? '?'})`);
  } catch (error) {
    if (error instanceof LeaseHeldError) return result('failed', `another rollback is running: ${error.message}; nothing written`);
    if (options.signal.aborted) return result('failed', await failureDetail(client, plan, `timed out after ${options.timeoutLabel}`));
    return result('failed', error instanceof Error ? error.message : String(error));
  } finally {
    if (lease) {
      await lease.release().catch((error: unknown) => options.log.warning(`could not release lease ${lease?.name}: ${error instanceof Error ? error.message : String(error)}`));
      options.onLease(lease, false);
    }
  }
}
