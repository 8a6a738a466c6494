import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import { type BadImageReason, type ControllerOptions, DeploymentController } from './controller.js';
import type { FaultSpec } from './faults.js';
import { type Fixture, seedFixture } from './fixture.js';
import { RevisionController } from './revision-controller.js';
import { type RequestRecord, startKubeServer } from './server.js';
import { ObjectStore } from './store.js';

export interface KubeEmulatorOptions {
  port?: number;
  host?: string;
  fixture?: Fixture;
  controller?: Partial<ControllerOptions>;
  bookmarkIntervalMs?: number;
  /** Events kept for watch resumption; older resourceVersions get 410 Expired. */
  watchHistory?: number;
}

export interface KubeEmulator {
  url: string;
  /** A kubeconfig for this server (plain HTTP, so it says insecure-skip-tls-verify: true). */
  kubeconfig: string;
  token: string;
  requests: RequestRecord[];
  /** TCP connections clients opened: in all, open now, and the most open at once. */
  connections: { total: number; open: number; peak: number };
  store: ObjectStore;
  controller: DeploymentController;
  seed(fixture: Fixture): void;
  fault(spec: FaultSpec): void;
  clearFaults(): void;
  markBadImage(image: string, reason: BadImageReason): void;
  /** Puts a local URL behind a Service, for the API server's service proxy. */
  registerServiceProxy(namespace: string, service: string, targetUrl: string, port?: number): void;
  close(): Promise<void>;
}

export const DEFAULT_CONTROLLER_OPTIONS: ControllerOptions = { podReadyMs: 150, podTerminateMs: 50, progressDeadlineMsPerSecond: 10, tickMs: 20 };

export async function startKubeEmulator(options: KubeEmulatorOptions = {}): Promise<KubeEmulator> {
  const store = new ObjectStore(options.watchHistory);
  const controllerOptions = { ...DEFAULT_CONTROLLER_OPTIONS, ...options.controller };
  const controller = new DeploymentController(store, controllerOptions);
  const revisions = new RevisionController(store, controller.pods, controllerOptions, (ms) => controller.advanceClock(ms));
  const controllers = { deployments: controller, revisions };
  const server = await startKubeServer(store, {
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.host ? { host: options.host } : {}),
    ...(options.bookmarkIntervalMs ? { bookmarkIntervalMs: options.bookmarkIntervalMs } : {}),
  });
  const token = `sandbox-${randomBytes(16).toString('hex')}`;
  const kubeconfig = stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'keiko-sandbox', cluster: { server: server.url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'keiko-sandbox', user: { token } }],
    contexts: [{ name: 'keiko-sandbox', context: { cluster: 'keiko-sandbox', user: 'keiko-sandbox', namespace: 'default' } }],
    'current-context': 'keiko-sandbox',
  });
  if (options.fixture) seedFixture(store, controllers, options.fixture);
  controller.start();
  revisions.start();
  return {
    url: server.url,
    kubeconfig,
    token,
    requests: server.requests,
    connections: server.connections,
    store,
    controller,
    seed: (fixture) => seedFixture(store, controllers, fixture),
    fault: (spec) => server.faults.add(spec),
    clearFaults: () => server.faults.clear(),
    markBadImage: (image, reason) => controller.markBadImage(image, reason),
    registerServiceProxy(namespace, service, targetUrl, port) {
      server.serviceProxies.set(`${namespace}/${service}:${port ?? ''}`, targetUrl);
    },
    async close() {
      controller.stop();
      revisions.stop();
      await server.close();
    },
  };
}

export type { FaultSpec } from './faults.js';
export { type Fixture, runbookFixture } from './fixture.js';
export type { RequestRecord } from './server.js';
