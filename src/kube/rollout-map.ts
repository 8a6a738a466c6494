import { quote } from 'shell-quote';
import type { KubeClient } from './client.js';
import { comparableTemplate, type Revision, readRevisionHistory, revisionsOf, versionsOf } from './history.js';
import { diagnoseRollout, podProblems } from './pods.js';
import { rolloutState } from './rollout-status.js';
import { type Deployment, deploymentPath, type List, POD_TEMPLATE_HASH, type Pod, podPath, type ReplicaSet, replicaSetPath, selectorString } from './types.js';
import { kubectlName, podRevisionLabel, workloadOf } from './workload.js';

export interface LiveReplicaSet {
  revision: number;
  version: string;
  ready: number;
  desired: number;
  /** The ReplicaSet of the deployment's current template. */
  current: boolean;
}

export interface RolloutMap {
  replicaSets: LiveReplicaSet[];
  problems: string[];
  rollout: string;
  next: string[];
}

/** What is live after a failure, and commands that work as the next step. */
export async function rolloutMap(client: KubeClient, namespace: string, service: string, signal: AbortSignal): Promise<RolloutMap> {
  const ref = workloadOf(service);
  if (ref.kind !== 'deployment') return revisionsMap(client, namespace, service, signal);
  const name = ref.name;
  const deployment = await client.get<Deployment>(deploymentPath(namespace, name), undefined, signal);
  const sets = await client.get<List<ReplicaSet>>(replicaSetPath(namespace), { labelSelector: selectorString(deployment.spec.selector) }, signal);
  const wanted = comparableTemplate(deployment.spec.template);
  const revisions = revisionsOf(deployment, sets.items);
  const replicaSets = revisions
    .filter(
      (r) => (r.replicaSet.spec.replicas ?? 0) > 0 || (r.replicaSet.status?.replicas ?? 0) > 0 || comparableTemplate(r.replicaSet.spec.template) === wanted,
    )
    .reverse()
    .map((r) => ({
      revision: r.revision,
      version: versionsOf(r.replicaSet.spec.template).join('+') || '?',
      ready: r.replicaSet.status?.readyReplicas ?? 0,
      desired: r.replicaSet.spec.replicas ?? 0,
      current: comparableTemplate(r.replicaSet.spec.template) === wanted,
    }));
  const problems = await diagnoseRollout(client, deployment).catch(() => []);
  const others = revisions.filter((r) => comparableTemplate(r.replicaSet.spec.template) !== wanted).map((r) => r.revision);
  return { replicaSets, problems, rollout: rolloutState(deployment).message, next: nextSteps(service, namespace, others) };
}

function nextSteps(service: string, namespace: string, others: number[]): string[] {
  return [
    `wait longer: ${quote(['kubectl', 'rollout', 'status', kubectlName(workloadOf(service)), '-n', namespace])}`,
    ...(others.length
      ? [
          `roll back to another revision: ${quote(['keiko-rollback', 'service', '--services', service, '--target', `revision:${others[others.length - 1]}`, '--namespace', namespace])}`,
        ]
      : []),
    `or re-run the same plan: ${quote(['keiko-rollback', 'service', '--plan', 'plan.json'])} (the \`plan\` output), or "Re-run failed jobs"`,
  ];
}

/** A StatefulSet or DaemonSet: its ControllerRevisions that have pods (or are the current template), with the pods' readiness and problems. */
async function revisionsMap(client: KubeClient, namespace: string, service: string, signal: AbortSignal): Promise<RolloutMap> {
  const ref = workloadOf(service);
  const history = await readRevisionHistory(client, namespace, service, signal);
  const workload = history.deployment;
  const pods = await client.get<List<Pod>>(podPath(namespace), { labelSelector: selectorString(workload.spec.selector) }, signal);
  const wanted = comparableTemplate(workload.spec.template);
  const podsOf = (r: Revision): Pod[] => {
    const label = podRevisionLabel(ref, r.replicaSet.metadata.name, r.replicaSet.metadata.labels?.[POD_TEMPLATE_HASH] ?? '');
    return pods.items.filter((p) => Object.entries(label).every(([k, v]) => p.metadata.labels?.[k] === v));
  };
  const current = (r: Revision): boolean => comparableTemplate(r.replicaSet.spec.template) === wanted;
  const replicaSets = history.revisions
    .filter((r) => podsOf(r).length > 0 || current(r))
    .reverse()
    .map((r) => ({
      revision: r.revision,
      version: versionsOf(r.replicaSet.spec.template).join('+') || '?',
      ready: podsOf(r).filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length,
      desired: podsOf(r).length,
      current: current(r),
    }));
  const others = history.revisions.filter((r) => !current(r)).map((r) => r.revision);
  const fresh = history.revisions.find(current);
  return {
    replicaSets,
    problems: fresh ? podProblems(podsOf(fresh)) : [],
    rollout: rolloutState(workload, ref.kind).message,
    next: nextSteps(service, namespace, others),
  };
}

export function describeMap(map: RolloutMap): string {
  const live = map.replicaSets
    .map((r) => `revision ${r.revision} (${r.version}) ${r.ready}/${r.desired} ready${r.current ? ', current template' : ''}`)
    .join('; ');
  return `live now: ${live || 'no ReplicaSet with pods'}. Next: ${map.next.join('; ')}`;
}
