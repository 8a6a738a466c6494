import type { KubeClient } from './client.js';
import { comparableTemplate } from './history.js';
import { type Deployment, type List, POD_TEMPLATE_HASH, type Pod, podPath, type ReplicaSet, replicaSetPath, selectorString } from './types.js';

const PROBLEM_REASONS = new Set([
  'ImagePullBackOff',
  'ErrImagePull',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'InvalidImageName',
  'RunContainerError',
]);

/** One line per unhealthy container, e.g. `pod x: container y ImagePullBackOff (image z)`. */
export function podProblems(pods: Pod[]): string[] {
  const problems: string[] = [];
  for (const pod of pods) {
    for (const status of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
      const reason = status.state?.waiting?.reason;
      if (!reason || !PROBLEM_REASONS.has(reason)) continue;
      const restarts = status.restartCount ? `, ${status.restartCount} restarts` : '';
      problems.push(`pod ${pod.metadata.name}: container ${status.name} ${reason} (image ${status.image ?? '?'}${restarts})`);
    }
  }
  return problems;
}

/** Why the new ReplicaSet's pods are not ready, from the pods themselves. */
export async function diagnoseRollout(client: KubeClient, deployment: Deployment): Promise<string[]> {
  const namespace = deployment.metadata.namespace ?? '';
  const sets = await client.get<List<ReplicaSet>>(replicaSetPath(namespace), { labelSelector: selectorString(deployment.spec.selector) });
  const wanted = comparableTemplate(deployment.spec.template);
  const newSet = sets.items.find((rs) => comparableTemplate(rs.spec.template) === wanted);
  const hash = newSet?.metadata.labels?.[POD_TEMPLATE_HASH];
  if (!hash) return [];
  const pods = await client.get<List<Pod>>(podPath(namespace), { labelSelector: `${selectorString(deployment.spec.selector)},${POD_TEMPLATE_HASH}=${hash}` });
  return podProblems(pods.items);
}
