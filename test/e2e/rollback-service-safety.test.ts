import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ROLLED_BACK_FROM } from '../../src/kube/rollback-record.js';
import { type FaultProxy, startFaultProxy } from '../../src/sandbox/fault-proxy.js';
import { type KubeEmulator, runbookFixture, startKubeEmulator } from '../../src/sandbox/kube/index.js';
import { type KubeObject, meta, obj, stringMap } from '../../src/sandbox/kube/types.js';
import { DEPLOYMENTS, LEASES, liveImage, NS, REPLICA_SETS, writes } from '../helpers/kube-fixtures.js';
import { kubectlFor } from '../helpers/kubectl.js';
import { hasStackTrace, ROOT, runAction } from '../helpers/run-action.js';

let emulators: KubeEmulator[] = [];
let proxies: FaultProxy[] = [];
async function emulator(): Promise<KubeEmulator> {
  const e = await startKubeEmulator({ fixture: runbookFixture() });
  emulators.push(e);
  return e;
}
afterEach(async () => {
  await Promise.all([...emulators, ...proxies].map((e) => e.close()));
  emulators = [];
  proxies = [];
});

const rollback = (e: KubeEmulator, inputs: Record<string, string>, env: Record<string, string> = {}, options: { onStdout?: (soFar: string) => void } = {}) =>
  runAction('rollback-service', { environment: 'production', kubeconfig: e.kubeconfig, ...inputs }, { env, ...options });
const statuses = (text: string | undefined): string[] => (JSON.parse(text ?? '[]') as { status: string }[]).map((r) => r.status);

describe('no racing rollbacks (Lease)', () => {
  it('two concurrent runs: one writes, the other waits and then has nothing to do', async () => {
    const e = await emulator();
    // the first run's rollout watch is held until the second run is seen waiting for the Lease: the
    // overlap is made by events, never by how fast either process starts
    const proxy = await startFaultProxy(e.url);
    proxies.push(proxy);
    proxy.add({ fault: { kind: 'hold' }, method: 'GET', path: 'watch=' });
    const first = rollback(
      { ...e, kubeconfig: e.kubeconfig.replace(e.url, proxy.url) } as KubeEmulator,
      { services: 'chat-service' },
      { GITHUB_RUN_ID: '1001' },
    );
    await proxy.held();
    const second = rollback(
      e,
      { services: 'chat-service' },
      { GITHUB_RUN_ID: '1002' },
      {
        onStdout: (soFar) => {
          if (soFar.includes('waiting for lease keiko-rollback-chat-service, held by keiko/platform/1001/1/rollback since')) proxy.release();
        },
      },
    );
    const [a, b] = await Promise.all([first, second]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(statuses(a.outputs.result)).toEqual(['rolled-back']);
    expect(statuses(b.outputs.result)).toEqual(['unchanged']);
    expect(writes(e).filter((w) => w.resource === 'deployments')).toHaveLength(1);
    expect(liveImage(e, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.2.0');
    expect(e.store.list(LEASES, NS)).toEqual([]);
  });

  it('a "previous" rollback planned while another run rolls back never rolls that rollback back', async () => {
    const e = await emulator();
    const now = new Date().toISOString();
    const other = 'keiko/platform/55/1/rollback';
    e.store.create(LEASES, {
      metadata: { name: 'keiko-rollback-chat-service', namespace: NS },
      spec: { holderIdentity: other, leaseDurationSeconds: 60, acquireTime: now, renewTime: now },
    });
    let otherRun: ReturnType<typeof rollback> | undefined;
    // the other run (the Lease's holder) writes its rollback once this one has planned and waits for the Lease
    const run = await rollback(
      e,
      { services: 'chat-service' },
      {},
      {
        onStdout: (soFar) => {
          if (!otherRun && soFar.includes(`waiting for lease keiko-rollback-chat-service, held by ${other}`))
            otherRun = rollback(e, { services: 'chat-service' }, { GITHUB_RUN_ID: '55' });
        },
      },
    );
    expect(otherRun).toBeDefined();
    const first = await otherRun;
    expect(statuses(first?.outputs.result)).toEqual(['rolled-back']);
    expect(run.code, run.stdout).toBe(0);
    expect(statuses(run.outputs.result)).toEqual(['unchanged']);
    expect(run.stdout).toContain('chat-service: unchanged');
    expect(writes(e).filter((w) => w.resource === 'deployments')).toHaveLength(1);
    expect(liveImage(e, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.2.0');
  });

  it('fails clearly, writing nothing, while another run holds the lease; takes over an expired one', async () => {
    const e = await emulator();
    const now = new Date().toISOString().replace('Z', '000Z');
    e.store.create(LEASES, {
      metadata: { name: 'keiko-rollback-chat-service', namespace: NS },
      spec: { holderIdentity: 'keiko/platform/77/1/rollback', leaseDurationSeconds: 600, acquireTime: now, renewTime: now },
    });
    const blocked = await rollback(e, { services: 'chat-service', timeout: '6s' });
    expect(blocked.code).toBe(1);
    expect(blocked.errorLines[0]).toContain('another rollback is running: lease keiko-rollback-chat-service is held by keiko/platform/77/1/rollback since');
    expect(writes(e).filter((w) => w.resource === 'deployments')).toEqual([]);

    const lease = e.store.get(LEASES, NS, 'keiko-rollback-chat-service')!;
    e.store.update(LEASES, { ...lease, spec: { ...obj(lease.spec), renewTime: '2020-01-01T00:00:00.000000Z', leaseDurationSeconds: 15 } });
    const takeover = await rollback(e, { services: 'chat-service' });
    expect(takeover.code).toBe(0);
    expect(takeover.stdout).toContain('taking over expired lease keiko-rollback-chat-service from keiko/platform/77/1/rollback');
    expect(statuses(takeover.outputs.result)).toEqual(['rolled-back']);
  });

  it.each([
    ['read from one list of the Leases', false],
    ['read one by one when the Role does not allow listing them', true],
  ])('a fleet sees the Lease another run holds (%s): that service fails naming the holder, the others roll back', async (_how, listRefused) => {
    const e = await emulator();
    const now = new Date().toISOString().replace('Z', '000Z');
    e.store.create(LEASES, {
      metadata: { name: 'keiko-rollback-chat-service', namespace: NS },
      spec: { holderIdentity: 'keiko/platform/77/1/rollback', leaseDurationSeconds: 600, acquireTime: now, renewTime: now },
    });
    if (listRefused) e.fault({ verb: 'list', path: '/leases', status: 403 });
    const run = await rollback(e, { services: 'chat-service,search-service', timeout: '6s' });
    expect(run.code).toBe(1);
    expect(statuses(run.outputs.result)).toEqual(['failed', 'rolled-back']);
    expect(run.outputs.failed).toBe('chat-service');
    expect(run.errorLines[0]).toContain('held by keiko/platform/77/1/rollback');
    const leaseReads = e.requests.filter((r) => r.resource === 'leases' && (r.verb === 'get' || r.verb === 'list')).map((r) => r.verb);
    // planning: one list, or (refused) one read per service; the held Lease is read again while waiting for it
    expect(leaseReads.slice(0, listRefused ? 3 : 1)).toEqual(listRefused ? ['list', 'get', 'get'] : ['list']);
    expect(liveImage(e, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.3.0');
    expect(liveImage(e, 'search-service')).toBe('registry.keiko.io/search-service:v1.2.0');
  });

  it('the post step releases a lease a cancelled run left behind, and only its own', async () => {
    const e = await emulator();
    const holder = 'keiko/platform/4242/1/rollback';
    const now = new Date().toISOString();
    e.store.create(LEASES, {
      metadata: { name: 'keiko-rollback-chat-service', namespace: NS },
      spec: { holderIdentity: holder, leaseDurationSeconds: 60, acquireTime: now, renewTime: now },
    });
    e.store.create(LEASES, {
      metadata: { name: 'keiko-rollback-auth-service', namespace: NS },
      spec: { holderIdentity: 'someone-else', leaseDurationSeconds: 60, acquireTime: now, renewTime: now },
    });
    const state = {
      'held-leases': JSON.stringify({
        version: 2,
        leases: [
          { namespace: NS, name: 'keiko-rollback-chat-service', holder },
          { namespace: NS, name: 'keiko-rollback-auth-service', holder },
        ],
      }),
    };
    const post = await runAction(
      'rollback-service',
      { services: 'chat-service', environment: 'production', kubeconfig: e.kubeconfig },
      { entry: 'post', state, env: { GITHUB_RUN_ID: '4242' } },
    );
    expect(post.code).toBe(0);
    expect(post.stdout).toContain('released lease keiko-rollback-chat-service left by a cancelled rollback');
    expect(e.store.get(LEASES, NS, 'keiko-rollback-chat-service')).toBeUndefined();
    expect(e.store.get(LEASES, NS, 'keiko-rollback-auth-service')).toBeDefined();
  });

  it('the post step refuses lease state of another version by name and touches nothing (never a misread)', async () => {
    const e = await emulator();
    const holder = 'keiko/platform/4243/1/rollback';
    const now = new Date().toISOString();
    e.store.create(LEASES, {
      metadata: { name: 'keiko-rollback-chat-service', namespace: NS },
      spec: { holderIdentity: holder, leaseDurationSeconds: 60, acquireTime: now, renewTime: now },
    });
    for (const saved of [JSON.stringify([{ namespace: NS, name: 'keiko-rollback-chat-service', holder }]), JSON.stringify({ version: 1, leases: [] })]) {
      const post = await runAction(
        'rollback-service',
        { services: 'chat-service', environment: 'production', kubeconfig: e.kubeconfig },
        { entry: 'post', state: { 'held-leases': saved }, env: { GITHUB_RUN_ID: '4243' } },
      );
      expect(post.code).toBe(0);
      expect(post.stdout).toMatch(
        /::warning::no leases released: the saved lease state has version (none|1); this step reads version 2; any this job held expire by themselves within 60s/,
      );
    }
    expect(e.store.get(LEASES, NS, 'keiko-rollback-chat-service')).toBeDefined();
    expect(writes(e)).toEqual([]);
  });
});

describe('faults survived', () => {
  it('429 with Retry-After, 500, 503, a 409 on the patch and a dropped watch', async () => {
    const e = await emulator();
    e.fault({ verb: 'get', path: '/deployments/chat-service', status: 429, retryAfterSeconds: 1 });
    e.fault({ verb: 'list', path: '/replicasets', status: 500 });
    e.fault({ verb: 'create', path: '/leases', status: 503 });
    e.fault({ verb: 'patch', path: '/deployments/chat-service', status: 409 });
    e.fault({ verb: 'watch', dropWatchAfterEvents: 1, times: 2 });
    const started = Date.now();
    const run = await rollback(e, { services: 'chat-service' });
    expect(run.code, run.stdout).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(statuses(run.outputs.result)).toEqual(['rolled-back']);
    expect(run.stdout).toContain('429 TooManyRequests; retry 1 in 1000ms');
    expect(run.stdout).toContain('500 InternalError; retry 1');
    expect(run.stdout).toContain('503 ServiceUnavailable; retry 1');
    expect(run.stdout).toContain('409 Conflict on the patch; re-reading and deciding again from what is live');
    expect(e.requests.filter((r) => r.verb === 'watch').length).toBeGreaterThanOrEqual(2);
    expect(liveImage(e, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.2.0');
  });
});

describe('a deployment changed between the plan and the patch', () => {
  it('is refused by the resourceVersion guard, read again and then rolled back', async () => {
    const e = await emulator();
    // the lease request is held until someone else has labelled the deployment (new resourceVersion):
    // the order is made by events, not by a delay that a slow machine could outlast
    const proxy = await startFaultProxy(e.url);
    proxies.push(proxy);
    proxy.add({ fault: { kind: 'hold' }, method: 'POST', path: '/leases' });
    const running = rollback({ ...e, kubeconfig: e.kubeconfig.replace(e.url, proxy.url) } as KubeEmulator, { services: 'chat-service' });
    await proxy.held();
    expect((await kubectlFor(e.kubeconfig)('label', 'deployment/chat-service', '-n', NS, 'touched=yes')).code).toBe(0);
    proxy.release();
    const run = await running;
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('chat-service: the deployment changed since it was read; re-reading and deciding again from what is live');
    expect(statuses(run.outputs.result)).toEqual(['rolled-back']);
    expect(e.requests.filter((r) => r.verb === 'patch' && r.contentType === 'application/json-patch+json').map((r) => r.status)).toEqual([422, 200]);
    expect(liveImage(e, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.2.0');
  });
});

/** Our record of what a rollback moved away from is the one intended difference from kubectl (it makes re-runs safe). */
const withoutRecord = (annotations: Parameters<typeof stringMap>[0]): Record<string, string> => {
  const { [ROLLED_BACK_FROM]: _record, ...rest } = stringMap(annotations);
  return rest;
};

function comparable(e: KubeEmulator, name: string): object {
  const strip = (o: KubeObject): object => {
    const m = meta(o);
    return { labels: m.labels, annotations: withoutRecord(m.annotations), generation: m.generation, spec: o.spec };
  };
  const d = e.store.get(DEPLOYMENTS, NS, name)!;
  const sets = e.store
    .list(REPLICA_SETS, NS)
    .filter((rs) => stringMap(meta(rs).labels).app === name)
    .map((rs) => ({ name: meta(rs).name, annotations: withoutRecord(meta(rs).annotations), template: obj(rs.spec).template }));
  return { deployment: strip(d), sets };
}

describe('kubectl parity', () => {
  it('leaves the same deployment and ReplicaSets as `kubectl rollout undo` from the same state', async () => {
    const ours = await emulator();
    const theirs = await emulator();
    for (const target of ['previous', 'revision:1']) {
      const run = await rollback(ours, { services: 'document-service', target });
      expect(run.code).toBe(0);
      const kubectl = kubectlFor(theirs.kubeconfig);
      const undo = await kubectl('rollout', 'undo', 'deployment/document-service', '-n', NS, ...(target === 'previous' ? [] : ['--to-revision=1']));
      expect(undo.code, undo.stderr).toBe(0);
      expect((await kubectl('rollout', 'status', 'deployment/document-service', '-n', NS, '--timeout=30s')).code).toBe(0);
      expect(comparable(ours, 'document-service')).toEqual(comparable(theirs, 'document-service'));
    }
  });
});

describe('RBAC', () => {
  it('every request of a full rollback (with a failing service) is allowed by the shipped Role', async () => {
    const role = parseYaml(fs.readFileSync(path.join(ROOT, 'deploy/rbac/keiko-rollback-role.yaml'), 'utf8')) as {
      rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    };
    const e = await emulator();
    e.markBadImage('registry.keiko.io/auth-service:v1.2.0', 'CrashLoopBackOff');
    await rollback(e, { services: 'chat-service,auth-service', timeout: '3s' });
    await rollback(e, { services: 'search-service', 'dry-run': 'true' });
    const used = new Set(e.requests.map((r) => `${r.group ?? ''}|${r.resource}|${r.verb}`));
    expect(used.size).toBeGreaterThan(5);
    for (const key of used) {
      const [group, resource, verb] = key.split('|');
      const allowed = role.rules.some(
        (rule) => rule.apiGroups.includes(group ?? '') && rule.resources.includes(resource ?? '') && rule.verbs.includes(verb ?? ''),
      );
      expect(allowed, `${verb} ${group}/${resource}`).toBe(true);
    }
  });
});

describe('bad input: one ::error:: naming the input, nothing written', () => {
  it.each([
    ['services', { services: 'Chat;rm' }, '::error::Input \'services\' has "Chat;rm" is not a valid Kubernetes name'],
    ['target', { services: 'chat-service', target: 'revision:-1' }, "::error::Input 'target' must be `previous`, `revision:N`"],
    ['target', { services: 'chat-service', target: 'revision:x' }, "::error::Input 'target' must be `previous`, `revision:N`"],
    [
      'target',
      { services: 'chat-service', target: 'revision:7' },
      "::error::Input 'target' revision:7 is not in the history of chat-service (revisions: 1, 2, 3)",
    ],
    [
      'target',
      { services: 'chat-service', target: 'v9.9.9' },
      "::error::Input 'target' v9.9.9 matches no revision of chat-service; versions in its history: v1.1.0 (revision 1), v1.2.0 (revision 2), v1.3.0 (revision 3)",
    ],
    [
      'services',
      { services: 'chat-service,ghost-service' },
      '::error::Input \'services\' names deployment "ghost-service", which does not exist in namespace "keiko-production"',
    ],
    ['namespace', { services: 'chat-service', environment: '' }, "::error::Input 'namespace' is required"],
    ['namespace', { services: 'chat-service', namespace: 'Prod_NS' }, '::error::Input \'namespace\' is "Prod_NS" is not a valid Kubernetes name'],
    ['timeout', { services: 'chat-service', timeout: 'soon' }, '::error::Input \'timeout\' must be a duration such as 90s, 10m or 1h, got "soon"'],
    ['max-parallel', { services: 'chat-service', 'max-parallel': '0' }, '::error::Input \'max-parallel\' must be a whole number from 1 to 100, got "0"'],
    ['kubeconfig', { services: 'chat-service', kubeconfig: 'not: [a kubeconfig' }, "::error::Input 'kubeconfig' is neither kubeconfig YAML nor base64 of it"],
  ])('%s: %j', async (_input, inputs, line) => {
    const e = await emulator();
    const run = await rollback(e, inputs as Record<string, string>);
    expect(run.code).toBe(1);
    expect(run.errorLines).toHaveLength(1);
    expect(run.errorLines[0]?.startsWith(line), run.errorLines[0]).toBe(true);
    expect(hasStackTrace(run.stdout + run.stderr)).toBe(false);
    expect(writes(e)).toEqual([]);
  });

  it('refuses a paused deployment with kubectl advice, and Helm-managed with on-managed: fail', async () => {
    const e = await emulator();
    const kubectl = kubectlFor(e.kubeconfig);
    await kubectl('rollout', 'pause', 'deployment/auth-service', '-n', NS);
    const paused = await rollback(e, { services: 'auth-service' });
    expect(paused.errorLines).toEqual([
      `::error::deployment auth-service is paused: you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/auth-service -n ${NS}' and try again`,
    ]);
    await kubectl('label', 'deployment/chat-service', '-n', NS, 'app.kubernetes.io/managed-by=Helm');
    const helmWarn = await rollback(e, { services: 'chat-service', 'dry-run': 'true' });
    expect(helmWarn.code).toBe(0);
    expect(helmWarn.stdout).toContain('::warning::chat-service is managed by Helm');
    const before = writes(e).length;
    const helmFail = await rollback(e, { services: 'chat-service', 'on-managed': 'fail' });
    expect(helmFail.code).toBe(1);
    expect(helmFail.errorLines[0]).toContain('chat-service is managed by Helm (a Helm release)');
    expect(writes(e).length).toBe(before);
  });
});
