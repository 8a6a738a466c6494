import type { Deployment } from './types.js';
import { daemonSetRolloutState, kindOfObject, statefulSetRolloutState, type WorkloadKind } from './workload.js';

export interface RolloutState {
  done: boolean;
  message: string;
  /** Set when the rollout can no longer succeed by itself. */
  failure?: string;
}

/**
 * kubectl's status viewer of the workload's kind. The kind comes from the caller when known (objects of a
 * list carry none), else from the object itself.
 */
export function rolloutState(workload: Deployment, kind?: WorkloadKind): RolloutState {
  const of = kind ?? kindOfObject(workload.kind);
  if (of === 'statefulset') return statefulSetRolloutState(workload);
  if (of === 'daemonset') return daemonSetRolloutState(workload);
  return deploymentRolloutState(workload);
}

/** kubectl's DeploymentStatusViewer, line for line. */
function deploymentRolloutState(deployment: Deployment): RolloutState {
  const name = deployment.metadata.name;
  const status = deployment.status ?? {};
  if ((deployment.metadata.generation ?? 0) > (status.observedGeneration ?? 0)) {
    return { done: false, message: 'Waiting for deployment spec update to be observed...' };
  }
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { done: false, message: `deployment "${name}" exceeded its progress deadline`, failure: `deployment "${name}" exceeded its progress deadline` };
  }
  const desired = deployment.spec.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const replicas = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (updated < desired) {
    return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${desired} new replicas have been updated...` };
  }
  if (replicas > updated) {
    return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${replicas - updated} old replicas are pending termination...` };
  }
  if (available < updated) {
    return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...` };
  }
  return { done: true, message: `deployment "${name}" successfully rolled out` };
}
