import type { KubeClient } from './client.js';
import {
  CHANGE_CAUSE_ANNOTATION,
  type Container,
  codeUnitOrder,
  type Deployment,
  deploymentPath,
  imagesOf,
  imageTag,
  type List,
  POD_TEMPLATE_HASH,
  type PodTemplate,
  REVISION_ANNOTATION,
  type ReplicaSet,
  replicaSetPath,
  selectorString,
} from './types.js';
import { readControllerRevisions, workloadOf, workloadPath } from './workload.js';

export interface Revision {
  revision: number;
  replicaSet: ReplicaSet;
  images: string[];
  changeCause: string | undefined;
  createdAt: string | undefined;
}

export interface RevisionHistory {
  /** The workload: a Deployment, or a StatefulSet or DaemonSet (whose revisions are its ControllerRevisions). */
  deployment: Deployment;
  /** Oldest first, as kubectl rollout history prints them. */
  revisions: Revision[];
}

/**
 * The revision history as `kubectl rollout history` reads it: ReplicaSets selected by the
 * deployment's selector and controlled by it, numbered by their revision annotation.
 */
export async function readRevisionHistory(client: KubeClient, namespace: string, service: string, signal?: AbortSignal): Promise<RevisionHistory> {
  const ref = workloadOf(service);
  if (ref.kind !== 'deployment') {
    // StatefulSets and DaemonSets keep their history in ControllerRevisions
    const workload = await client.get<Deployment>(workloadPath(namespace, ref), undefined, signal);
    const records = await readControllerRevisions((path, query) => client.get(path, query, signal), namespace, workload);
    return {
      deployment: workload,
      revisions: records.map(({ revision, replicaSet }) => revisionOf(revision, replicaSet)).sort((a, b) => a.revision - b.revision),
    };
  }
  const deployment = await client.get<Deployment>(deploymentPath(namespace, ref.name), undefined, signal);
  const sets = await client.get<List<ReplicaSet>>(replicaSetPath(namespace), { labelSelector: selectorString(deployment.spec.selector) }, signal);
  return { deployment, revisions: revisionsOf(deployment, sets.items) };
}

function revisionOf(revision: number, replicaSet: ReplicaSet): Revision {
  return {
    revision,
    replicaSet,
    images: imagesOf(replicaSet.spec.template),
    changeCause: replicaSet.metadata.annotations?.[CHANGE_CAUSE_ANNOTATION],
    createdAt: replicaSet.metadata.creationTimestamp,
  };
}

/**
 * Every deployment's history in a namespace from two lists (its deployments and its ReplicaSets), for
 * a fleet: two calls instead of two per service. Undefined for a name the list does not hold (the
 * caller reads it alone, so a missing deployment gets the API server's own 404).
 */
export function namespaceHistories(client: KubeClient, namespace: string, signal?: AbortSignal): (name: string) => Promise<RevisionHistory | undefined> {
  const lists = Promise.all([
    client.get<List<Deployment>>(deploymentPath(namespace), undefined, signal),
    client.get<List<ReplicaSet>>(replicaSetPath(namespace), undefined, signal),
  ]);
  // a refused or failed list is not the verdict: each service is then read alone and gets its own answer
  const listed = lists.catch(() => undefined);
  return async (name) => {
    // a StatefulSet or DaemonSet is read alone (its history is in ControllerRevisions)
    if (workloadOf(name).kind !== 'deployment') return undefined;
    const found = await listed;
    if (!found) return undefined;
    const [deployments, sets] = found;
    const deployment = deployments.items.find((d) => d.metadata.name === name);
    return deployment ? { deployment, revisions: revisionsOf(deployment, sets.items) } : undefined;
  };
}

export function revisionsOf(deployment: Deployment, sets: ReplicaSet[]): Revision[] {
  const uid = deployment.metadata.uid;
  return sets
    .filter((rs) => rs.metadata.ownerReferences?.some((ref) => ref.controller && ref.uid === uid))
    .map((rs) => revisionOf(Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? 0), rs))
    .filter((r) => r.revision > 0)
    .sort((a, b) => a.revision - b.revision);
}

const comparableCache = new WeakMap<PodTemplate, string>();

/** A pod template as the deployment controller compares it: no hash label, no null timestamp. */
export function comparableTemplate(template: PodTemplate): string {
  // the same objects are compared again and again while planning and converging a fleet: computed once each
  const cached = comparableCache.get(template);
  if (cached !== undefined) return cached;
  const { [POD_TEMPLATE_HASH]: _hash, ...labels } = template.metadata?.labels ?? {};
  const { creationTimestamp: _created, ...metadata } = template.metadata ?? {};
  const comparable = canonicalJson({ ...template, metadata: { ...metadata, labels } });
  comparableCache.set(template, comparable);
  return comparable;
}

const byKey = ([a]: [string, unknown], [b]: [string, unknown]): number => codeUnitOrder(a, b);

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== null && v !== undefined)
      .sort(byKey);
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The revision whose template the deployment runs now (the highest one matching it). */
export function currentRevision(history: RevisionHistory): Revision | undefined {
  const current = comparableTemplate(history.deployment.spec.template);
  return [...history.revisions].reverse().find((r) => comparableTemplate(r.replicaSet.spec.template) === current);
}

/** The version tags of a template, from one named container or from all of them. */
export function versionsOf(template: PodTemplate, container?: string): string[] {
  const containers: Container[] = template.spec?.containers ?? [];
  const chosen = container ? containers.filter((c) => c.name === container) : containers;
  return chosen.map((c) => imageTag(c.image ?? '')).filter((t): t is string => Boolean(t));
}
