import { quote } from 'shell-quote';
import type { KubeClient } from './client.js';
import { comparableTemplate, revisionsOf, versionsOf } from './history.js';
import { diagnoseRollout } from './pods.js';
import { rolloutState } from './rollout-status.js';
import { type Deployment, deploymentPath, type List, type ReplicaSet, replicaSetPath, selectorString } from './types.js';

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
export async function rolloutMap(client: KubeClient, namespace: string, name: string, signal: AbortSignal): Promise<RolloutMap> {
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
  const next = [
    `wait longer: ${quote(['kubectl', 'rollout', 'status', `deployment/${name}`, '-n', namespace])}`,
    ...(others.length
      ? [
          `roll back to another revision: ${quote(['keiko-rollback', 'service', '--services', name, '--target', `revision:${others[others.length - 1]}`, '--namespace', namespace])}`,
        ]
      : []),
    `or re-run the same plan: ${quote(['keiko-rollback', 'service', '--plan', 'plan.json'])} (the \`plan\` output), or "Re-run failed jobs"`,
  ];
  return { replicaSets, problems, rollout: rolloutState(deployment).message, next };
}

export function describeMap(map: RolloutMap): string {
  const live = map.replicaSets
    .map((r) => `revision ${r.revision} (${r.version}) ${r.ready}/${r.desired} ready${r.current ? ', current template' : ''}`)
    .join('; ');
  return `live now: ${live || 'no ReplicaSet with pods'}. Next: ${map.next.join('; ')}`;
}
