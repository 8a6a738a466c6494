import { type Json, type KubeObject, num, obj, str } from './types.js';

/** The deployment controller's arithmetic (k8s.io/kubernetes/pkg/controller/deployment/util). */

function resolveIntOrPercent(value: Json | undefined, total: number, roundUp: boolean, fallback: string): number {
  const v = value ?? fallback;
  if (typeof v === 'number') return v;
  const match = /^(\d+)%$/.exec(String(v));
  if (!match) return Number(v) || 0;
  const exact = (Number(match[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

export function desiredReplicas(deployment: KubeObject): number {
  return num(obj(deployment.spec).replicas) ?? 1;
}

export function isRollingUpdate(deployment: KubeObject): boolean {
  return str(obj(obj(deployment.spec).strategy).type) !== 'Recreate';
}

export function surgeAndUnavailable(deployment: KubeObject): { surge: number; unavailable: number } {
  const replicas = desiredReplicas(deployment);
  if (!isRollingUpdate(deployment)) return { surge: 0, unavailable: 0 };
  const rolling = obj(obj(obj(deployment.spec).strategy).rollingUpdate);
  const surge = resolveIntOrPercent(rolling.maxSurge, replicas, true, '25%');
  let unavailable = resolveIntOrPercent(rolling.maxUnavailable, replicas, false, '25%');
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function maxUnavailable(deployment: KubeObject): number {
  const replicas = desiredReplicas(deployment);
  if (!isRollingUpdate(deployment) || replicas === 0) return 0;
  return Math.min(surgeAndUnavailable(deployment).unavailable, replicas);
}

export function specReplicas(rs: KubeObject): number {
  return num(obj(rs.spec).replicas) ?? 0;
}

export function statusCount(rs: KubeObject, field: 'replicas' | 'readyReplicas' | 'availableReplicas'): number {
  return num(obj(rs.status)[field]) ?? 0;
}

/** NewRSNewReplicas for RollingUpdate; Recreate scales the new set only when the old ones are gone. */
export function newReplicaSetReplicas(deployment: KubeObject, allSets: KubeObject[], newSet: KubeObject): number {
  const replicas = desiredReplicas(deployment);
  if (!isRollingUpdate(deployment)) {
    const oldActive = allSets.filter((rs) => rs !== newSet).some((rs) => statusCount(rs, 'replicas') > 0 || specReplicas(rs) > 0);
    return oldActive ? 0 : replicas;
  }
  const current = specReplicas(newSet);
  if (current >= replicas) return replicas;
  const maxTotal = replicas + surgeAndUnavailable(deployment).surge;
  const podCount = allSets.reduce((sum, rs) => sum + specReplicas(rs), 0);
  if (podCount >= maxTotal) return current;
  return current + Math.min(maxTotal - podCount, replicas - current);
}

/** reconcileOldReplicaSets: how far each old set may scale down now (oldest first). */
export function oldReplicaSetTargets(deployment: KubeObject, oldSets: KubeObject[], newSet: KubeObject | undefined): Map<KubeObject, number> {
  const targets = new Map<KubeObject, number>(oldSets.map((rs) => [rs, specReplicas(rs)]));
  if (!isRollingUpdate(deployment)) {
    for (const rs of oldSets) targets.set(rs, 0);
    return targets;
  }
  const all = newSet ? [...oldSets, newSet] : oldSets;
  const allPods = all.reduce((s, rs) => s + specReplicas(rs), 0);
  const minAvailable = desiredReplicas(deployment) - maxUnavailable(deployment);
  const newUnavailable = newSet ? specReplicas(newSet) - statusCount(newSet, 'availableReplicas') : 0;
  let budget = allPods - minAvailable - newUnavailable;
  if (budget <= 0 || oldSets.every((rs) => specReplicas(rs) === 0)) return targets;
  // unhealthy old replicas go first: they serve nobody
  for (const rs of oldSets) {
    const unhealthy = specReplicas(rs) - statusCount(rs, 'availableReplicas');
    const cut = Math.max(0, Math.min(budget, unhealthy));
    targets.set(rs, specReplicas(rs) - cut);
    budget -= cut;
  }
  const available = all.reduce((s, rs) => s + statusCount(rs, 'availableReplicas'), 0);
  let scaleDown = available - minAvailable;
  for (const rs of oldSets) {
    if (scaleDown <= 0) break;
    const current = targets.get(rs) ?? 0;
    const cut = Math.min(current, scaleDown);
    targets.set(rs, current - cut);
    scaleDown -= cut;
  }
  return targets;
}
