import { randomUUID } from 'node:crypto';
import { apiVersionOf, type ResourceType } from './resources.js';
import { controllerUid } from './template-hash.js';
import { clone, deepEqual, isObject, type Json, type JsonObject, type KubeObject, meta, num, obj, str } from './types.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoredEvent {
  rv: number;
  type: WatchEventType;
  resource: ResourceType;
  namespace: string;
  object: KubeObject;
  previous: KubeObject | undefined;
}

/** Kinds whose generation the API server bumps on spec change (Deployments also on annotation change). */
const GENERATION_KINDS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Ingress']);
const STATUS_KINDS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Pod', 'Ingress', 'Service', 'Namespace']);

const objectKey = (namespace: string, name: string): string => `${namespace}/${name}`;

function pruneNulls(value: Json): Json {
  if (Array.isArray(value)) return value.map(pruneNulls);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    // Go's omitempty drops empty lists too (all list fields but a pod's containers are omitempty)
    if (v === null || (Array.isArray(v) && v.length === 0 && k !== 'containers')) continue;
    out[k] = pruneNulls(v);
  }
  return out;
}

/**
 * What a round trip through the Go types does to an object: nulls and empty lists are dropped (zero
 * values of omitempty fields) and a pod template's creationTimestamp is always written as null.
 */
/**
 * The real server stores typed objects, so a container's `resources` (a struct, not a pointer) always comes back,
 * `{}` when empty: `kubectl rollout undo` copies it from the ReplicaSet, and a template without it compares equal.
 */
function withContainerResources(podSpec: JsonObject): void {
  for (const list of [podSpec.containers, podSpec.initContainers]) {
    if (!Array.isArray(list)) continue;
    for (const container of list) if (isObject(container) && container.resources === undefined) container.resources = {};
  }
}

/** The API server's defaults for a StatefulSet or DaemonSet, which `kubectl rollout status` reads (the update strategy). */
function withWorkloadDefaults(kind: string, spec: JsonObject): void {
  spec.revisionHistoryLimit ??= 10;
  if (kind === 'StatefulSet') {
    spec.replicas ??= 1;
    spec.podManagementPolicy ??= 'OrderedReady';
    spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
    spec.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
  } else spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };
}

export function normalizeObject(object: KubeObject): KubeObject {
  const normalized = obj(pruneNulls(object));
  const spec = normalized.spec;
  const kind = str(normalized.kind) ?? '';
  if ((kind === 'StatefulSet' || kind === 'DaemonSet') && isObject(spec)) withWorkloadDefaults(kind, spec);
  if (['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet'].includes(kind) && isObject(spec) && isObject(spec.template)) {
    spec.template.metadata = { creationTimestamp: null, ...obj(spec.template.metadata) };
    if (isObject(spec.template.spec)) withContainerResources(spec.template.spec);
  }
  if (normalized.kind === 'Pod' && isObject(spec)) withContainerResources(spec);
  return normalized;
}

/** All objects, one global resourceVersion counter, and a bounded event history for watches. */
export class ObjectStore {
  private revision = 1;
  private readonly objects = new Map<ResourceType, Map<string, KubeObject>>();
  /** Keys in LIST order, rebuilt only when objects come or go (updates never change a key). */
  private readonly sortedKeys = new Map<ResourceType, string[]>();
  /** Keys of the objects each controller owns (by owner uid), so a controller's pass reads its own objects, not all. */
  private readonly owned = new Map<ResourceType, Map<string, Set<string>>>();
  private readonly history: StoredEvent[] = [];
  private readonly listeners = new Set<(event: StoredEvent) => void>();

  constructor(private readonly historyLimit = 20_000) {}

  get currentRevision(): number {
    return this.revision;
  }

  /** The oldest resourceVersion a watch can still resume from. */
  get oldestWatchableRevision(): number {
    return this.history.length === this.historyLimit ? (this.history[0]?.rv ?? this.revision) - 1 : 0;
  }

  private bucket(type: ResourceType): Map<string, KubeObject> {
    let bucket = this.objects.get(type);
    if (!bucket) this.objects.set(type, (bucket = new Map()));
    return bucket;
  }

  get(type: ResourceType, namespace: string, name: string): KubeObject | undefined {
    return this.bucket(type).get(objectKey(namespace, name));
  }

  list(type: ResourceType, namespace?: string): KubeObject[] {
    const bucket = this.bucket(type);
    let keys = this.sortedKeys.get(type);
    if (!keys) this.sortedKeys.set(type, (keys = [...bucket.keys()].sort()));
    const prefix = namespace ? `${namespace}/` : '';
    const out: KubeObject[] = [];
    for (const key of keys) {
      const object = key.startsWith(prefix) ? bucket.get(key) : undefined;
      if (object) out.push(object);
    }
    return out;
  }

  /** The objects whose controller owner has `ownerUid`, in LIST order: `list(...).filter(controllerUid === ownerUid)`. */
  listOwned(type: ResourceType, namespace: string, ownerUid: string | undefined): KubeObject[] {
    if (ownerUid === undefined) return this.list(type, namespace).filter((o) => controllerUid(o) === undefined);
    const keys = [...(this.owned.get(type)?.get(ownerUid) ?? [])].sort();
    const bucket = this.bucket(type);
    return keys
      .filter((key) => key.startsWith(`${namespace}/`))
      .map((key) => bucket.get(key))
      .filter((object): object is KubeObject => object !== undefined);
  }

  private index(type: ResourceType, key: string, before: KubeObject | undefined, after: KubeObject | undefined): void {
    const was = before ? controllerUid(before) : undefined;
    const now = after ? controllerUid(after) : undefined;
    if (was === now) return;
    let byOwner = this.owned.get(type);
    if (!byOwner) this.owned.set(type, (byOwner = new Map()));
    if (was !== undefined) byOwner.get(was)?.delete(key);
    if (now !== undefined) {
      let keys = byOwner.get(now);
      if (!keys) byOwner.set(now, (keys = new Set()));
      keys.add(key);
    }
  }

  subscribe(listener: (event: StoredEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  eventsSince(rv: number): StoredEvent[] {
    return this.history.filter((e) => e.rv > rv);
  }

  private emit(event: StoredEvent): void {
    this.history.push(event);
    if (this.history.length > this.historyLimit) this.history.shift();
    for (const listener of this.listeners) listener(event);
  }

  create(type: ResourceType, input: KubeObject): KubeObject {
    // normalizeObject copies as it prunes: the stored object shares nothing with the caller's
    const object = normalizeObject({ ...input, apiVersion: apiVersionOf(type), kind: type.kind });
    const m = meta(object);
    m.uid = randomUUID();
    m.resourceVersion = String(++this.revision);
    m.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    if (GENERATION_KINDS.has(type.kind)) m.generation = 1;
    delete m.deletionTimestamp;
    const namespace = type.namespaced ? (str(m.namespace) ?? 'default') : '';
    if (type.namespaced) m.namespace = namespace;
    else delete m.namespace;
    this.bucket(type).set(objectKey(namespace, str(m.name) ?? ''), object);
    this.index(type, objectKey(namespace, str(m.name) ?? ''), undefined, object);
    this.sortedKeys.delete(type);
    this.emit({ rv: this.revision, type: 'ADDED', resource: type, namespace, object: clone(object), previous: undefined });
    return clone(object);
  }

  /**
   * Stores a new version. `subresource: 'status'` changes only status; a write to the main
   * resource keeps the stored status, as the real registry strategies do.
   */
  update(type: ResourceType, input: KubeObject, subresource?: 'status' | 'controller-status'): KubeObject {
    const m = meta(input);
    const namespace = type.namespaced ? (str(m.namespace) ?? '') : '';
    const previous = this.get(type, namespace, str(m.name) ?? '');
    if (!previous) throw new Error(`update of a missing object ${str(m.name)}`);
    // normalizeObject copies as it prunes: the stored object shares nothing with the caller's
    const object = normalizeObject({ ...input, apiVersion: apiVersionOf(type), kind: type.kind });
    const pm = meta(previous);
    const om = meta(object);
    if (subresource) {
      // the deployment controller writes its revision annotation with the status (no generation bump)
      const status = object.status;
      const annotations = om.annotations;
      Object.assign(object, clone(previous));
      if (status === undefined) delete object.status;
      else object.status = status;
      if (subresource === 'controller-status') meta(object).annotations = annotations ?? null;
    } else if (STATUS_KINDS.has(type.kind)) {
      if (previous.status === undefined) delete object.status;
      else object.status = clone(previous.status);
    }
    const nm = meta(object);
    nm.uid = pm.uid ?? om.uid ?? null;
    nm.creationTimestamp = pm.creationTimestamp ?? null;
    nm.namespace = pm.namespace ?? null;
    if (!type.namespaced) delete nm.namespace;
    object.apiVersion = apiVersionOf(type);
    object.kind = type.kind;
    if (GENERATION_KINDS.has(type.kind) && !subresource) {
      const specChanged = !deepEqual(previous.spec, object.spec);
      const annotationsChanged = type.kind === 'Deployment' && !deepEqual(pm.annotations ?? {}, nm.annotations ?? {});
      nm.generation = (num(pm.generation) ?? 1) + (specChanged || annotationsChanged ? 1 : 0);
    }
    if (deepEqual(previous, { ...object, metadata: { ...nm, resourceVersion: pm.resourceVersion ?? null } })) return clone(previous);
    nm.resourceVersion = String(++this.revision);
    this.bucket(type).set(objectKey(namespace, str(nm.name) ?? ''), object);
    this.index(type, objectKey(namespace, str(nm.name) ?? ''), previous, object);
    this.emit({ rv: this.revision, type: 'MODIFIED', resource: type, namespace, object: clone(object), previous: clone(previous) });
    return clone(object);
  }

  delete(type: ResourceType, namespace: string, name: string): KubeObject | undefined {
    const previous = this.get(type, namespace, name);
    if (!previous) return undefined;
    this.bucket(type).delete(objectKey(namespace, name));
    this.index(type, objectKey(namespace, name), previous, undefined);
    this.sortedKeys.delete(type);
    const object = clone(previous);
    meta(object).resourceVersion = String(++this.revision);
    this.emit({ rv: this.revision, type: 'DELETED', resource: type, namespace, object: clone(object), previous });
    return object;
  }
}
