import type { BadImageReason, DeploymentController } from './controller.js';
import { requireResource } from './resources.js';
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
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  paused?: boolean;
  progressDeadlineSeconds?: number;
  revisionHistoryLimit?: number;
  maxSurge?: number | string;
  maxUnavailable?: number | string;
}

export interface FixtureNamespace {
  name: string;
  deployments?: FixtureDeployment[];
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

export function seedFixture(store: ObjectStore, controller: DeploymentController, fixture: Fixture): void {
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
