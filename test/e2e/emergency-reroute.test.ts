import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type KubeEmulator, runbookFixture, startKubeEmulator } from '../../src/sandbox/kube/index.js';
import { backupIngressYaml } from '../../src/sandbox/kube/manifests.js';
import { findResource } from '../../src/sandbox/kube/resources.js';
import { type KubeObject, meta, obj } from '../../src/sandbox/kube/types.js';
import { DEPLOYMENTS, NS, REPLICA_SETS, writes } from '../helpers/kube-fixtures.js';
import { kubectlFor } from '../helpers/kubectl.js';
import { hasStackTrace, ROOT, runAction } from '../helpers/run-action.js';

const INGRESSES = findResource('networking.k8s.io', 'v1', 'ingresses')!;
const CONFIGMAPS = findResource('', 'v1', 'configmaps')!;

const INGRESS = (host: string, ns = NS, kind = 'Ingress', apiVersion = 'networking.k8s.io/v1'): string =>
  backupIngressYaml({ host, kind, apiVersion, metadata: `  namespace: ${ns}\n  labels:\n    keiko.io/route: backup\n` });

let emulators: KubeEmulator[] = [];
afterEach(async () => {
  await Promise.all(emulators.map((e) => e.close()));
  emulators = [];
});

async function setup(manifest = INGRESS('backup.keiko.com')): Promise<{ e: KubeEmulator; workspace: string }> {
  const e = await startKubeEmulator({ fixture: runbookFixture() });
  emulators.push(e);
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-reroute-'));
  fs.mkdirSync(path.join(workspace, 'infra/kubernetes/emergency'), { recursive: true });
  fs.writeFileSync(path.join(workspace, 'infra/kubernetes/emergency/backup-ingress.yaml'), manifest);
  return { e, workspace };
}

const reroute = (e: KubeEmulator, workspace: string, inputs: Record<string, string> = {}) =>
  runAction('emergency-reroute', { environment: 'production', kubeconfig: e.kubeconfig, ...inputs }, { cwd: workspace });
const gatewayTemplate = (e: KubeEmulator): unknown => obj(e.store.get(DEPLOYMENTS, NS, 'gateway-bff')!.spec).template;
const ingress = (e: KubeEmulator): KubeObject | undefined => e.store.get(INGRESSES, NS, 'backup-ingress');
const gatewaySets = (e: KubeEmulator): number => e.store.list(REPLICA_SETS, NS).filter((rs) => String(meta(rs).name).startsWith('gateway-bff-')).length;

describe('emergency-reroute (dist bundle against the emulator)', () => {
  it('activates: snapshot, ingress applied, circuit breaker set and rolled out; kubectl agrees', async () => {
    const { e, workspace } = await setup();
    const before = gatewaySets(e);
    const run = await reroute(e, workspace);
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs.applied).toBe('Ingress/backup-ingress,Deployment/gateway-bff');
    const state = JSON.parse(run.outputs.state ?? '{}') as { objects: { existed: boolean }[]; gateway: { env: Record<string, Record<string, string | null>> } };
    expect(state.objects).toEqual([{ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'backup-ingress', existed: false }]);
    expect(state.gateway.env).toEqual({ 'gateway-bff': { CIRCUIT_BREAKER_ENABLED: null, FAILURE_THRESHOLD: null } });
    expect(e.store.get(CONFIGMAPS, NS, 'keiko-reroute-state')).toBeDefined();
    expect(gatewaySets(e)).toBe(before + 1);
    expect(run.stdout).toContain('gateway-bff: deployment "gateway-bff" successfully rolled out');
    const kubectl = kubectlFor(e.kubeconfig);
    expect((await kubectl('get', 'ingress', 'backup-ingress', '-n', NS, '-o', 'jsonpath={.spec.rules[0].host}')).stdout).toBe('backup.keiko.com');
    expect((await kubectl('set', 'env', 'deployment/gateway-bff', '--list', '-n', NS)).stdout).toContain('CIRCUIT_BREAKER_ENABLED=true\nFAILURE_THRESHOLD=5');
    expect(run.summary).toContain('mode: restore');
  });

  it('sets the variables exactly as `kubectl set env` does', async () => {
    const { e, workspace } = await setup();
    const twin = await startKubeEmulator({ fixture: runbookFixture() });
    emulators.push(twin);
    await reroute(e, workspace, { 'ingress-manifest': '' });
    const kubectl = kubectlFor(twin.kubeconfig);
    await kubectl('set', 'env', 'deployment/gateway-bff', 'CIRCUIT_BREAKER_ENABLED=true', 'FAILURE_THRESHOLD=5', '-n', NS);
    expect(gatewayTemplate(e)).toEqual(gatewayTemplate(twin));
  });

  it('activating twice changes nothing the second time and keeps the first snapshot', async () => {
    const { e, workspace } = await setup();
    await reroute(e, workspace);
    const rv = meta(ingress(e)!).resourceVersion;
    const snapshot = obj(e.store.get(CONFIGMAPS, NS, 'keiko-reroute-state')!.data)['state.json'];
    const sets = gatewaySets(e);
    const second = await reroute(e, workspace, { 'failure-threshold': '5' });
    expect(second.code).toBe(0);
    expect(second.outputs.applied).toBe('');
    expect(meta(ingress(e)!).resourceVersion).toBe(rv);
    expect(gatewaySets(e)).toBe(sets);
    expect(obj(e.store.get(CONFIGMAPS, NS, 'keiko-reroute-state')!.data)['state.json']).toBe(snapshot);
    expect(second.stdout).toContain('kept: restore still returns to the original');
  });

  it('restore deletes an ingress that did not exist and puts the variables back byte-identical', async () => {
    const { e, workspace } = await setup();
    const original = structuredClone(gatewayTemplate(e));
    await reroute(e, workspace);
    const run = await reroute(e, workspace, { mode: 'restore' });
    expect(run.code, run.stdout).toBe(0);
    expect(ingress(e)).toBeUndefined();
    expect(gatewayTemplate(e)).toEqual(original);
    expect(e.store.get(CONFIGMAPS, NS, 'keiko-reroute-state')).toBeUndefined();
    expect((await kubectlFor(e.kubeconfig)('set', 'env', 'deployment/gateway-bff', '--list', '-n', NS)).stdout).not.toContain('CIRCUIT_BREAKER');
  });

  it('restore returns an existing ingress (and existing variables) to their exact previous state', async () => {
    const { e, workspace } = await setup();
    const kubectl = kubectlFor(e.kubeconfig);
    const file = path.join(workspace, 'live.yaml');
    fs.writeFileSync(file, INGRESS('api.keiko.com').replace('keiko.io/route: backup', 'keiko.io/route: primary'));
    await kubectl('apply', '-f', file);
    await kubectl('set', 'env', 'deployment/gateway-bff', 'FAILURE_THRESHOLD=50', '-n', NS);
    await kubectl('rollout', 'status', 'deployment/gateway-bff', '-n', NS);
    const before = structuredClone(ingress(e)!);
    const template = structuredClone(gatewayTemplate(e));
    const activated = await reroute(e, workspace, { force: 'true' });
    expect(activated.code, activated.stdout).toBe(0);
    expect(obj(obj((obj(ingress(e)!.spec).rules as never[])[0])).host).toBe('backup.keiko.com');
    const restored = await reroute(e, workspace, { mode: 'restore' });
    expect(restored.code, restored.stdout).toBe(0);
    const after = ingress(e)!;
    expect(after.spec).toEqual(before.spec);
    expect(meta(after).labels).toEqual(meta(before).labels);
    expect(meta(after).annotations).toEqual(meta(before).annotations);
    expect(gatewayTemplate(e)).toEqual(template);
  });

  it('fails naming the other field manager without force, and takes over with force', async () => {
    const { e, workspace } = await setup();
    const file = path.join(workspace, 'live.yaml');
    fs.writeFileSync(file, INGRESS('api.keiko.com'));
    await kubectlFor(e.kubeconfig)('apply', '-f', file);
    const blocked = await reroute(e, workspace);
    expect(blocked.code).toBe(1);
    expect(blocked.errorLines).toHaveLength(1);
    expect(blocked.errorLines[0]).toContain(
      `::error::Input 'force' is false and Ingress/backup-ingress is owned by another field manager: Apply failed with 1 conflict: conflict with "kubectl-client-side-apply"`,
    );
    expect(obj(obj((obj(ingress(e)!.spec).rules as never[])[0])).host).toBe('api.keiko.com');
    const forced = await reroute(e, workspace, { force: 'true' });
    expect(forced.code).toBe(0);
    expect(obj(obj((obj(ingress(e)!.spec).rules as never[])[0])).host).toBe('backup.keiko.com');
  });

  it('dry-run validates, diffs and dry-runs on the server, writing nothing', async () => {
    const { e, workspace } = await setup();
    const run = await reroute(e, workspace, { 'dry-run': 'true' });
    expect(run.code, run.stdout).toBe(0);
    expect(writes(e).every((w) => w.dryRun)).toBe(true);
    expect(writes(e).length).toBe(2);
    expect(ingress(e)).toBeUndefined();
    expect(run.summary).toContain('+ Ingress/backup-ingress (new)');
    expect(run.summary).toMatch(/_Phases: Diff against live \d\S*_/);
  });

  it('survives injected faults (500 on the apply, 429 on a read)', async () => {
    const { e, workspace } = await setup();
    e.fault({ verb: 'patch', path: '/ingresses/', status: 500 });
    e.fault({ verb: 'get', path: '/deployments/gateway-bff', status: 429, retryAfterSeconds: 1 });
    const run = await reroute(e, workspace);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('500 InternalError; retry 1');
    expect(run.stdout).toContain('429 TooManyRequests; retry 1');
    expect(ingress(e)).toBeDefined();
  });

  it('the shipped Role allows every request of activate and restore', async () => {
    const { e, workspace } = await setup();
    await reroute(e, workspace);
    await reroute(e, workspace, { mode: 'restore' });
    const role = parseYaml(fs.readFileSync(path.join(ROOT, 'deploy/rbac/keiko-rollback-role.yaml'), 'utf8')) as {
      rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    };
    for (const r of e.requests) {
      const allowed = role.rules.some(
        (rule) => rule.apiGroups.includes(r.group ?? '') && rule.resources.includes(r.resource ?? '') && rule.verbs.includes(r.verb),
      );
      expect(allowed, `${r.verb} ${r.group}/${r.resource}`).toBe(true);
    }
  });
});

describe('bad input: one ::error::, nothing applied', () => {
  it.each([
    ['manifest missing', { 'ingress-manifest': 'infra/none.yaml' }, undefined, "::error::Input 'ingress-manifest' "],
    ['not YAML', {}, 'kind: Ingress\n  bad: [indent', "::error::Input 'ingress-manifest' is not valid YAML"],
    [
      'a Secret',
      {},
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n',
      '::error::Input \'ingress-manifest\' contains Secret "s": only networking.k8s.io/v1 Ingress and v1 Service objects may be rerouted',
    ],
    [
      'a ClusterRole',
      {},
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n',
      "::error::Input 'ingress-manifest' contains ClusterRole",
    ],
    ['a Deployment', {}, 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n', "::error::Input 'ingress-manifest' contains Deployment"],
    [
      'another namespace',
      {},
      INGRESS('x.keiko.com', 'keiko-staging'),
      '::error::Input \'ingress-manifest\' puts Ingress/backup-ingress in namespace "keiko-staging", not the target namespace "keiko-production"',
    ],
    ['outside the workspace', { 'ingress-manifest': '../../etc/passwd' }, undefined, "::error::Input 'ingress-manifest' must stay inside the workspace"],
    ['threshold 0', { 'failure-threshold': '0' }, undefined, `::error::Input 'failure-threshold' must be a whole number from 1 to 1000, got "0"`],
    ['threshold five', { 'failure-threshold': 'five' }, undefined, `::error::Input 'failure-threshold' must be a whole number from 1 to 1000, got "five"`],
    [
      'gateway missing',
      { 'gateway-deployment': 'no-gateway' },
      undefined,
      `::error::Input 'gateway-deployment' names deployment "no-gateway", which does not exist`,
    ],
    ['unknown mode', { mode: 'enable' }, undefined, `::error::Input 'mode' must be one of activate | restore, got "enable"`],
    [
      'restore without state',
      { mode: 'restore' },
      undefined,
      "::error::Input 'mode' is restore, but namespace keiko-production has no keiko-reroute-state ConfigMap",
    ],
  ])('%s', async (_label, inputs, manifest, line) => {
    const { e, workspace } = await setup(manifest);
    const run = await reroute(e, workspace, inputs as Record<string, string>);
    expect(run.code).toBe(1);
    expect(run.errorLines).toHaveLength(1);
    expect(run.errorLines[0]?.startsWith(line), run.errorLines[0]).toBe(true);
    expect(hasStackTrace(run.stdout + run.stderr)).toBe(false);
    expect(writes(e)).toEqual([]);
  });
});
