import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeEmulator, runbookFixture, startKubeEmulator } from '../../src/sandbox/kube/index.js';
import { findResource } from '../../src/sandbox/kube/resources.js';
import { meta, obj, stringMap } from '../../src/sandbox/kube/types.js';
import { kubectlFor } from '../helpers/kubectl.js';

const NS = 'keiko-production';
const RS = findResource('apps', 'v1', 'replicasets')!;
const DEPLOY = findResource('apps', 'v1', 'deployments')!;

let emulator: KubeEmulator;
let kubectl: ReturnType<typeof kubectlFor>;

beforeAll(async () => {
  emulator = await startKubeEmulator({ fixture: runbookFixture() });
  kubectl = kubectlFor(emulator.kubeconfig);
});
afterAll(() => emulator.close());

function replicaSets(name: string): { name: string; revision: string; history: string | undefined; image: string; replicas: number }[] {
  return emulator.store
    .list(RS, NS)
    .filter((rs) => stringMap(meta(rs).labels).app === name)
    .map((rs) => ({
      name: String(meta(rs).name),
      revision: stringMap(meta(rs).annotations)['deployment.kubernetes.io/revision'] ?? '',
      history: stringMap(meta(rs).annotations)['deployment.kubernetes.io/revision-history'],
      image: String(obj((obj(obj(obj(rs.spec).template).spec).containers as never[])[0]).image),
      replicas: Number(obj(rs.spec).replicas),
    }))
    .sort((a, b) => Number(a.revision) - Number(b.revision));
}

describe('real kubectl against the emulator', () => {
  it('rollout history prints the revisions and change causes, and one revision template', async () => {
    const history = await kubectl('rollout', 'history', 'deployment/chat-service', '-n', NS);
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+deploy chat-service v1.1.0\n2\s+deploy chat-service v1.2.0\n3\s+deploy chat-service v1.3.0/);
    const revision = await kubectl('rollout', 'history', 'deployment/chat-service', '-n', NS, '--revision=2');
    expect(revision.stdout).toContain('deployment.apps/chat-service with revision #2');
    expect(revision.stdout).toContain('Image:\tregistry.keiko.io/chat-service:v1.2.0');
  });

  it('rollout undo --to-revision=2 reuses that ReplicaSet as revision 4 with revision-history "2"', async () => {
    const before = replicaSets('search-service');
    // the new pods stay ContainerCreating until kubectl has printed its progress line: the middle of
    // the rollout is seen by an event, not by how fast kubectl starts
    emulator.controller.holdPods(true);
    const undo = await kubectl('rollout', 'undo', 'deployment/search-service', '--to-revision=2', '-n', NS);
    expect(undo.stdout.trim()).toBe('deployment.apps/search-service rolled back');
    const status = await kubectl.watching(
      (soFar) => {
        if (soFar.includes('new replicas have been updated')) emulator.controller.holdPods(false);
      },
      'rollout',
      'status',
      'deployment/search-service',
      '-n',
      NS,
      '--timeout=30s',
    );
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/Waiting for deployment "search-service" rollout to finish: \d out of 2 new replicas have been updated\.\.\./);
    expect(status.stdout).toContain('deployment "search-service" successfully rolled out');
    const after = replicaSets('search-service');
    expect(after.map((rs) => rs.name).sort()).toEqual(before.map((rs) => rs.name).sort());
    const reused = after.find((rs) => rs.name === before[1]?.name);
    expect(reused).toMatchObject({ revision: '4', history: '2', image: 'registry.keiko.io/search-service:v1.2.0', replicas: 2 });
    const deployment = emulator.store.get(DEPLOY, NS, 'search-service')!;
    const template = obj(obj(deployment.spec).template);
    expect(obj((obj(template.spec).containers as never[])[0]).image).toBe('registry.keiko.io/search-service:v1.2.0');
    expect(stringMap(obj(template.metadata).labels)).toEqual({ app: 'search-service' });
    expect(stringMap(meta(deployment).annotations)['deployment.kubernetes.io/revision']).toBe('4');
  });

  it('says "skipped rollback" when already at the target, and refuses a paused deployment', async () => {
    await kubectl('rollout', 'undo', 'deployment/document-service', '-n', NS);
    const skipped = await kubectl('rollout', 'undo', 'deployment/document-service', '--to-revision=4', '-n', NS);
    expect(skipped.stdout.trim()).toBe('deployment.apps/document-service skipped rollback (current template already matches revision 4)');
    await kubectl('rollout', 'pause', 'deployment/auth-service', '-n', NS);
    const paused = await kubectl('rollout', 'undo', 'deployment/auth-service', '-n', NS);
    expect(paused.code).toBe(1);
    expect(paused.stderr.trim()).toBe("error: you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again");
    await kubectl('rollout', 'resume', 'deployment/auth-service', '-n', NS);
  });

  it('rollout status fails with the progress deadline on a bad image', async () => {
    emulator.markBadImage('registry.keiko.io/chat-service:v9.9.9', 'ImagePullBackOff');
    await kubectl('patch', 'deployment/chat-service', '-n', NS, '-p', '{"spec":{"progressDeadlineSeconds":60}}');
    await kubectl('set', 'image', 'deployment/chat-service', 'chat-service=registry.keiko.io/chat-service:v9.9.9', '-n', NS);
    const status = await kubectl('rollout', 'status', 'deployment/chat-service', '-n', NS, '--timeout=30s');
    expect(status.code).toBe(1);
    expect(status.stderr).toContain('error: deployment "chat-service" exceeded its progress deadline');
    const pods = await kubectl(
      'get',
      'pods',
      '-n',
      NS,
      '-l',
      'app=chat-service',
      '-o',
      'jsonpath={.items[*].status.containerStatuses[0].state.waiting.reason}',
    );
    expect(pods.stdout).toContain('ImagePullBackOff');
  });

  it('set env enables the circuit breaker and rolls out a new ReplicaSet', async () => {
    const before = replicaSets('gateway-bff').length;
    expect((await kubectl('set', 'env', 'deployment/gateway-bff', 'CIRCUIT_BREAKER_ENABLED=true', '-n', NS)).stdout).toContain('env updated');
    expect((await kubectl('set', 'env', 'deployment/gateway-bff', 'FAILURE_THRESHOLD=5', '-n', NS)).code).toBe(0);
    expect((await kubectl('rollout', 'status', 'deployment/gateway-bff', '-n', NS, '--timeout=30s')).code).toBe(0);
    const list = await kubectl('set', 'env', 'deployment/gateway-bff', '--list', '-n', NS);
    expect(list.stdout).toContain('CIRCUIT_BREAKER_ENABLED=true\nFAILURE_THRESHOLD=5');
    expect(replicaSets('gateway-bff').length).toBe(before + 2);
  });

  it('apply (client-side, then server-side) creates and updates an Ingress; get works', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-ing-'));
    const file = path.join(dir, 'ingress.yaml');
    const manifest = (host: string): string =>
      `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: backup-ingress\n  namespace: ${NS}\nspec:\n  rules:\n  - host: ${host}\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service:\n            name: gateway-bff\n            port:\n              number: 8080\n`;
    fs.writeFileSync(file, manifest('api.keiko.com'));
    expect((await kubectl('apply', '-f', file)).stdout.trim()).toBe('ingress.networking.k8s.io/backup-ingress created');
    fs.writeFileSync(file, manifest('backup.keiko.com'));
    expect((await kubectl('apply', '-f', file)).stdout.trim()).toBe('ingress.networking.k8s.io/backup-ingress configured');
    fs.writeFileSync(file, manifest('dr.keiko.com'));
    const conflict = await kubectl('apply', '--server-side', '-f', file);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('conflict with "kubectl-client-side-apply"');
    expect((await kubectl('apply', '--server-side', '--force-conflicts', '-f', file)).stdout.trim()).toBe(
      'ingress.networking.k8s.io/backup-ingress serverside-applied',
    );
    expect((await kubectl('get', 'ingress', 'backup-ingress', '-n', NS, '-o', 'jsonpath={.spec.rules[0].host}')).stdout).toBe('dr.keiko.com');
    for (const kind of ['pods', 'services', 'deploy']) {
      const get = await kubectl('get', kind, '-n', NS);
      expect(get.code, get.stderr).toBe(0);
      expect(get.stdout).toContain('chat-service');
    }
  });
});
