import { ConfigurationError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { KubeApiError, type KubeClient } from '../../kube/client.js';
import { currentRevision, readRevisionHistory, versionsOf, type Revision, type RevisionHistory } from '../../kube/history.js';
import { activeLeaseHolder } from '../../kube/lease.js';
import { detectManager, type ManagedBy } from '../../kube/ownership.js';
import { isAlreadyAt, pausedAdvice, resolveTargetRevision, type RollbackTarget } from '../../kube/rollback.js';
import { imagesOf } from '../../kube/types.js';

export interface ServicePlan {
  service: string;
  namespace: string;
  history: RevisionHistory;
  from: Revision | undefined;
  to: Revision;
  unchanged: boolean;
  managed: ManagedBy | undefined;
  /** Another run rolling this service back when this plan was made. */
  heldBy: string | undefined;
}

export interface PlanOptions {
  namespace: string;
  target: RollbackTarget;
  container: string | undefined;
  onManaged: 'warn' | 'fail';
  dryRun: boolean;
  log: Logger;
  signal: AbortSignal;
}

/** Reads one service's history and decides what it rolls back to; user mistakes throw before anything is written. */
export async function planService(client: KubeClient, service: string, options: PlanOptions): Promise<ServicePlan> {
  let history: RevisionHistory;
  try {
    history = await readRevisionHistory(client, options.namespace, service, options.signal);
  } catch (error) {
    if (error instanceof KubeApiError && error.code === 404) {
      throw new ConfigurationError(`names deployment "${service}", which does not exist in namespace "${options.namespace}"`, 'services');
    }
    throw error;
  }
  const { deployment } = history;
  if (deployment.spec.paused) throw new ConfigurationError(pausedAdvice(deployment));
  if (options.container && !(deployment.spec.template.spec?.containers ?? []).some((c) => c.name === options.container)) {
    const names = (deployment.spec.template.spec?.containers ?? []).map((c) => c.name).join(', ');
    throw new ConfigurationError(`"${options.container}" is not a container of ${service} (it has: ${names})`, 'container');
  }
  const managed = detectManager(deployment);
  if (managed) {
    const text = `${service} is managed by ${managed.tool} (${managed.detail}): ${managed.consequence}`;
    if (options.onManaged === 'fail') throw new ConfigurationError(`${text}. Set on-managed: warn to roll back anyway.`);
    options.log.warning(text);
  }
  const to = resolveTargetRevision(history, options.target, options.container);
  const heldBy = options.dryRun ? undefined : await activeLeaseHolder(client, options.namespace, leaseName(service), options.signal);
  return { service, namespace: options.namespace, history, from: currentRevision(history), to, unchanged: isAlreadyAt(deployment, to), managed, heldBy };
}

export function leaseName(service: string): string {
  return `keiko-rollback-${service}`;
}

export function versionLabel(revision: Revision | undefined, container: string | undefined): string {
  if (!revision) return '?';
  return versionsOf(revision.replicaSet.spec.template, container).join('+') || `revision ${revision.revision}`;
}

export function describePlan(plan: ServicePlan, container: string | undefined): string {
  const from = versionLabel(plan.from, container);
  const to = versionLabel(plan.to, container);
  if (plan.unchanged) return `${plan.service}: already at ${to} (revision ${plan.to.revision}); nothing to do`;
  return `${plan.service}: ${from} (revision ${plan.from?.revision ?? '?'}) → ${to} (revision ${plan.to.revision}); images ${imagesOf(plan.history.deployment.spec.template).join(', ')} → ${plan.to.images.join(', ')}`;
}
