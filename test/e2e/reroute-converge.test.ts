import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type KubeEmulator, runbookFixture, startKubeEmulator } from '../../src/sandbox/kube/index.js';
import { backupIngressYaml } from '../../src/sandbox/kube/manifests.js';
import { findResource } from '../../src/sandbox/kube/resources.js';
import { obj } from '../../src/sandbox/kube/types.js';
import { NS, writes } from '../helpers/kube-fixtures.js';
import { kubectlFor } from '../helpers/kubectl.js';
import { hasStackTrace, runAction } from '../helpers/run-action.js';

const INGRESSES = findResource('networking.k8s.io', 'v1', 'ingresses')!;
const CONFIGMAPS = findResource('', 'v1', 'configmaps')!;

const ingress = (name: string, extra = ''): string => backupIngressYaml({ name, host: `${name.replace(/[^a-z0-9-]/g, '')}.keiko.com`, metadata: extra });

let emulators: KubeEmulator[] = [];
afterEach(async () => {
  await Promise.all(emulators.map((e) => e.close()));
  emulators = [];
});

async function setup(): Promise<{ e: KubeEmulator; workspace: string; write(file: string, text: string): void }> {
  const e = await startKubeEmulator({ fixture: runbookFixture() });
  emulators.push(e);
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-reroute-'));
  return { e, workspace, write: (file, text) => fs.writeFileSync(path.join(workspace, file), text) };
}

const reroute = (e: KubeEmulator, workspace: string, inputs: Record<string, string>) =>
  runAction('emergency-reroute', { environment: 'production', kubeconfig: e.kubeconfig, ...inputs }, { cwd: workspace });
const rollback = (e: KubeEmulator, inputs: Record<string, string>) =>
  runAction('rollback-service', { environment: 'production', kubeconfig: e.kubeconfig, ...inputs });
const gatewayJson = async (
  e: KubeEmulator,
): Promise<{ spec: { template: { spec: { containers: { image: string; env?: { name: string; value: string }[] }[] } } } }> =>
  JSON.parse((await kubectlFor(e.kubeconfig)('get', 'deploy', 'gateway-bff', '-n', NS, '-o', 'json')).stdout);
const gatewayEnv = async (e: KubeEmulator): Promise<Record<string, string>> =>
  Object.fromEntries(((await gatewayJson(e)).spec.template.spec.containers[0]?.env ?? []).map((v) => [v.name, v.value]));

describe('emergency-reroute validates its manifest and keeps complete snapshots', () => {
  it('a manifest object named like a path is refused before anything is written, and no snapshot is left', async () => {
    const { e, workspace, write } = await setup();
    write('traversal.yaml', ingress('"../../keiko-staging/services/api-gw"'));
    const run = await reroute(e, workspace, { 'ingress-manifest': 'traversal.yaml' });
    expect(run.code).toBe(1);
    expect(run.errorLines).toHaveLength(1);
    expect(run.errorLines[0]).toMatch(
      /^::error::Input 'ingress-manifest' has Ingress "\.\.\/\.\.\/keiko-staging\/services\/api-gw", which is not a valid Kubernetes name/,
    );
    expect(hasStackTrace(run.stdout + run.stderr)).toBe(false);
    write('number.yaml', ingress('42'));
    expect((await reroute(e, workspace, { 'ingress-manifest': 'number.yaml' })).errorLines[0]).toMatch(
      /^::error::Input 'ingress-manifest' has a Ingress without a metadata.name string/,
    );
    expect(writes(e)).toEqual([]);
    expect(e.store.list(CONFIGMAPS, NS).filter((c) => obj(c.metadata).name === 'keiko-reroute-state')).toEqual([]);
  });

  it('activate without the breaker, then again with a second ingress and the breaker: restore returns exactly to the original', async () => {
    const { e, workspace, write } = await setup();
    const original = await gatewayJson(e);
    write('first.yaml', ingress('backup-ingress'));
    write('second.yaml', ingress('backup-ingress-2'));
    expect((await reroute(e, workspace, { 'ingress-manifest': 'first.yaml', 'circuit-breaker': 'false' })).code).toBe(0);
    const second = await reroute(e, workspace, { 'ingress-manifest': 'second.yaml' });
    expect(second.code, second.stdout).toBe(0);
    expect(second.stdout).toContain('kept, extended with Ingress/backup-ingress-2, env of gateway-bff');
    expect(await gatewayEnv(e)).toMatchObject({ CIRCUIT_BREAKER_ENABLED: 'true', FAILURE_THRESHOLD: '5' });
    const restored = await reroute(e, workspace, { mode: 'restore' });
    expect(restored.code, restored.stdout).toBe(0);
    expect(e.store.get(INGRESSES, NS, 'backup-ingress')).toBeUndefined();
    expect(e.store.get(INGRESSES, NS, 'backup-ingress-2')).toBeUndefined();
    expect((await gatewayJson(e)).spec.template).toEqual(original.spec.template);
  });

  it('a FAILURE_THRESHOLD changed by hand during the incident is kept by restore, and said', async () => {
    const { e, workspace, write } = await setup();
    write('first.yaml', ingress('backup-ingress'));
    expect((await reroute(e, workspace, { 'ingress-manifest': 'first.yaml' })).code).toBe(0);
    expect((await kubectlFor(e.kubeconfig)('set', 'env', 'deployment/gateway-bff', '-n', NS, 'FAILURE_THRESHOLD=10')).code).toBe(0);
    const restored = await reroute(e, workspace, { mode: 'restore' });
    expect(restored.code, restored.stdout).toBe(0);
    expect(restored.stdout).toMatch(
      /::warning::kept FAILURE_THRESHOLD=10 on container gateway-bff \(changed by hand after the reroute set 5; force: true puts back \(unset\)\)/,
    );
    expect(restored.summary).toContain('| kept | FAILURE_THRESHOLD=10 on container gateway-bff');
    expect(await gatewayEnv(e)).toEqual({ FAILURE_THRESHOLD: '10' });
  });
});

describe('reroute and rollback compose', () => {
  it('reroute → roll the gateway back to v1.2.0 (breaker kept) → restore ends exactly where a plain rollback to v1.2.0 does', async () => {
    const { e, workspace, write } = await setup();
    write('first.yaml', ingress('backup-ingress'));
    expect((await reroute(e, workspace, { 'ingress-manifest': 'first.yaml' })).code).toBe(0);
    const back = await rollback(e, { services: 'gateway-bff', target: 'previous' });
    expect(back.code, back.stdout).toBe(0);
    // previous skips v1.3.0 without the breaker (the same release) and goes to v1.2.0, keeping the breaker
    const [result] = JSON.parse(back.outputs.result ?? '[]') as { status: string; 'to-version': string; message: string }[];
    expect(result).toMatchObject({ status: 'rolled-back', 'to-version': 'v1.2.0' });
    expect(result?.message).toContain("kept the active reroute's CIRCUIT_BREAKER_ENABLED, FAILURE_THRESHOLD");
    expect((await gatewayJson(e)).spec.template.spec.containers[0]?.image).toBe('registry.keiko.io/gateway-bff:v1.2.0');
    expect(await gatewayEnv(e)).toMatchObject({ CIRCUIT_BREAKER_ENABLED: 'true', FAILURE_THRESHOLD: '5' });
    // running it again changes nothing
    const again = await rollback(e, { services: 'gateway-bff', target: 'v1.2.0' });
    expect((JSON.parse(again.outputs.result ?? '[]') as { status: string }[])[0]?.status).toBe('unchanged');
    expect((await reroute(e, workspace, { mode: 'restore' })).code).toBe(0);

    const plain = await startKubeEmulator({ fixture: runbookFixture() });
    emulators.push(plain);
    expect((await rollback(plain, { services: 'gateway-bff', target: 'v1.2.0' })).code).toBe(0);
    // the pod template as kubectl shows it (revision numbers and our rollback record differ by design)
    expect((await gatewayJson(e)).spec.template).toEqual((await gatewayJson(plain)).spec.template);
  });
});
