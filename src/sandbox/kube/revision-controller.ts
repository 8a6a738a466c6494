import type { ReplicaSetPods } from './pods.js';
import { type ResourceType, requireResource } from './resources.js';
import type { ObjectStore, StoredEvent } from './store.js';
import { ownerReference, podTemplateHash, templateKey } from './template-hash.js';
import { clone, deepEqual, type JsonObject, type KubeObject, meta, num, obj, str, stringMap } from './types.js';

const STATEFUL_SETS = requireResource('apps', 'v1', 'statefulsets');
const DAEMON_SETS = requireResource('apps', 'v1', 'daemonsets');
const REVISIONS = requireResource('apps', 'v1', 'controllerrevisions');
export const REVISION_HASH_LABEL = 'controller-revision-hash';
/** The nodes a DaemonSet runs on: the emulator has no Node objects, only these names on its pods. */
export const SANDBOX_NODES = ['sandbox-node', 'sandbox-node-2'];

type Kind = 'StatefulSet' | 'DaemonSet';

/** The template a ControllerRevision holds: its `data`, the strategic-merge patch `kubectl rollout undo` sends. */
export function revisionTemplate(revision: KubeObject): JsonObject {
  const { $patch: _replace, ...template } = obj(obj(obj(revision.data).spec).template);
  return template;
}

/**
 * The StatefulSet and DaemonSet controllers: history in ControllerRevisions (a template seen before gets
 * its old revision back, renumbered to the newest, as the real controllers do), pods replaced one at a
 * time — a StatefulSet from its highest ordinal down to `partition`, a DaemonSet node by node — and the
 * status fields `kubectl rollout status` reads.
 */
export class RevisionController {
  private readonly active = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private reconciling = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly pods: ReplicaSetPods,
    private readonly options: { tickMs: number; podReadyMs: number; podTerminateMs: number },
    private readonly advanceClock: (ms: number) => void,
  ) {}

  start(): void {
    this.unsubscribe = this.store.subscribe((event) => this.onEvent(event));
    for (const type of [STATEFUL_SETS, DAEMON_SETS]) for (const o of this.store.list(type)) this.active.add(keyOf(type, o));
    this.timer = setInterval(() => this.tick(), this.options.tickMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.unsubscribe?.();
  }

  private onEvent(event: StoredEvent): void {
    if (!this.reconciling && (event.resource === STATEFUL_SETS || event.resource === DAEMON_SETS)) this.active.add(keyOf(event.resource, event.object));
  }

  /** Runs one workload's rollout to its end at once, moving the clock (for fixtures). */
  settle(kind: Kind, namespace: string, name: string): void {
    const type = kind === 'StatefulSet' ? STATEFUL_SETS : DAEMON_SETS;
    for (let i = 0; i < 400; i++) {
      const workload = this.store.get(type, namespace, name);
      if (!workload) return;
      this.reconciling = true;
      try {
        if (this.reconcile(type, workload)) return void this.active.delete(keyOf(type, workload));
      } finally {
        this.reconciling = false;
      }
      this.advanceClock(Math.max(this.options.podReadyMs, this.options.podTerminateMs) + 1);
    }
  }

  tick(): void {
    if (this.reconciling) return;
    this.reconciling = true;
    try {
      for (const key of [...this.active]) {
        const [resource = '', namespace = '', name = ''] = key.split('/');
        const type = resource === STATEFUL_SETS.resource ? STATEFUL_SETS : DAEMON_SETS;
        const workload = this.store.get(type, namespace, name);
        if (!workload || this.reconcile(type, workload)) this.active.delete(key);
      }
    } finally {
      this.reconciling = false;
    }
  }

  /** Returns true when the workload is settled. */
  private reconcile(type: ResourceType, workload: KubeObject): boolean {
    const kind = type.kind as Kind;
    const update = this.updateRevision(workload, kind);
    const namespace = str(meta(workload).namespace) ?? '';
    const { pods, moving } = this.pods.livePods(namespace, str(meta(workload).uid));
    const slots = kind === 'StatefulSet' ? statefulSlots(workload) : SANDBOX_NODES.map((node) => ({ name: `${str(meta(workload).name)}-${node}`, node }));
    const current = this.currentRevision(workload, kind, update, pods);
    const partition = kind === 'StatefulSet' ? (num(obj(obj(obj(workload.spec).updateStrategy).rollingUpdate).partition) ?? 0) : 0;
    const wantedFor = (index: number): KubeObject => (index >= partition ? update : current);
    let busy = moving;
    // one change at a time, and only while every pod is ready (OrderedReady / maxUnavailable 1)
    const allReady = pods.length === slots.length && pods.every((p) => this.pods.isReady(p));
    for (const [index, slot] of slots.entries()) {
      const pod = pods.find((p) => meta(p).name === slot.name);
      if (!pod) {
        if (this.store.get(requireResource('', 'v1', 'pods'), namespace, slot.name) || busy) return this.status(workload, kind, pods, update, current, false);
        const revision = wantedFor(index);
        this.pods.createPodFor(workload, kind, revisionTemplate(revision), slot.name, { [REVISION_HASH_LABEL]: podRevisionLabel(kind, revision) }, slot.node);
        return this.status(workload, kind, this.pods.livePods(namespace, str(meta(workload).uid)).pods, update, current, false);
      }
      if (!this.pods.isReady(pod)) busy = true;
    }
    // replace the highest-ordinal (StatefulSet) or first (DaemonSet) pod that runs another revision
    const order = kind === 'StatefulSet' ? [...slots.keys()].reverse() : [...slots.keys()];
    for (const index of order) {
      const pod = pods.find((p) => meta(p).name === slots[index]?.name);
      if (pod && stringMap(meta(pod).labels)[REVISION_HASH_LABEL] !== podRevisionLabel(kind, wantedFor(index))) {
        // a DaemonSet replaces an unavailable pod at once (it counts against maxUnavailable already); a
        // StatefulSet waits for every pod to be Running and Ready, so a broken pod blocks it (Kubernetes' "forced rollback")
        const unavailable = kind === 'DaemonSet' && !this.pods.isReady(pod) && !moving;
        if ((allReady && !busy) || unavailable) this.pods.terminate(pod);
        return this.status(workload, kind, pods, update, current, false);
      }
    }
    return this.status(workload, kind, pods, update, current, !busy);
  }

  /** The ControllerRevision of the workload's template: an equal one is reused (renumbered newest), else a new one. */
  private updateRevision(workload: KubeObject, kind: Kind): KubeObject {
    const namespace = str(meta(workload).namespace) ?? '';
    const revisions = this.store.listOwned(REVISIONS, namespace, str(meta(workload).uid));
    const template = obj(obj(workload.spec).template);
    const wanted = templateKey(template);
    const newest = Math.max(0, ...revisions.map((r) => num(r.revision) ?? 0));
    const equal = revisions.find((r) => templateKey(revisionTemplate(r)) === wanted);
    if (equal) {
      if ((num(equal.revision) ?? 0) >= newest) return equal;
      return this.store.update(REVISIONS, { ...equal, revision: newest + 1 });
    }
    const hash = podTemplateHash(template);
    const created = this.store.create(REVISIONS, {
      metadata: {
        name: `${str(meta(workload).name)}-${hash}`,
        namespace,
        labels: { ...stringMap(obj(template.metadata).labels), [REVISION_HASH_LABEL]: hash },
        ownerReferences: [ownerReference(workload, kind)],
      },
      data: { spec: { template: { ...clone(template), $patch: 'replace' } } },
      revision: newest + 1,
    });
    this.prune(workload, [...revisions, created]);
    return created;
  }

  /** A StatefulSet's current revision stays until every pod runs the update revision; a DaemonSet has none of its own. */
  private currentRevision(workload: KubeObject, kind: Kind, update: KubeObject, pods: KubeObject[]): KubeObject {
    if (kind === 'DaemonSet') return update;
    const name = str(obj(workload.status).currentRevision);
    const namespace = str(meta(workload).namespace) ?? '';
    const current = name ? this.store.get(REVISIONS, namespace, name) : undefined;
    const replicas = num(obj(workload.spec).replicas) ?? 1;
    const updated = pods.filter((p) => stringMap(meta(p).labels)[REVISION_HASH_LABEL] === podRevisionLabel(kind, update) && this.pods.isReady(p)).length;
    return !current || updated === replicas ? update : current;
  }

  /** revisionHistoryLimit: the oldest revisions no pod runs are deleted. */
  private prune(workload: KubeObject, revisions: KubeObject[]): void {
    const limit = num(obj(workload.spec).revisionHistoryLimit) ?? 10;
    const sorted = [...revisions].sort((a, b) => (num(a.revision) ?? 0) - (num(b.revision) ?? 0));
    for (const old of sorted.slice(0, Math.max(0, sorted.length - limit - 1)))
      this.store.delete(REVISIONS, str(meta(old).namespace) ?? '', str(meta(old).name) ?? '');
  }

  private status(workload: KubeObject, kind: Kind, pods: KubeObject[], update: KubeObject, current: KubeObject, settled: boolean): boolean {
    const namespace = str(meta(workload).namespace) ?? '';
    const type = kind === 'StatefulSet' ? STATEFUL_SETS : DAEMON_SETS;
    const latest = this.store.get(type, namespace, str(meta(workload).name) ?? '') ?? workload;
    const ready = pods.filter((p) => this.pods.isReady(p));
    const at = (revision: KubeObject, list: KubeObject[]): number =>
      list.filter((p) => stringMap(meta(p).labels)[REVISION_HASH_LABEL] === podRevisionLabel(kind, revision)).length;
    const generation = num(meta(latest).generation) ?? 1;
    const status: JsonObject =
      kind === 'StatefulSet'
        ? {
            observedGeneration: generation,
            replicas: pods.length,
            readyReplicas: ready.length,
            availableReplicas: ready.length,
            currentReplicas: at(current, pods),
            updatedReplicas: at(update, pods),
            currentRevision: str(meta(current).name) ?? '',
            updateRevision: str(meta(update).name) ?? '',
            collisionCount: 0,
          }
        : {
            observedGeneration: generation,
            currentNumberScheduled: pods.length,
            desiredNumberScheduled: SANDBOX_NODES.length,
            numberMisscheduled: 0,
            numberReady: ready.length,
            numberAvailable: ready.length,
            updatedNumberScheduled: at(update, pods),
            ...(ready.length < SANDBOX_NODES.length ? { numberUnavailable: SANDBOX_NODES.length - ready.length } : {}),
          };
    if (!deepEqual(latest.status, status)) this.store.update(type, { ...latest, status }, 'controller-status');
    return settled;
  }
}

/** The `controller-revision-hash` a pod of this revision carries: a StatefulSet's is the revision's name, a DaemonSet's its hash. */
function podRevisionLabel(kind: Kind, revision: KubeObject): string {
  return kind === 'StatefulSet' ? (str(meta(revision).name) ?? '') : (stringMap(meta(revision).labels)[REVISION_HASH_LABEL] ?? '');
}

function keyOf(type: ResourceType, object: KubeObject): string {
  return `${type.resource}/${str(meta(object).namespace) ?? ''}/${str(meta(object).name) ?? ''}`;
}

function statefulSlots(workload: KubeObject): { name: string; node: string }[] {
  const replicas = num(obj(workload.spec).replicas) ?? 1;
  return Array.from({ length: replicas }, (_, i) => ({ name: `${str(meta(workload).name)}-${i}`, node: 'sandbox-node' }));
}
