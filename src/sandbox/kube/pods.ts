import { requireResource } from './resources.js';
import { specReplicas } from './rollout-math.js';
import type { ObjectStore } from './store.js';
import { ownerReference, randomSuffix } from './template-hash.js';
import { clone, deepEqual, isObject, type Json, type JsonObject, type KubeObject, meta, num, obj, str, stringMap } from './types.js';

export type BadImageReason = 'ImagePullBackOff' | 'CrashLoopBackOff';

const REPLICA_SETS = requireResource('apps', 'v1', 'replicasets');
const PODS = requireResource('', 'v1', 'pods');

const containersOf = (pod: KubeObject): JsonObject[] => (Array.isArray(obj(pod.spec).containers) ? (obj(pod.spec).containers as Json[]).filter(isObject) : []);

interface PodTimers {
  createdAt: number;
  terminateAt?: number;
}

/** The controller's clock, which `settle` moves forward so that seeding needs no real waiting. */
export interface ControllerClock {
  now(): number;
  timestamp(): string;
}

/**
 * The replica-set controller's pod side and the kubelet: pods are created for a ReplicaSet, become Ready after
 * `podReadyMs` (unless held), crash or fail to pull when their image is bad, and terminate.
 */
export class ReplicaSetPods {
  private readonly timers = new Map<string, PodTimers>();
  /** A crash-looping container restarts once per `podReadyMs` (at least 1 ms). */
  private get crashPeriodMs(): number {
    return Math.max(1, this.options.podReadyMs);
  }
  private readonly badImages = new Map<string, BadImageReason>();
  private podsHeld = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly options: { podReadyMs: number; podTerminateMs: number },
    private readonly clock: ControllerClock,
  ) {}
  /**
   * While held, no new pod becomes Ready (it stays ContainerCreating): a test can look at a rollout
   * in the middle, decided by an event rather than by how fast the machine is.
   */
  holdPods(held: boolean): void {
    this.podsHeld = held;
  }
  markBadImage(image: string, reason: BadImageReason): void {
    this.badImages.set(image, reason);
  }
  /**
   * A marked image, or one whose tag ends in `-pullfail` / `-crashloop`: the same convention the
   * real control plane's kwok stages follow (test/real-kube/kwok-stages.yaml), so a shared scenario
   * deploys a broken release the same way on both.
   */
  private badImage(image: string): BadImageReason | undefined {
    return this.badImages.get(image) ?? (image.endsWith('-pullfail') ? 'ImagePullBackOff' : image.endsWith('-crashloop') ? 'CrashLoopBackOff' : undefined);
  }
  /** The replica-set controller and the kubelet: create, ready, crash and terminate pods. Returns true while pods are in motion. */
  syncPods(rs: KubeObject): boolean {
    const namespace = str(meta(rs).namespace) ?? '';
    const now = this.clock.now();
    const pods = this.store.listOwned(PODS, namespace, str(meta(rs).uid));
    let moving = false;
    for (const pod of pods) {
      const timers = this.timers.get(str(meta(pod).uid) ?? '');
      if (timers?.terminateAt !== undefined) {
        if (now >= timers.terminateAt) {
          this.store.delete(PODS, namespace, str(meta(pod).name) ?? '');
          this.timers.delete(str(meta(pod).uid) ?? '');
        } else moving = true;
      }
    }
    const active = pods.filter(
      (p) => this.timers.get(str(meta(p).uid) ?? '')?.terminateAt === undefined && this.store.get(PODS, namespace, str(meta(p).name) ?? ''),
    );
    const want = specReplicas(rs);
    for (let i = active.length; i < want; i++) {
      active.push(this.createPod(rs));
      moving = true;
    }
    if (active.length > want) {
      const byReadiness = [...active].sort((a, b) => Number(this.isReady(a)) - Number(this.isReady(b)));
      for (const pod of byReadiness.slice(0, active.length - want)) {
        this.terminate(pod);
        active.splice(active.indexOf(pod), 1);
        moving = true;
      }
    }
    for (const pod of active) moving = this.advancePod(pod, now) || moving;
    const current = active.map((p) => this.store.get(PODS, namespace, str(meta(p).name) ?? '') ?? p);
    const ready = current.filter((p) => this.isReady(p)).length;
    const status: JsonObject = {
      replicas: current.length,
      fullyLabeledReplicas: current.length,
      readyReplicas: ready,
      availableReplicas: ready,
      observedGeneration: num(meta(rs).generation) ?? 1,
    };
    if (ready === 0) delete status.readyReplicas;
    if (ready === 0) delete status.availableReplicas;
    const latest = this.store.get(REPLICA_SETS, namespace, str(meta(rs).name) ?? '');
    if (latest && !deepEqual(latest.status, status)) this.store.update(REPLICA_SETS, { ...latest, status }, 'status');
    return moving;
  }
  private createPod(rs: KubeObject): KubeObject {
    return this.createPodFor(rs, 'ReplicaSet', obj(obj(rs.spec).template), `${str(meta(rs).name)}-${randomSuffix()}`, {});
  }
  /** A pod of `owner` from `template` (the StatefulSet and DaemonSet controllers name theirs and add their labels). */
  createPodFor(owner: KubeObject, kind: string, template: JsonObject, name: string, labels: Record<string, string>, nodeName = 'sandbox-node'): KubeObject {
    const spec = clone(obj(template.spec));
    spec.nodeName = nodeName;
    const pod = this.store.create(PODS, {
      metadata: {
        name,
        namespace: meta(owner).namespace ?? '',
        labels: { ...stringMap(obj(template.metadata).labels), ...labels },
        annotations: stringMap(obj(template.metadata).annotations),
        ownerReferences: [{ ...ownerReference(owner, kind) }],
      },
      spec,
      status: { phase: 'Pending', startTime: this.clock.timestamp() },
    });
    this.timers.set(str(meta(pod).uid) ?? '', { createdAt: this.clock.now() });
    return pod;
  }
  /**
   * Removes the pods whose termination time has come; returns the owner's pods that are not terminating
   * (each advanced: ready, crashing or still starting) and whether any pod is still in motion.
   */
  livePods(namespace: string, ownerUid: string | undefined): { pods: KubeObject[]; moving: boolean } {
    const now = this.clock.now();
    let moving = false;
    const live: KubeObject[] = [];
    for (const pod of this.store.listOwned(PODS, namespace, ownerUid)) {
      const terminateAt = this.timers.get(str(meta(pod).uid) ?? '')?.terminateAt;
      if (terminateAt === undefined) {
        moving = this.advancePod(pod, now) || moving;
        live.push(this.store.get(PODS, namespace, str(meta(pod).name) ?? '') ?? pod);
      } else if (now >= terminateAt) {
        this.store.delete(PODS, namespace, str(meta(pod).name) ?? '');
        this.timers.delete(str(meta(pod).uid) ?? '');
      } else moving = true;
    }
    return { pods: live, moving };
  }
  /**
   * When `pod` next changes by itself (Ready, a crash-loop restart, the end of its termination), on the
   * controller's clock; Infinity when it does not, 0 when unknown. The deployment controller skips a deployment
   * whose objects are as its last pass left them until the first of these moments.
   */
  nextChangeAt(pod: KubeObject): number {
    const timers = this.timers.get(str(meta(pod).uid) ?? '');
    if (!timers) return 0;
    if (timers.terminateAt !== undefined) return timers.terminateAt;
    const containers = containersOf(pod);
    const elapsed = this.clock.now() - timers.createdAt;
    if (containers.some((c) => this.badImage(str(c.image) ?? '') === 'CrashLoopBackOff')) {
      return timers.createdAt + (Math.floor(elapsed / this.crashPeriodMs) + 1) * this.crashPeriodMs;
    }
    if (this.podsHeld || elapsed >= this.options.podReadyMs) return Number.POSITIVE_INFINITY;
    return timers.createdAt + this.options.podReadyMs;
  }
  terminate(pod: KubeObject): void {
    const timers = this.timers.get(str(meta(pod).uid) ?? '') ?? { createdAt: this.clock.now() };
    timers.terminateAt = this.clock.now() + this.options.podTerminateMs;
    this.timers.set(str(meta(pod).uid) ?? '', timers);
  }
  isReady(pod: KubeObject): boolean {
    const conditions = Array.isArray(obj(pod.status).conditions) ? (obj(pod.status).conditions as Json[]) : [];
    return conditions.filter(isObject).some((c) => c.type === 'Ready' && c.status === 'True');
  }
  private containerState(pod: KubeObject, container: JsonObject, elapsed: number): { ready: boolean; status: JsonObject } {
    const image = str(container.image) ?? '';
    const name = str(container.name) ?? '';
    const bad = this.badImage(image);
    const base = { name, image, imageID: '', started: false, ready: false, restartCount: 0 };
    if (bad === 'ImagePullBackOff') {
      return { ready: false, status: { ...base, state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` } } } };
    }
    if (bad === 'CrashLoopBackOff') {
      const restarts = Math.floor(elapsed / this.crashPeriodMs);
      return {
        ready: false,
        status: {
          ...base,
          restartCount: restarts,
          state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off 10s restarting failed container=${name} pod=${str(meta(pod).name)}` } },
          lastState: { terminated: { exitCode: 1, reason: 'Error' } },
        },
      };
    }
    if (elapsed < this.options.podReadyMs || this.podsHeld) return { ready: false, status: { ...base, state: { waiting: { reason: 'ContainerCreating' } } } };
    return { ready: true, status: { ...base, started: true, ready: true, state: { running: { startedAt: this.clock.timestamp() } } } };
  }
  /** Returns true while the pod may still change by itself. */
  private advancePod(pod: KubeObject, now: number): boolean {
    const timers = this.timers.get(str(meta(pod).uid) ?? '');
    const elapsed = timers ? now - timers.createdAt : Number.MAX_SAFE_INTEGER;
    const containers = containersOf(pod);
    const states = containers.map((c) => this.containerState(pod, c, elapsed));
    const ready = states.every((s) => s.ready);
    const crashing = states.some((s) => obj(obj(s.status.state).waiting).reason === 'CrashLoopBackOff');
    const condition = (type: string, ok: boolean): JsonObject => ({ type, status: ok ? 'True' : 'False' });
    const status: JsonObject = {
      ...obj(pod.status),
      phase: ready || crashing ? 'Running' : 'Pending',
      conditions: [condition('Initialized', true), condition('Ready', ready), condition('ContainersReady', ready), condition('PodScheduled', true)],
      containerStatuses: states.map((s) => s.status),
    };
    if (!deepEqual(status, pod.status)) this.store.update(PODS, { ...pod, status }, 'status');
    const bad = containers.some((c) => this.badImage(str(c.image) ?? '') !== undefined);
    return !ready && !bad;
  }
}
