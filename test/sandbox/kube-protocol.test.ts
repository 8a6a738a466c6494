import { type ApiException, AppsV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, Watch } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeEmulator, runbookFixture, startKubeEmulator } from '../../src/sandbox/kube/index.js';

const NS = 'keiko-production';
let emulator: KubeEmulator;
let apps: AppsV1Api;
let core: CoreV1Api;
let kc: KubeConfig;

beforeAll(async () => {
  emulator = await startKubeEmulator({ fixture: runbookFixture(), bookmarkIntervalMs: 100, watchHistory: 300 });
  kc = new KubeConfig();
  kc.loadFromString(emulator.kubeconfig);
  apps = kc.makeApiClient(AppsV1Api);
  core = kc.makeApiClient(CoreV1Api);
});
afterAll(() => emulator.close());

async function failure(promise: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown>; headers: Record<string, string> }> {
  try {
    await promise;
  } catch (error) {
    const e = error as ApiException<string>;
    return { code: e.code, body: JSON.parse(e.body) as Record<string, unknown>, headers: e.headers };
  }
  throw new Error('expected the request to fail');
}

async function rawWatch(path: string): Promise<{ type: string; object: Record<string, unknown> }[]> {
  const response = await fetch(`${emulator.url}${path}`);
  const text = await response.text();
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { type: string; object: Record<string, unknown> });
}

describe('protocol, through client-node', () => {
  it('every object carries apiVersion, kind, uid, resourceVersion, generation and creationTimestamp', async () => {
    const d = await apps.readNamespacedDeployment({ name: 'chat-service', namespace: NS });
    expect(d.apiVersion).toBe('apps/v1');
    expect(d.kind).toBe('Deployment');
    expect(d.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(d.metadata?.resourceVersion)).toBeGreaterThan(0);
    expect(d.metadata?.generation).toBe(3);
    expect(d.metadata?.creationTimestamp).toBeInstanceOf(Date);
  });

  it('a write with a stale resourceVersion gets 409 Conflict with the real message', async () => {
    const d = await apps.readNamespacedDeployment({ name: 'auth-service', namespace: NS });
    d.metadata!.labels = { ...d.metadata!.labels, tier: 'backend' };
    await apps.replaceNamespacedDeployment({ name: 'auth-service', namespace: NS, body: d });
    const stale = await failure(apps.replaceNamespacedDeployment({ name: 'auth-service', namespace: NS, body: d }));
    expect(stale.code).toBe(409);
    expect(stale.body).toMatchObject({
      kind: 'Status',
      reason: 'Conflict',
      code: 409,
      message:
        'Operation cannot be fulfilled on deployments.apps "auth-service": the object has been modified; please apply your changes to the latest version and try again',
    });
  });

  it('answers NotFound and an unknown patch type as the API server does', async () => {
    const missing = await failure(apps.readNamespacedDeployment({ name: 'nope', namespace: NS }));
    expect(missing.body).toMatchObject({ reason: 'NotFound', code: 404, message: 'deployments.apps "nope" not found' });
    const response = await fetch(`${emulator.url}/apis/apps/v1/namespaces/${NS}/deployments/chat-service`, {
      method: 'PATCH',
      headers: { 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(response.status).toBe(415);
  });

  it('supports every label-selector form, field selectors and limit/continue', async () => {
    const names = async (labelSelector?: string, fieldSelector?: string): Promise<string[]> =>
      (await apps.listNamespacedDeployment({ namespace: NS, ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}) })).items
        .map((d) => d.metadata!.name!)
        .sort();
    expect(await names('app=chat-service')).toEqual(['chat-service']);
    expect(await names('app==chat-service')).toEqual(['chat-service']);
    expect(await names('app in (chat-service, gateway-bff)')).toEqual(['chat-service', 'gateway-bff']);
    expect((await names('app notin (chat-service)')).length).toBe(4);
    expect((await names('app!=chat-service')).length).toBe(4);
    expect((await names('app')).length).toBe(5);
    expect(await names('!app')).toEqual([]);
    expect(await names(undefined, 'metadata.name=search-service')).toEqual(['search-service']);
    const page1 = await apps.listNamespacedDeployment({ namespace: NS, limit: 2 });
    expect(page1.items).toHaveLength(2);
    const page2 = await apps.listNamespacedDeployment({ namespace: NS, limit: 10, _continue: page1.metadata!._continue! });
    expect(page2.items).toHaveLength(3);
  });

  it('applies JSON, merge and strategic merge patches, with $patch, $setElementOrder and $retainKeys', async () => {
    const opts = (strategy: PatchStrategy) => setHeaderOptions('Content-Type', strategy);
    await apps.patchNamespacedDeployment(
      { name: 'document-service', namespace: NS, body: [{ op: 'add', path: '/metadata/labels/team', value: 'docs' }] },
      opts(PatchStrategy.JsonPatch),
    );
    await apps.patchNamespacedDeployment(
      { name: 'document-service', namespace: NS, body: { metadata: { labels: { owner: 'oncall' } } } },
      opts(PatchStrategy.MergePatch),
    );
    await apps.patchNamespacedDeployment(
      {
        name: 'document-service',
        namespace: NS,
        body: {
          spec: {
            template: {
              spec: {
                containers: [
                  { name: 'sidecar', image: 'envoy:1' },
                  { name: 'document-service', env: [{ name: 'A', value: '1' }] },
                ],
                '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'document-service' }],
              },
            },
          },
        },
      },
      opts(PatchStrategy.StrategicMergePatch),
    );
    let d = await apps.readNamespacedDeployment({ name: 'document-service', namespace: NS });
    expect(d.metadata?.labels).toMatchObject({ team: 'docs', owner: 'oncall' });
    expect(d.spec?.template.spec?.containers.map((c) => c.name)).toEqual(['sidecar', 'document-service']);
    expect(d.spec?.template.spec?.containers[1]?.env).toEqual([{ name: 'A', value: '1' }]);
    await apps.patchNamespacedDeployment(
      { name: 'document-service', namespace: NS, body: { spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } } } },
      opts(PatchStrategy.StrategicMergePatch),
    );
    await apps.patchNamespacedDeployment(
      { name: 'document-service', namespace: NS, body: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } } },
      opts(PatchStrategy.StrategicMergePatch),
    );
    d = await apps.readNamespacedDeployment({ name: 'document-service', namespace: NS });
    expect(d.spec?.template.spec?.containers.map((c) => c.name)).toEqual(['document-service']);
    expect(d.spec?.strategy).toEqual({ type: 'Recreate' });
  });

  it('dryRun=All validates and answers without writing', async () => {
    const before = emulator.requests.length;
    const rv = (await apps.readNamespacedDeployment({ name: 'gateway-bff', namespace: NS })).metadata?.resourceVersion;
    const result = await apps.patchNamespacedDeployment(
      { name: 'gateway-bff', namespace: NS, dryRun: 'All', body: { metadata: { labels: { dry: 'yes' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(result.metadata?.labels?.dry).toBe('yes');
    const after = await apps.readNamespacedDeployment({ name: 'gateway-bff', namespace: NS });
    expect(after.metadata?.resourceVersion).toBe(rv);
    expect(after.metadata?.labels?.dry).toBeUndefined();
    expect(emulator.requests.slice(before).find((r) => r.verb === 'patch')?.query.dryRun).toBe('All');
  });

  it('server-side apply needs a field manager, creates, and conflicts unless forced', async () => {
    const cm = (value: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: reroute\n  namespace: ${NS}\ndata:\n  mode: ${value}\n`;
    const url = `${emulator.url}/api/v1/namespaces/${NS}/configmaps/reroute`;
    const apply = (manager: string | undefined, value: string, force = false) =>
      fetch(`${url}?${manager ? `fieldManager=${manager}` : ''}${force ? '&force=true' : ''}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/apply-patch+yaml' },
        body: cm(value),
      });
    expect((await apply(undefined, 'a')).status).toBe(422);
    expect((await apply('first', 'a')).status).toBe(201);
    const conflict = await apply('second', 'b');
    expect(conflict.status).toBe(409);
    expect(((await conflict.json()) as { message: string }).message).toBe('Apply failed with 1 conflict: conflict with "first" using v1: .data.mode');
    expect((await apply('second', 'b', true)).status).toBe(200);
    expect((await core.readNamespacedConfigMap({ name: 'reroute', namespace: NS })).data).toEqual({ mode: 'b' });
  });
});

describe('watch', () => {
  it('replays events after a resourceVersion, sends ADDED first for 0, and closes on timeoutSeconds', async () => {
    const rv = (await apps.listNamespacedDeployment({ namespace: NS })).metadata!.resourceVersion!;
    await apps.patchNamespacedDeployment(
      { name: 'chat-service', namespace: NS, body: { metadata: { labels: { watched: 'yes' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const replay = await rawWatch(
      `/apis/apps/v1/namespaces/${NS}/deployments?watch=1&resourceVersion=${rv}&fieldSelector=metadata.name%3Dchat-service&timeoutSeconds=1`,
    );
    expect(replay[0]).toMatchObject({ type: 'MODIFIED', object: { metadata: { name: 'chat-service', labels: { watched: 'yes' } } } });
    const initial = await rawWatch(`/apis/apps/v1/namespaces/${NS}/deployments?watch=1&resourceVersion=0&timeoutSeconds=1`);
    expect(initial.slice(0, 5).map((e) => e.type)).toEqual(['ADDED', 'ADDED', 'ADDED', 'ADDED', 'ADDED']);
  });

  it('sends 410 Expired for a too-old resourceVersion, bookmarks on request, 400 for sendInitialEvents', async () => {
    const expired = await rawWatch(`/apis/apps/v1/namespaces/${NS}/deployments?watch=1&resourceVersion=2&timeoutSeconds=1`);
    expect(expired[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
    const rv = emulator.store.currentRevision;
    const bookmarks = await rawWatch(`/apis/apps/v1/namespaces/${NS}/deployments?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true&timeoutSeconds=1`);
    expect(bookmarks.some((e) => e.type === 'BOOKMARK')).toBe(true);
    const initial = await fetch(`${emulator.url}/apis/apps/v1/namespaces/${NS}/deployments?watch=1&sendInitialEvents=true`);
    expect(initial.status).toBe(400);
  });

  it('client-node Watch sees a dropped connection end after N events', async () => {
    emulator.fault({ verb: 'watch', dropWatchAfterEvents: 2 });
    const events: string[] = [];
    const ended = await new Promise<unknown>((resolve) => {
      void new Watch(kc).watch(`/apis/apps/v1/namespaces/${NS}/deployments`, { resourceVersion: '0' }, (type) => events.push(type), resolve);
    });
    expect(events).toEqual(['ADDED', 'ADDED']);
    expect(ended).toBeDefined();
  });
});

describe('fault injection, as client-node sees it', () => {
  it('429 with Retry-After, 500, 503, a one-off 409 on the next write, and delays', async () => {
    emulator.fault({ verb: 'get', path: '/deployments/chat-service', status: 429, retryAfterSeconds: 2 });
    const limited = await failure(apps.readNamespacedDeployment({ name: 'chat-service', namespace: NS }));
    expect(limited.code).toBe(429);
    expect(limited.headers['retry-after']).toBe('2');
    emulator.fault({ verb: 'list', status: 500 });
    expect((await failure(apps.listNamespacedDeployment({ namespace: NS }))).code).toBe(500);
    emulator.fault({ verb: 'get', status: 503 });
    expect((await failure(apps.readNamespacedDeployment({ name: 'chat-service', namespace: NS }))).code).toBe(503);
    emulator.fault({ verb: 'write', status: 409 });
    const conflict = await failure(
      apps.patchNamespacedDeployment(
        { name: 'chat-service', namespace: NS, body: { metadata: { labels: { x: 'y' } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    expect(conflict.body).toMatchObject({ reason: 'Conflict', code: 409 });
    await apps.patchNamespacedDeployment(
      { name: 'chat-service', namespace: NS, body: { metadata: { labels: { x: 'y' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    emulator.fault({ verb: 'get', delayMs: 300 });
    const started = Date.now();
    await apps.readNamespacedDeployment({ name: 'chat-service', namespace: NS });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });
});

describe('scale', () => {
  it('serves 200 deployments and 50 concurrent watches that all see a change', async () => {
    const big = await startKubeEmulator({
      fixture: {
        namespaces: [{ name: 'fleet', deployments: Array.from({ length: 200 }, (_, i) => ({ name: `svc-${i}`, releases: ['v1', 'v2'], replicas: 1 })) }],
      },
    });
    try {
      const kc2 = new KubeConfig();
      kc2.loadFromString(big.kubeconfig);
      const api = kc2.makeApiClient(AppsV1Api);
      expect((await api.listNamespacedDeployment({ namespace: 'fleet' })).items).toHaveLength(200);
      const rv = big.store.currentRevision;
      const watches = Array.from(
        { length: 50 },
        (_, i) =>
          new Promise<string>((resolve, reject) => {
            const w = new Watch(kc2);
            void w
              .watch(
                `/apis/apps/v1/namespaces/fleet/deployments`,
                { resourceVersion: String(rv), fieldSelector: `metadata.name=svc-${i}` },
                (type, object: { metadata: { name: string } }) => {
                  resolve(`${type} ${object.metadata.name}`);
                },
                (err) => (err ? reject(err as Error) : undefined),
              )
              .then((controller) => setTimeout(() => controller.abort(), 10_000));
          }),
      );
      await new Promise((r) => setTimeout(r, 200));
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          api.patchNamespacedDeployment(
            { name: `svc-${i}`, namespace: 'fleet', body: { metadata: { labels: { touched: 'yes' } } } },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          ),
        ),
      );
      const seen = await Promise.all(watches);
      expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => `MODIFIED svc-${i}`));
    } finally {
      await big.close();
    }
  });
});

describe('service proxy', () => {
  it('forwards /services/<name>:<port>/proxy/<path> to the registered local URL', async () => {
    const http = await import('node:http');
    const server = http.createServer((req, res) => res.end(JSON.stringify({ path: req.url })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    emulator.registerServiceProxy('keiko-system', 'prometheus', `http://127.0.0.1:${port}`, 9090);
    const response = await fetch(`${emulator.url}/api/v1/namespaces/keiko-system/services/prometheus:9090/proxy/api/v1/alerts?x=1`);
    expect(await response.json()).toEqual({ path: '/api/v1/alerts?x=1' });
    server.close();
  });
});
