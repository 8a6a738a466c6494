import { quote } from 'shell-quote';
import { describeError } from '../../core/errors.js';
import { suspendAutoSync } from '../../kube/argocd.js';
import { KubeApiError, type KubeClient } from '../../kube/client.js';
import { restoreConfig } from '../../kube/config-restore.js';
import { helmReleaseOf, helmRollback } from '../../kube/helm.js';
import { currentRevision, type Revision, type RevisionHistory, readRevisionHistory } from '../../kube/history.js';
import { controllerRevisionRollbackPatch, pausedAdvice, rollbackPatch } from '../../kube/rollback.js';
import type { RollbackEntry } from '../../kube/rollback-record.js';
import { converge, revisionRefOf } from '../../kube/service-plan.js';
import type { Deployment } from '../../kube/types.js';
import { workloadOf, workloadPath } from '../../kube/workload.js';
import type { ExecuteOptions } from './execute.js';
import { type ServicePlan, variablesOf } from './plan.js';

const JSON_PATCH = 'application/json-patch+json';
const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';

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
  return { body: controllerRevisionRollbackPatch(workload, target, changeCause, entry), contentType: STRATEGIC_MERGE_PATCH };
}

export type Written = { deployment: Deployment; status: 'rolled-back' | 'unchanged'; note?: string } | { failed: string };

/**
 * Converges one service to its plan entry under the Lease. The patch carries a test of the
 * resourceVersion it was built from; after any write whose answer was not seen (lost response,
 * reset, 5xx, 409/422) the deployment is read again and the outcome decided from what is live.
 */
export async function writeRollback(client: KubeClient, plan: ServicePlan, options: ExecuteOptions, reuse: boolean): Promise<Written> {
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
    // Argo CD first: with its automated sync on, it would put the Git version back over the rollback
    const suspended = options.dryRun ? undefined : await suspendSync(client, plan, options);
    // the target's configuration first (its snapshot), so the old code starts with its old configuration
    const restored =
      options.dryRun || workloadOf(plan.service).kind !== 'deployment'
        ? []
        : await restoreConfig(client, plan.namespace, plan.service, decision.target, options.log, options.signal);
    if (plan.entry.helm && options.helm) {
      if (options.dryRun) return { deployment: fresh.deployment, status: 'rolled-back' };
      return viaHelm(client, plan, options, plan.entry.helm, fresh);
    }
    try {
      sent = true;
      const written = await client.request<Deployment>('PATCH', workloadPath(plan.namespace, workloadOf(plan.service)), {
        ...patchOf(plan, fresh, decision.target, options.changeCause, entry),
        ...(options.dryRun ? { query: { dryRun: 'All' } } : {}),
        signal: options.signal,
      });
      const notes = [
        ...(suspended ? [suspended] : []),
        ...(restored.length ? [`restored ${restored.join(', ')} from the target's snapshot`] : []),
        ...(plan.overlay ? [`kept the active reroute's ${variablesOf(plan.overlay).join(', ')}`] : []),
      ];
      return { deployment: written, status: 'rolled-back', ...(notes.length ? { note: notes.join('; ') } : {}) };
    } catch (error) {
      options.signal.throwIfAborted();
      const code = error instanceof KubeApiError ? error.code : undefined;
      // a 4xx other than a conflict is a definitive answer: nothing was written, nothing to read back
      const definitive = code !== undefined && code >= 400 && code < 500 && code !== 409 && code !== 422;
      // a dry run retries a conflict too: a deployment mid-rollout changes (its status) between the read and the patch
      if (definitive || attempt >= 5) throw error;
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

/** `on-managed: suspend-sync` for an Argo CD-managed deployment: turns its Application's automated sync off; the note says how to resume. */
async function suspendSync(client: KubeClient, plan: ServicePlan, options: ExecuteOptions): Promise<string | undefined> {
  const app = plan.managed?.application;
  if (!options.suspendSync || !app) return undefined;
  const namespace = app.namespace ?? options.suspendSync.namespace;
  const outcome = await suspendAutoSync(client, namespace, app.name, options.holder, `${plan.namespace}/${plan.service}`, options.signal);
  if (outcome.status === 'not-automated') return undefined;
  const resume = quote([
    'keiko-rollback',
    'service',
    '--mode',
    'resume-sync',
    '--services',
    plan.service,
    '--namespace',
    plan.namespace,
    '--argocd-namespace',
    namespace,
  ]);
  const what =
    outcome.status === 'suspended'
      ? `Argo CD automated sync of ${app.name} suspended (was ${JSON.stringify(outcome.automated)})`
      : `Argo CD automated sync of ${app.name} stays suspended`;
  options.log.info(`  ${plan.service}: ${what}`);
  return `${what}; resume it once Git carries the rolled-back version: ${resume}`;
}

/** `on-managed: helm`: `helm rollback` to the planned Helm revision, then the outcome read from the cluster, never assumed. */
async function viaHelm(
  client: KubeClient,
  plan: ServicePlan,
  options: ExecuteOptions,
  target: { release: string; revision: number },
  fresh: RevisionHistory,
): Promise<Written> {
  const helm = options.helm;
  if (!helm) return { failed: 'on-managed: helm needs the helm binary' };
  const release = { name: target.release, namespace: helmReleaseOf(fresh.deployment)?.namespace ?? plan.namespace };
  options.log.info(`  ${plan.service}: helm rollback ${release.name} ${target.revision} (namespace ${release.namespace})`);
  await helmRollback(helm, release, target.revision, options.signal);
  const after = await readRevisionHistory(client, plan.namespace, plan.service, options.signal);
  const decision = converge(after, plan.entry, false, plan.overlay);
  if (decision.action !== 'at-target')
    return {
      failed: `helm rollback ${release.name} ${target.revision} ran, but the live template is not the plan's target (revision ${plan.entry.to.revision}, ${plan.entry.to.version})`,
    };
  return {
    deployment: after.deployment,
    status: 'rolled-back',
    note: `rolled back with helm rollback ${release.name} ${target.revision}: Helm's record and the cluster agree`,
  };
}
