import type { BadImageReason, DeploymentController } from './controller.js';
import { requireResource } from './resources.js';
import type { RevisionController } from './revision-controller.js';
import type { ObjectStore } from './store.js';
import { type JsonObject, meta } from './types.js';

/** A namespace of deployments described by their release history (oldest first; the last one is live). */
export interface FixtureDeployment {
  name: string;
  releases: string[];
  replicas?: number;
  /** Image repository; default `registry.keiko.io/<name>`. */
  image?: string;
  container?: string;
  /** Extra containers (sidecars) that keep their image across releases. */
  sidecars?: { name: string; image: string }[];
  env?: Record<string, string>;
  /** ConfigMaps and Secrets the main container reads with envFrom (the same names in every release). */
  envFrom?: { configMaps?: string[]; secrets?: string[] };
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  paused?: boolean;
  progressDeadlineSeconds?: number;
  revisionHistoryLimit?: number;
  maxSurge?: number | string;
  maxUnavailable?: number | string;
}

/** A StatefulSet or DaemonSet by its release history (oldest first; the last one is live). */
export interface FixtureWorkload {
  name: string;
  releases: string[];
  /** StatefulSets only (a DaemonSet runs one pod on each sandbox node). */
  replicas?: number;
  /** StatefulSets only: `updateStrategy.rollingUpdate.partition`. */
  partition?: number;
  image?: string;
}

export interface FixtureNamespace {
  name: string;
  deployments?: FixtureDeployment[];
  statefulSets?: FixtureWorkload[];
  daemonSets?: FixtureWorkload[];
  services?: { name: string; port: number }[];
}

export interface Fixture {
  namespaces: FixtureNamespace[];
  /** Images whose pods never become Ready. */
  badImages?: Record<string, BadImageReason>;
}

const NAMESPACES = requireResource('', 'v1', 'namespaces');
const DEPLOYMENTS = requireResource('apps', 'v1', 'deployments');
const SERVICES = requireResource('', 'v1', 'services');

export function imageOf(deployment: FixtureDeployment, release: string): string {
  return `${deployment.image ?? `registry.keiko.io/${deployment.name}`}:${release}`;
}

function deploymentObject(namespace: string, d: FixtureDeployment, release: string): JsonObject {
  const labels = { app: d.name };
  const containers = [
    {
      name: d.container ?? d.name,
      image: imageOf(d, release),
      ports: [{ containerPort: 8080, protocol: 'TCP' }],
      ...(d.env ? { env: Object.entries(d.env).map(([name, value]) => ({ name, value })) } : {}),
      ...(d.envFrom
        ? {
            envFrom: [
              ...(d.envFrom.configMaps ?? []).map((name) => ({ configMapRef: { name } })),
              ...(d.envFrom.secrets ?? []).map((name) => ({ secretRef: { name } })),
            ],
          }
        : {}),
      resources: {},
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      imagePullPolicy: 'IfNotPresent',
    },
    ...(d.sidecars ?? []).map((s) => ({
      ...s,
      resources: {},
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      imagePullPolicy: 'IfNotPresent',
    })),
  ];
  return {
    metadata: {
      name: d.name,
      namespace,
      labels: { ...labels, ...(d.labels ?? {}) },
      annotations: { ...(d.annotations ?? {}), 'kubernetes.io/change-cause': `deploy ${d.name} ${release}` },
    },
    spec: {
      replicas: d.replicas ?? 2,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers,
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 30,
          dnsPolicy: 'ClusterFirst',
          schedulerName: 'default-scheduler',
          securityContext: {},
        },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: d.maxSurge ?? '25%', maxUnavailable: d.maxUnavailable ?? '25%' } },
      revisionHistoryLimit: d.revisionHistoryLimit ?? 10,
      progressDeadlineSeconds: d.progressDeadlineSeconds ?? 600,
      ...(d.paused ? { paused: true } : {}),
    },
  };
}

/** Seeds the store by rolling each deployment through its releases with the controller itself. */
/** The deployment the fixture just created (seeding runs in one synchronous pass, so it is there). */
function seeded(store: ObjectStore, namespace: string, name: string): JsonObject {
  const found = store.get(DEPLOYMENTS, namespace, name);
  if (!found) throw new Error(`fixture: deployment ${namespace}/${name} vanished while seeding`);
  return found;
}

export interface FixtureControllers {
  deployments: DeploymentController;
  revisions: RevisionController;
}

export function seedFixture(store: ObjectStore, controllers: FixtureControllers, fixture: Fixture): void {
  const controller = controllers.deployments;
  for (const [image, reason] of Object.entries(fixture.badImages ?? {})) controller.markBadImage(image, reason);
  for (const ns of fixture.namespaces) {
    if (!store.get(NAMESPACES, '', ns.name))
      store.create(NAMESPACES, {
        metadata: { name: ns.name, labels: { 'kubernetes.io/metadata.name': ns.name } },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      });
    for (const service of ns.services ?? []) {
      store.create(SERVICES, {
        metadata: { name: service.name, namespace: ns.name },
        spec: { selector: { app: service.name }, ports: [{ port: service.port, protocol: 'TCP', targetPort: service.port }], type: 'ClusterIP' },
      });
    }
    for (const d of ns.deployments ?? []) {
      const [first, ...later] = d.releases;
      if (!first) continue;
      const initial = deploymentObject(ns.name, { ...d, paused: false }, first);
      store.create(DEPLOYMENTS, initial);
      controller.settle(ns.name, d.name);
      for (const release of later) {
        const current = seeded(store, ns.name, d.name);
        const next = deploymentObject(ns.name, { ...d, paused: false }, release);
        store.update(DEPLOYMENTS, {
          ...current,
          metadata: { ...meta(current), annotations: { ...(meta(current).annotations as JsonObject), ...(meta(next).annotations as JsonObject) } },
          spec: next.spec ?? {},
        });
        controller.settle(ns.name, d.name);
      }
      if (d.paused) {
        const current = seeded(store, ns.name, d.name);
        store.update(DEPLOYMENTS, { ...current, spec: { ...(current.spec as JsonObject), paused: true } });
        controller.settle(ns.name, d.name);
      }
    }
    for (const w of ns.statefulSets ?? []) seedWorkload(store, controllers.revisions, ns.name, 'StatefulSet', w);
    for (const w of ns.daemonSets ?? []) seedWorkload(store, controllers.revisions, ns.name, 'DaemonSet', w);
  }
}

const WORKLOADS = { StatefulSet: requireResource('apps', 'v1', 'statefulsets'), DaemonSet: requireResource('apps', 'v1', 'daemonsets') };

function workloadObject(namespace: string, kind: 'StatefulSet' | 'DaemonSet', w: FixtureWorkload, release: string): JsonObject {
  const labels = { app: w.name };
  const template = {
    metadata: { labels },
    spec: {
      containers: [
        {
          name: w.name,
          image: `${w.image ?? `registry.keiko.io/${w.name}`}:${release}`,
          resources: {},
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'IfNotPresent',
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      securityContext: {},
    },
  };
  const spec: JsonObject =
    kind === 'StatefulSet'
      ? {
          replicas: w.replicas ?? 2,
          serviceName: w.name,
          podManagementPolicy: 'OrderedReady',
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: w.partition ?? 0 } },
          revisionHistoryLimit: 10,
          persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        }
      : { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, revisionHistoryLimit: 10 };
  return {
    metadata: { name: w.name, namespace, labels, annotations: { 'kubernetes.io/change-cause': `deploy ${w.name} ${release}` } },
    spec: { ...spec, selector: { matchLabels: labels }, template },
  };
}

function seedWorkload(store: ObjectStore, controller: RevisionController, namespace: string, kind: 'StatefulSet' | 'DaemonSet', w: FixtureWorkload): void {
  const type = WORKLOADS[kind];
  for (const [index, release] of w.releases.entries()) {
    const next = workloadObject(namespace, kind, w, release);
    const current = store.get(type, namespace, w.name);
    if (index === 0 || !current) store.create(type, next);
    else store.update(type, { ...current, metadata: { ...meta(current), annotations: meta(next).annotations ?? {} }, spec: next.spec ?? {} });
    controller.settle(kind, namespace, w.name);
  }
}

/** The runbook's platform: keiko-production with the five services, three releases each. */
export function runbookFixture(options: { releases?: string[]; replicas?: number } = {}): Fixture {
  const releases = options.releases ?? ['v1.1.0', 'v1.2.0', 'v1.3.0'];
  const services = ['chat-service', 'search-service', 'document-service', 'auth-service', 'gateway-bff'];
  return {
    namespaces: [
      {
        name: 'keiko-production',
        deployments: services.map((name) => ({ name, releases, replicas: options.replicas ?? 2 })),
        services: services.map((name) => ({ name, port: 8080 })),
      },
      { name: 'keiko-system', services: [{ name: 'prometheus', port: 9090 }] },
    ],
  };
}
