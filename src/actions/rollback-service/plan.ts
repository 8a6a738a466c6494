import { ConfigurationError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { readApplication } from '../../kube/argocd.js';
import type { KubeClient } from '../../kube/client.js';
import { planConfig, type SnapshotLookup } from '../../kube/config-restore.js';
import { type HelmRunner, helmReleaseOf, helmTarget } from '../../kube/helm.js';
import { comparableTemplate, currentRevision, type Revision, type RevisionHistory, readRevisionHistory, versionsOf } from '../../kube/history.js';
import { activeLeaseHolder } from '../../kube/lease.js';
import { detectManager, type ManagedBy } from '../../kube/ownership.js';
import { type EnvValues, type RerouteState, rerouteOverlay, withOverlay } from '../../kube/reroute-state.js';
import { pausedAdvice, type RollbackTarget, resolveTargetRevision } from '../../kube/rollback.js';
import { type ConfigPlan, planEntry, type ServicePlanEntry } from '../../kube/service-plan.js';
import { KIND_NAMES, missingWorkload, workloadOf } from '../../kube/workload.js';

export interface ServicePlan {
  service: string;
  namespace: string;
  history: RevisionHistory;
  /** The absolute target, as shown, approved and converged to. */
  entry: ServicePlanEntry;
  managed: ManagedBy | undefined;
  /** Another run rolling this service back when this plan was made. */
  heldBy: string | undefined;
  /** The variables an active emergency reroute set on this deployment: kept by the rollback. */
  overlay: EnvValues | undefined;
}

export interface PlanOptions {
  namespace: string;
  target: RollbackTarget;
  /** Only a service whose live template runs this version is rolled back; the others stay (an automatic rollback of one release). */
  onlyFrom?: string | undefined;
  container: string | undefined;
  onManaged: 'warn' | 'fail' | 'suspend-sync' | 'helm';
  /** `on-managed: helm`: Helm with the run's kubeconfig. */
  helm?: HelmRunner | undefined;
  /** Where Argo CD keeps its Applications (`on-managed: suspend-sync`). */
  argocdNamespace: string;
  force: boolean;
  dryRun: boolean;
  log: Logger;
  signal: AbortSignal;
  /** From the `plan` input: this entry is the target, nothing is resolved again. */
  given?: ServicePlanEntry | undefined;
  /** The active reroute's snapshot in this namespace, if any (read once for every service, while their histories are read). */
  reroute: Promise<RerouteState | undefined>;
  /** Several services: their histories from one list of the namespace's deployments and one of its ReplicaSets. */
  histories?: ((name: string) => Promise<RevisionHistory | undefined>) | undefined;
  /** Several services: who holds their Leases, from one list of the namespace's Leases. */
  leaseHolders?: ((name: string) => Promise<string | undefined>) | undefined;
  /** Several services: the namespace's configuration snapshots, from one list per kind. */
  snapshots?: SnapshotLookup | undefined;
}

/** The history, who holds the service's Lease (none in a dry run) and the reroute snapshot, read at the same time. */
async function readService(client: KubeClient, service: string, options: PlanOptions) {
  const listed = options.histories ? options.histories(service) : Promise.resolve(undefined);
  const history = listed
    .then((found) => found ?? readRevisionHistory(client, options.namespace, service, options.signal))
    .catch(missingWorkload(service, options.namespace, options.given ? 'plan' : 'services'));
  const heldBy = options.dryRun
    ? undefined
    : (options.leaseHolders?.(leaseName(service)) ?? activeLeaseHolder(client, options.namespace, leaseName(service), options.signal));
  const [read, holder, reroute] = await Promise.all([history, heldBy, options.reroute]);
  return { history: read, heldBy: holder, reroute };
}

/** Reads one service's history and fixes its absolute target; user mistakes throw before anything is written. */
export async function planService(client: KubeClient, service: string, options: PlanOptions): Promise<ServicePlan> {
  const { history, heldBy, reroute } = await readService(client, service, options);
  const { deployment } = history;
  if (deployment.spec.paused) throw new ConfigurationError(pausedAdvice(deployment));
  if (options.container && !(deployment.spec.template.spec?.containers ?? []).some((c) => c.name === options.container)) {
    const names = (deployment.spec.template.spec?.containers ?? []).map((c) => c.name).join(', ');
    throw new ConfigurationError(`"${options.container}" is not a container of ${service} (it has: ${names})`, 'container');
  }
  const managed = detectManager(deployment);
  if (managed) await judgeManaged(client, service, managed, options);
  const overlay = rerouteOverlay(reroute, service);
  if (overlay) options.log.info(`${service}: an emergency reroute is active (${reroute?.takenAt}): the rollback keeps its ${variablesOf(overlay).join(', ')}`);
  if (options.given) return { service, namespace: options.namespace, history, entry: options.given, managed, heldBy, overlay };
  const live = currentRevision(history);
  if (options.onlyFrom && live) {
    const running = versionsOf(live.replicaSet.spec.template, options.container);
    if (!running.includes(options.onlyFrom)) {
      const stay = `runs ${running.join('+') || 'no tagged image'}, not ${options.onlyFrom}: left as it is`;
      return { service, namespace: options.namespace, history, entry: planEntry(service, history, live, options.container, stay), managed, heldBy, overlay };
    }
  }
  const previousEnv = reroute?.gateway?.env;
  const release = (r: Revision): string => comparableTemplate(withOverlay(r.replicaSet.spec.template, previousEnv));
  const resolved = resolveTargetRevision(history, options.target, {
    container: options.container,
    force: options.force,
    ...(overlay ? { sameRelease: (a: Revision, b: Revision) => release(a) === release(b) } : {}),
  });
  const entry =
    'stay' in resolved && live
      ? planEntry(service, history, live, options.container, resolved.stay)
      : 'revision' in resolved
        ? planEntry(service, history, resolved.revision, options.container)
        : undefined;
  if (!entry) throw new ConfigurationError(`${service} runs a template that matches no revision of its history; wait for its rollout to start, then run again`);
  if ('revision' in resolved && entry.from?.hash !== entry.to.hash && workloadOf(service).kind === 'deployment') {
    const config = await configOf(client, service, resolved.revision, options);
    if (config) entry.config = config;
  }
  const helmRelease = managed?.tool === 'Helm' ? helmReleaseOf(deployment) : undefined;
  if (options.onManaged === 'helm' && options.helm && helmRelease && 'revision' in resolved && entry.from?.hash !== entry.to.hash) {
    const ref = workloadOf(service);
    entry.helm = await helmTarget(options.helm, helmRelease, KIND_NAMES[ref.kind], ref.name, resolved.revision, options.signal);
  }
  return { service, namespace: options.namespace, history, entry, managed, heldBy, overlay };
}

/**
 * A workload Helm or Argo CD manages: `warn` says what they will do to the rollback, `fail` stops, `suspend-sync`
 * checks now (before anything is written) that the Argo CD Application exists; its sync is turned off at converge.
 */
async function judgeManaged(client: KubeClient, service: string, managed: ManagedBy, options: PlanOptions): Promise<void> {
  const text = `${service} is managed by ${managed.tool} (${managed.detail}): ${managed.consequence}`;
  if (options.onManaged === 'fail') throw new ConfigurationError(`${text}. Set on-managed: warn to roll back anyway.`);
  if (options.onManaged === 'helm') {
    if (managed.tool !== 'Helm')
      throw new ConfigurationError(
        `helm is for Helm releases, and ${service} is managed by ${managed.tool} (${managed.detail}): use on-managed: suspend-sync`,
        'on-managed',
      );
    return options.log.info(`${service} is managed by Helm (${managed.detail}): it is rolled back with helm rollback, so Helm's record and the cluster agree`);
  }
  if (options.onManaged !== 'suspend-sync') return options.log.warning(text);
  if (!managed.application)
    throw new ConfigurationError(
      `suspend-sync is for Argo CD, and ${service} is managed by ${managed.tool} (${managed.detail}): use on-managed: warn or fail`,
      'on-managed',
    );
  const namespace = managed.application.namespace ?? options.argocdNamespace;
  const app = await readApplication(client, namespace, managed.application.name, options.signal);
  const automated = app.spec?.syncPolicy?.automated;
  options.log.info(
    `${service} is managed by Argo CD (${managed.detail}): ${automated ? `its automated sync ${JSON.stringify(automated)} is suspended before the rollback` : 'its sync is manual already; nothing to suspend'}`,
  );
}

/** The target's configuration: from its snapshot, or said not to be rolled back. Unreadable (a Role without secrets): said, not fatal. */
async function configOf(client: KubeClient, service: string, target: Revision, options: PlanOptions): Promise<ConfigPlan | undefined> {
  try {
    return await planConfig(client, options.namespace, service, target, options.snapshots, options.signal);
  } catch (error) {
    if (options.signal.aborted) throw error;
    options.log.warning(`${service}: configuration not checked (${describeError(error)}); the rollback changes the template only`);
    return undefined;
  }
}

export function variablesOf(overlay: EnvValues): string[] {
  return [...new Set(Object.values(overlay).flatMap((vars) => Object.keys(vars)))];
}

/** One Lease per workload: `keiko-rollback-chat-service`, `keiko-rollback-statefulset-vector-db`. */
export function leaseName(service: string): string {
  return `keiko-rollback-${service.replace('/', '-')}`;
}

export function describePlan(plan: ServicePlan): string {
  const { from, to, stay } = plan.entry;
  if (stay) return `${plan.service}: ${stay}`;
  if (from && from.hash === to.hash) return `${plan.service}: already at ${to.version} (revision ${to.revision}); nothing to write`;
  const line = `${plan.service}: ${from?.version ?? '?'} (revision ${from?.revision ?? '?'}, template ${from?.hash ?? '?'}) → ${to.version} (revision ${to.revision}, template ${to.hash}); images ${from?.images.join(', ') ?? '?'} → ${to.images.join(', ')}`;
  return [line, ...describeConfig(plan.entry.config)].join('\n');
}

/** The plan's configuration lines: what a snapshot restores (a Secret's values only as a hash), or what is not rolled back. */
export function describeConfig(config: ConfigPlan | undefined): string[] {
  if (!config) return [];
  if (config.snapshot) {
    if (config.restore.length === 0) return ['  configuration: the snapshot of the target matches what is live; nothing to restore'];
    return config.restore.map(
      (r) => `  configuration: ${r.kind}/${r.name} restored from ${r.snapshot}: ${r.keys.map((k) => `${k.key} ${k.from} → ${k.to}`).join('; ')}`,
    );
  }
  const changed = config['changed-since'];
  return [
    `  configuration is NOT rolled back (no snapshot of the target's template; take them with mode: snapshot before each deploy)${changed.length ? `; changed since the target revision was made: ${changed.join(', ')}` : ''}`,
  ];
}
