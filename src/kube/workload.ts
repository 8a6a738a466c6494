import { ConfigurationError } from '../core/errors.js';
import { KubeApiError } from './client.js';
import type { RolloutState } from './rollout-status.js';
import {
  type Deployment,
  type LabelSelector,
  type List,
  type ObjectMeta,
  POD_TEMPLATE_HASH,
  type PodTemplate,
  type ReplicaSet,
  selectorString,
} from './types.js';

/** What rollback-service rolls back: a Deployment (a bare name), or `statefulset/<name>`, `daemonset/<name>`. */
export type WorkloadKind = 'deployment' | 'statefulset' | 'daemonset';
export const WORKLOAD_KINDS: readonly WorkloadKind[] = ['deployment', 'statefulset', 'daemonset'];

export interface WorkloadRef {
  kind: WorkloadKind;
  name: string;
}

const RESOURCES: Record<WorkloadKind, string> = { deployment: 'deployments', statefulset: 'statefulsets', daemonset: 'daemonsets' };
/** The API's `kind` of each: what an object and a manifest say. */
export const KIND_NAMES: Record<WorkloadKind, string> = { deployment: 'Deployment', statefulset: 'StatefulSet', daemonset: 'DaemonSet' };

/** The kind an object says it is (`StatefulSet` → statefulset); anything else is read as a Deployment. */
export function kindOfObject(kind: string | undefined): WorkloadKind {
  return WORKLOAD_KINDS.find((k) => KIND_NAMES[k] === kind) ?? 'deployment';
}
export const REVISION_HASH_LABEL = 'controller-revision-hash';

/** `statefulset/web` → StatefulSet web; a bare name is a Deployment. The input's validation has checked the form. */
export function workloadOf(service: string): WorkloadRef {
  const slash = service.indexOf('/');
  if (slash < 0) return { kind: 'deployment', name: service };
  return { kind: service.slice(0, slash) as WorkloadKind, name: service.slice(slash + 1) };
}

/** The problem with one entry of `services`, or undefined when it names a workload this action rolls back. */
export function workloadProblem(service: string, labelProblem: (name: string) => string | undefined): string | undefined {
  const slash = service.indexOf('/');
  // only `<word>/…` is a kind; anything else (`chat;rm -rf /`) is judged as the name it pretends to be
  if (slash < 0 || !/^[A-Za-z]+$/.test(service.slice(0, slash))) return labelProblem(service);
  const kind = service.slice(0, slash).toLowerCase();
  const name = service.slice(slash + 1);
  if (!(WORKLOAD_KINDS as readonly string[]).includes(kind))
    return `"${service}": kind ${kind} is not rolled back by rollback-service; it takes deployment/<name>, statefulset/<name>, daemonset/<name> or a bare deployment name`;
  if (kind !== service.slice(0, slash)) return `"${service}": write the kind in lowercase (${kind}/${name})`;
  if (!name) return `"${service}" has no name after "${kind}/": write ${kind}/<name>`;
  return labelProblem(name);
}

/**
 * For a read of `service`: the API server's 404 becomes a mistake in `input` (a workload that does not exist is
 * named, nothing is written); any other error passes unchanged.
 */
export function missingWorkload(service: string, namespace: string, input: string): (error: unknown) => never {
  return (error) => {
    if (error instanceof KubeApiError && error.code === 404) {
      const ref = workloadOf(service);
      throw new ConfigurationError(`names ${ref.kind} "${ref.name}", which does not exist in namespace "${namespace}"`, input);
    }
    throw error;
  };
}

export function workloadPath(namespace: string, ref: WorkloadRef | WorkloadKind, name?: string): string {
  const kind = typeof ref === 'string' ? ref : ref.kind;
  const objectName = typeof ref === 'string' ? name : ref.name;
  return `/apis/apps/v1/namespaces/${namespace}/${RESOURCES[kind]}${objectName ? `/${objectName}` : ''}`;
}

/** How kubectl names it: `deployment/chat-service`, `statefulset/vector-db`. */
export function kubectlName(ref: WorkloadRef): string {
  return `${ref.kind}/${ref.name}`;
}

export interface ControllerRevision {
  metadata: ObjectMeta;
  revision: number;
  data?: { spec?: { template?: PodTemplate & { $patch?: string } } };
}

export function controllerRevisionPath(namespace: string): string {
  return `/apis/apps/v1/namespaces/${namespace}/controllerrevisions`;
}

/**
 * A StatefulSet's or DaemonSet's history as `kubectl rollout history` reads it: the ControllerRevisions
 * its selector selects and it controls. Each is shaped as the engine's revision (a ReplicaSet-like record
 * holding the template and the revision's hash), so planning and converging are the same for every kind.
 */
export async function readControllerRevisions(
  get: <T>(path: string, query?: Record<string, string | undefined>) => Promise<T>,
  namespace: string,
  workload: Deployment,
): Promise<{ revision: number; replicaSet: ReplicaSet }[]> {
  const list = await get<List<ControllerRevision>>(controllerRevisionPath(namespace), { labelSelector: selectorString(workload.spec.selector) });
  const uid = workload.metadata.uid;
  return list.items
    .filter((cr) => cr.metadata.ownerReferences?.some((ref) => ref.controller && ref.uid === uid))
    .map((cr) => ({ revision: cr.revision, replicaSet: asRevisionRecord(cr, workload.spec.selector) }));
}

function asRevisionRecord(cr: ControllerRevision, selector: LabelSelector): ReplicaSet {
  const { $patch: _replace, ...template } = cr.data?.spec?.template ?? {};
  const hash = cr.metadata.labels?.[REVISION_HASH_LABEL] ?? cr.metadata.name.slice(cr.metadata.name.lastIndexOf('-') + 1);
  return {
    metadata: { ...cr.metadata, labels: { ...(cr.metadata.labels ?? {}), [POD_TEMPLATE_HASH]: hash } },
    spec: { selector, template },
  };
}

/** The label a StatefulSet's pods carry for their revision is the ControllerRevision's name; a DaemonSet's, its hash. */
export function podRevisionLabel(ref: WorkloadRef, revisionName: string, hash: string): Record<string, string> {
  if (ref.kind === 'deployment') return { [POD_TEMPLATE_HASH]: hash };
  return { [REVISION_HASH_LABEL]: ref.kind === 'statefulset' ? revisionName : hash };
}

/**
 * `kubectl rollout undo` for a StatefulSet or DaemonSet: the ControllerRevision's data as a strategic merge
 * patch (the template, `$patch: replace`), here with the resourceVersion it was decided on (a conflict is
 * a 409, never a silent overwrite) and our record annotations.
 */
export function revisionPatch(workload: Deployment, template: PodTemplate, annotations: Record<string, string>): object {
  return {
    metadata: { resourceVersion: workload.metadata.resourceVersion, annotations },
    spec: { template: { ...template, $patch: 'replace' } },
  };
}

interface WorkloadStatus {
  observedGeneration?: number;
  replicas?: number;
  readyReplicas?: number;
  updatedReplicas?: number;
  currentReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
  desiredNumberScheduled?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
}

interface WorkloadSpec {
  replicas?: number;
  updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
}

/** kubectl's StatefulSetStatusViewer, line for line. */
export function statefulSetRolloutState(sts: Deployment): RolloutState {
  const spec = sts.spec as WorkloadSpec;
  const status = (sts.status ?? {}) as WorkloadStatus;
  if (spec.updateStrategy?.type && spec.updateStrategy.type !== 'RollingUpdate') {
    const failure = 'rollout status is only available for RollingUpdate strategy type';
    return { done: false, message: failure, failure };
  }
  if (!status.observedGeneration || (sts.metadata.generation ?? 0) > status.observedGeneration)
    return { done: false, message: 'Waiting for statefulset spec update to be observed...' };
  const replicas = spec.replicas ?? 1;
  if ((status.readyReplicas ?? 0) < replicas) return { done: false, message: `Waiting for ${replicas - (status.readyReplicas ?? 0)} pods to be ready...` };
  const partition = spec.updateStrategy?.rollingUpdate?.partition;
  if (spec.updateStrategy?.rollingUpdate && partition !== undefined) {
    if ((status.updatedReplicas ?? 0) < replicas - partition)
      return {
        done: false,
        message: `Waiting for partitioned roll out to finish: ${status.updatedReplicas ?? 0} out of ${replicas - partition} new pods have been updated...`,
      };
    return { done: true, message: `partitioned roll out complete: ${status.updatedReplicas ?? 0} new pods have been updated...` };
  }
  if (status.updateRevision !== status.currentRevision)
    return {
      done: false,
      message: `waiting for statefulset rolling update to complete ${status.updatedReplicas ?? 0} pods at revision ${status.updateRevision}...`,
    };
  return { done: true, message: `statefulset rolling update complete ${status.currentReplicas ?? 0} pods at revision ${status.currentRevision}...` };
}

/** kubectl's DaemonSetStatusViewer, line for line. */
export function daemonSetRolloutState(ds: Deployment): RolloutState {
  const spec = ds.spec as WorkloadSpec;
  const status = (ds.status ?? {}) as WorkloadStatus;
  const name = ds.metadata.name;
  if (spec.updateStrategy?.type && spec.updateStrategy.type !== 'RollingUpdate') {
    const failure = 'rollout status is only available for RollingUpdate strategy type';
    return { done: false, message: failure, failure };
  }
  if ((ds.metadata.generation ?? 0) > (status.observedGeneration ?? 0)) return { done: false, message: 'Waiting for daemon set spec update to be observed...' };
  const desired = status.desiredNumberScheduled ?? 0;
  if ((status.updatedNumberScheduled ?? 0) < desired)
    return {
      done: false,
      message: `Waiting for daemon set "${name}" rollout to finish: ${status.updatedNumberScheduled ?? 0} out of ${desired} new pods have been updated...`,
    };
  if ((status.numberAvailable ?? 0) < desired)
    return {
      done: false,
      message: `Waiting for daemon set "${name}" rollout to finish: ${status.numberAvailable ?? 0} of ${desired} updated pods are available...`,
    };
  return { done: true, message: `daemon set "${name}" successfully rolled out` };
}
