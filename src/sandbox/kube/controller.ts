import { recordScaling } from './events.js';
import { type BadImageReason, ReplicaSetPods } from './pods.js';
import { requireResource } from './resources.js';
import {
  desiredReplicas,
  maxUnavailable,
  newReplicaSetReplicas,
  oldReplicaSetTargets,
  specReplicas,
  statusCount,
  surgeAndUnavailable,
} from './rollout-math.js';
import type { ObjectStore, StoredEvent } from './store.js';
import { HASH_LABEL, ownerReference, podTemplateHash, REVISION, REVISION_HISTORY, revisionOf, templateKey } from './template-hash.js';
import { clone, deepEqual, isObject, type JsonObject, type KubeObject, meta, num, obj, str, stringMap } from './types.js';

const SKIP_COPY = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  REVISION_HISTORY,
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

export type { BadImageReason } from './pods.js';

export interface ControllerOptions {
  /** How long a new pod takes to become Ready. */
  podReadyMs: number;
  /** How long a deleted pod stays Terminating. */
  podTerminateMs: number;
  /** Real milliseconds per second of `progressDeadlineSeconds` (600 s × 10 ms = 6 s). */
  progressDeadlineMsPerSecond: number;
  tickMs: number;
}

const DEPLOYMENTS = requireResource('apps', 'v1', 'deployments');
const REPLICA_SETS = requireResource('apps', 'v1', 'replicasets');
const PODS = requireResource('', 'v1', 'pods');

/** What an unsettled deployment's objects were after its last pass, and when one of them next changes by itself. */
interface PassState {
  fingerprint: string;
  dueAt: number;
}

/** The deployment and replica-set controllers, with time scaled down for tests and the drill. */
export class DeploymentController {
  private readonly active = new Set<string>();
  /** Exact time of the last Progressing update (the condition itself keeps whole seconds). */
  private readonly progressAt = new Map<string, number>();
  /** The new ReplicaSet each deployment rolled towards at the last pass. */
  private readonly lastNewSet = new Map<string, string>();
  /** Per unsettled deployment: a tick passes it over until something of it was written or its next change is due. */
  private readonly lastPass = new Map<string, PassState>();
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private reconciling = false;

  /** The pods and the kubelet, shared with the StatefulSet and DaemonSet controllers. */
  readonly pods: ReplicaSetPods;

  constructor(
    private readonly store: ObjectStore,
    private readonly options: ControllerOptions,
  ) {
    this.pods = new ReplicaSetPods(store, options, { now: () => this.now(), timestamp: () => this.timestamp() });
  }

  /**
   * While held, no new pod becomes Ready (it stays ContainerCreating): a test can look at a rollout
   * in the middle, decided by an event rather than by how fast the machine is.
   */
  holdPods(held: boolean): void {
    this.pods.holdPods(held);
    this.lastPass.clear();
  }

  markBadImage(image: string, reason: BadImageReason): void {
    this.pods.markBadImage(image, reason);
    this.lastPass.clear();
  }

  isReady(pod: KubeObject): boolean {
    return this.pods.isReady(pod);
  }

  start(): void {
    this.unsubscribe = this.store.subscribe((event) => this.onEvent(event));
    for (const d of this.store.list(DEPLOYMENTS)) this.active.add(`${meta(d).namespace}/${meta(d).name}`);
    this.timer = setInterval(() => this.tick(), this.options.tickMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.unsubscribe?.();
  }

  private skewMs = 0;

  /** Moves the controllers' clock forward (fixtures settle rollouts without real waiting). */
  advanceClock(ms: number): void {
    this.skewMs += ms;
  }

  /** The controller's clock; `settle` moves it forward so that seeding needs no real waiting. */
  private now(): number {
    return Date.now() + this.skewMs;
  }

  private timestamp(): string {
    return new Date(this.now()).toISOString().replace(/\.\d+Z$/, 'Z');
  }

  private onEvent(event: StoredEvent): void {
    if (!this.reconciling && event.resource === DEPLOYMENTS) this.active.add(`${event.namespace}/${meta(event.object).name}`);
  }

  /** Runs one deployment's rollout to its end at once, advancing the clock (for fixtures). */
  settle(namespace: string, name: string): void {
    for (let i = 0; i < 200; i++) {
      const deployment = this.store.get(DEPLOYMENTS, namespace, name);
      if (!deployment) return;
      this.reconciling = true;
      let settled: boolean;
      try {
        settled = this.reconcile(deployment);
      } finally {
        this.reconciling = false;
      }
      if (settled) return void this.active.delete(`${namespace}/${name}`);
      this.skewMs += Math.max(this.options.podReadyMs, this.options.podTerminateMs) + 1;
    }
  }

  /** One pass over every deployment that is not settled; the tick timer repeats it. */
  tick(): void {
    if (this.reconciling) return;
    this.reconciling = true;
    try {
      for (const key of [...this.active]) {
        const [namespace = '', name = ''] = key.split('/');
        const deployment = this.store.get(DEPLOYMENTS, namespace, name);
        if (!deployment) {
          this.active.delete(key);
          continue;
        }
        // a pass that wrote nothing is a fixed point: the next one changes nothing either, until something of the
        // deployment is written or a pod's (or the progress deadline's) moment comes. Fifty rollouts at once are
        // otherwise fifty full passes every tick while their pods start.
        const before = this.fingerprint(deployment);
        const last = this.lastPass.get(key);
        if (last && this.now() < last.dueAt && last.fingerprint === before) continue;
        if (this.reconcile(deployment)) {
          this.active.delete(key);
          this.lastPass.delete(key);
          continue;
        }
        const latest = this.store.get(DEPLOYMENTS, namespace, name) ?? deployment;
        const after = this.fingerprint(latest);
        // it wrote something: the next pass decides on what it wrote
        this.lastPass.set(key, { fingerprint: after, dueAt: after === before ? this.dueAt(latest) : 0 });
      }
    } finally {
      this.reconciling = false;
    }
  }

  /** The pods of the deployment's ReplicaSets, each with its ReplicaSet. */
  private ownedPods(deployment: KubeObject): { rs: KubeObject; pods: KubeObject[] }[] {
    const namespace = str(meta(deployment).namespace) ?? '';
    return this.store
      .listOwned(REPLICA_SETS, namespace, str(meta(deployment).uid))
      .map((rs) => ({ rs, pods: this.store.listOwned(PODS, namespace, str(meta(rs).uid)) }));
  }

  /** The resourceVersions of the deployment, its ReplicaSets and their pods: equal while nobody wrote any of them. */
  private fingerprint(deployment: KubeObject): string {
    const versions = [meta(deployment).resourceVersion];
    for (const { rs, pods } of this.ownedPods(deployment)) versions.push(meta(rs).resourceVersion, ...pods.map((pod) => meta(pod).resourceVersion));
    return versions.join(',');
  }

  /** The first moment a pod of the deployment, or its progress deadline, changes by itself (0: unknown, so at once). */
  private dueAt(deployment: KubeObject): number {
    const progressAt = this.progressAt.get(str(meta(deployment).uid) ?? '');
    let due = progressAt === undefined ? 0 : progressAt + this.progressDeadlineMs(deployment);
    for (const { pods } of this.ownedPods(deployment)) for (const pod of pods) due = Math.min(due, this.pods.nextChangeAt(pod));
    return due;
  }

  /** `progressDeadlineSeconds` (600 by default) on the controller's scaled clock. */
  private progressDeadlineMs(deployment: KubeObject): number {
    return (num(obj(deployment.spec).progressDeadlineSeconds) ?? 600) * this.options.progressDeadlineMsPerSecond;
  }

  /** Returns true when the deployment is settled (nothing changes until someone writes). */
  private reconcile(deployment: KubeObject): boolean {
    const namespace = str(meta(deployment).namespace) ?? '';
    const uid = str(meta(deployment).uid);
    let sets = this.store.listOwned(REPLICA_SETS, namespace, uid);
    const paused = obj(deployment.spec).paused === true;
    const template = obj(deployment.spec).template;
    const wanted = templateKey(template);
    let newSet = sets.find((rs) => templateKey(obj(rs.spec).template) === wanted);
    let created = false;
    if (!paused) {
      const maxOld = Math.max(0, ...sets.filter((rs) => rs !== newSet).map(revisionOf));
      if (!newSet) {
        newSet = this.createReplicaSet(deployment, maxOld + 1);
        created = true;
      } else newSet = this.refreshReplicaSet(deployment, newSet, maxOld + 1);
      sets = this.store.listOwned(REPLICA_SETS, namespace, uid);
      const uidOfNew = meta(newSet).uid;
      newSet = sets.find((rs) => meta(rs).uid === uidOfNew);
    }
    const oldSets = sets.filter((rs) => rs !== newSet).sort((a, b) => revisionOf(a) - revisionOf(b));
    if (!paused && newSet) {
      this.scale(newSet, newReplicaSetReplicas(deployment, sets, newSet));
      for (const [rs, target] of oldReplicaSetTargets(deployment, oldSets, newSet)) this.scale(rs, target);
    }
    let pending = false;
    for (const rs of this.store.listOwned(REPLICA_SETS, namespace, uid)) pending = this.pods.syncPods(rs) || pending;
    const fresh = this.store.listOwned(REPLICA_SETS, namespace, uid);
    const newUid = newSet ? meta(newSet).uid : undefined;
    const freshNew = newUid === undefined ? undefined : fresh.find((rs) => meta(rs).uid === newUid);
    const settled = this.updateStatus(deployment, fresh, freshNew, created);
    if (settled && !pending)
      this.cleanupHistory(
        deployment,
        fresh.filter((rs) => rs !== freshNew),
      );
    return settled && !pending;
  }

  private createReplicaSet(deployment: KubeObject, revision: number): KubeObject {
    const d = meta(deployment);
    const hash = podTemplateHash(obj(deployment.spec).template);
    const template = clone(obj(obj(deployment.spec).template));
    const tm = obj(template.metadata);
    template.metadata = { ...tm, labels: { ...stringMap(tm.labels), [HASH_LABEL]: hash } };
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(stringMap(d.annotations))) if (!SKIP_COPY.has(k)) annotations[k] = v;
    const replicas = desiredReplicas(deployment);
    Object.assign(annotations, {
      'deployment.kubernetes.io/desired-replicas': String(replicas),
      'deployment.kubernetes.io/max-replicas': String(replicas + surgeAndUnavailable(deployment).surge),
      [REVISION]: String(revision),
    });
    const selector = clone(obj(obj(deployment.spec).selector));
    selector.matchLabels = { ...stringMap(selector.matchLabels), [HASH_LABEL]: hash };
    return this.store.create(REPLICA_SETS, {
      metadata: {
        name: `${str(d.name)}-${hash}`,
        namespace: d.namespace ?? '',
        labels: { ...stringMap(tm.labels), [HASH_LABEL]: hash },
        annotations,
        ownerReferences: [ownerReference(deployment, 'Deployment')],
      },
      spec: { replicas: 0, minReadySeconds: num(obj(deployment.spec).minReadySeconds) ?? 0, selector, template },
      status: { replicas: 0, observedGeneration: 1 },
    });
  }

  /** SetNewReplicaSetAnnotations: copy the deployment's annotations, raise the revision, keep the history. */
  private refreshReplicaSet(deployment: KubeObject, rs: KubeObject, newRevision: number): KubeObject {
    const current = stringMap(meta(rs).annotations);
    const annotations = { ...current };
    for (const [k, v] of Object.entries(stringMap(meta(deployment).annotations))) if (!SKIP_COPY.has(k)) annotations[k] = v;
    const oldRevision = revisionOf(rs);
    if (oldRevision < newRevision) {
      annotations[REVISION] = String(newRevision);
      if (oldRevision > 0) {
        const history = annotations[REVISION_HISTORY];
        annotations[REVISION_HISTORY] = history ? `${history},${oldRevision}` : String(oldRevision);
      }
    }
    // compared before copying: every tick refreshes every active deployment's new ReplicaSet, and almost always nothing changes
    if (deepEqual(annotations, current)) return rs;
    const updated = clone(rs);
    meta(updated).annotations = annotations;
    return this.store.update(REPLICA_SETS, updated);
  }

  private scale(rs: KubeObject, replicas: number): void {
    if (specReplicas(rs) === replicas) return;
    const current = this.store.get(REPLICA_SETS, str(meta(rs).namespace) ?? '', str(meta(rs).name) ?? '');
    if (!current) return;
    const updated = clone(current);
    updated.spec = { ...obj(updated.spec), replicas };
    this.store.update(REPLICA_SETS, updated);
    recordScaling(this.store, current, specReplicas(current), replicas, this.timestamp());
  }

  /** calculateStatus + syncRolloutStatus; returns true when the rollout is complete, paused or timed out. */
  private updateStatus(deployment: KubeObject, sets: KubeObject[], newSet: KubeObject | undefined, created: boolean): boolean {
    const latest = this.store.get(DEPLOYMENTS, str(meta(deployment).namespace) ?? '', str(meta(deployment).name) ?? '') ?? deployment;
    const old = obj(latest.status);
    const replicas = desiredReplicas(latest);
    const sum = (field: 'replicas' | 'readyReplicas' | 'availableReplicas', list: KubeObject[]): number =>
      list.reduce((s, rs) => s + statusCount(rs, field), 0);
    const available = sum('availableReplicas', sets);
    const status: JsonObject = {
      observedGeneration: num(meta(latest).generation) ?? 1,
      replicas: sum('replicas', sets),
      updatedReplicas: newSet ? statusCount(newSet, 'replicas') : 0,
      readyReplicas: sum('readyReplicas', sets),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, sets.reduce((s, rs) => s + specReplicas(rs), 0) - available),
    };
    const conditions = new Map<string, JsonObject>();
    for (const c of Array.isArray(old.conditions) ? old.conditions.filter(isObject) : []) conditions.set(str(c.type) ?? '', c);
    const now = this.timestamp();
    const set = (type: string, statusValue: string, reason: string, message: string, touch = false): void => {
      const current = conditions.get(type);
      if (current && current.status === statusValue && current.reason === reason && !touch) return;
      const transition = current && current.status === statusValue ? current.lastTransitionTime : now;
      conditions.set(type, { type, status: statusValue, lastUpdateTime: now, lastTransitionTime: transition ?? now, reason, message });
      if (type === 'Progressing') this.progressAt.set(str(meta(latest).uid) ?? '', this.now());
    };
    const minAvailable = available >= replicas - maxUnavailable(latest);
    set(
      'Available',
      minAvailable ? 'True' : 'False',
      minAvailable ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
      minAvailable ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
    );
    const progressing = conditions.get('Progressing');
    const rsName = newSet ? str(meta(newSet).name) : undefined;
    const complete = status.updatedReplicas === replicas && status.replicas === replicas && available === replicas;
    let settled = complete;
    if (obj(latest.spec).paused === true) {
      if (progressing?.reason !== 'DeploymentPaused') set('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused');
      settled = true;
    } else if (created) set('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${rsName}"`);
    else if (progressing?.reason === 'DeploymentPaused' && !complete) set('Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed');
    else if (complete) {
      // as the real controller's one sync after a resume: DeploymentResumed, then at once the completed rollout's reason
      if (progressing?.reason !== 'NewReplicaSetAvailable')
        set('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`);
    } else if (
      // a rollback to an existing ReplicaSet starts a new rollout just like a created one
      (newSet !== undefined && this.lastNewSet.get(str(meta(latest).uid) ?? '') !== meta(newSet).uid) ||
      (num(status.updatedReplicas) ?? 0) > (num(old.updatedReplicas) ?? 0) ||
      (num(status.readyReplicas) ?? 0) > (num(old.readyReplicas) ?? 0) ||
      (num(status.replicas) ?? 0) - (num(status.updatedReplicas) ?? 0) < (num(old.replicas) ?? 0) - (num(old.updatedReplicas) ?? 0) ||
      available > (num(old.availableReplicas) ?? 0)
    ) {
      set('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`, true);
    } else if (progressing?.reason === 'ProgressDeadlineExceeded') settled = true;
    else if (progressing?.reason !== 'NewReplicaSetAvailable') {
      // after a finished rollout the deadline only counts again once progress has been recorded
      const deadline = this.progressDeadlineMs(latest);
      const since = this.progressAt.get(str(meta(latest).uid) ?? '') ?? Date.parse(str(progressing?.lastUpdateTime) ?? now);
      if (this.now() - since > deadline) {
        set('Progressing', 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${rsName}" has timed out progressing.`);
        settled = true;
      }
    }
    if (newSet) this.lastNewSet.set(str(meta(latest).uid) ?? '', str(meta(newSet).uid) ?? '');
    status.conditions = [...conditions.values()].sort((a, b) => (a.type === 'Available' ? -1 : b.type === 'Available' ? 1 : 0));
    if (num(status.readyReplicas) === 0) delete status.readyReplicas;
    if (num(status.availableReplicas) === 0) delete status.availableReplicas;
    if (num(status.unavailableReplicas) === 0) delete status.unavailableReplicas;
    const annotations = stringMap(meta(latest).annotations);
    if (newSet) annotations[REVISION] = String(revisionOf(newSet));
    if (!deepEqual(latest.status, status) || !deepEqual(stringMap(meta(latest).annotations), annotations)) {
      this.store.update(DEPLOYMENTS, { ...latest, metadata: { ...meta(latest), annotations }, status }, 'controller-status');
    }
    return settled;
  }

  /** revisionHistoryLimit: drop the oldest empty old replica sets. */
  private cleanupHistory(deployment: KubeObject, oldSets: KubeObject[]): void {
    const limit = num(obj(deployment.spec).revisionHistoryLimit) ?? 10;
    const empty = oldSets.filter((rs) => specReplicas(rs) === 0 && statusCount(rs, 'replicas') === 0).sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const rs of empty.slice(0, Math.max(0, empty.length - limit))) {
      this.store.delete(REPLICA_SETS, str(meta(rs).namespace) ?? '', str(meta(rs).name) ?? '');
    }
  }
}
