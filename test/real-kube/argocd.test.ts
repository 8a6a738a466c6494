import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeTarget, realTarget } from '../helpers/kube-targets.js';
import { kubectlFor } from '../helpers/kubectl.js';
import { ROOT, runAction } from '../helpers/run-action.js';

// on-managed: suspend-sync and mode: resume-sync against the real API server: the Application is a custom resource
// there (its CRD from test/fixtures/argocd), patched with JSON merge patch by the keiko-rollback user through the
// shipped Argo CD Role. No Argo CD controller runs: what is tested is what the action writes, and that it is allowed.
let target: KubeTarget;
beforeAll(async () => {
  target = await realTarget();
});
afterAll(async () => {
  await target.cleanup();
  await target.close();
});

const AUTOMATED = { prune: true, selfHeal: true };

describe('Argo CD-managed rollback (real control plane)', () => {
  it("suspends the Application's automated sync, rolls back, and resume-sync puts exactly the old policy back", async () => {
    const admin = kubectlFor(target.kubeconfig);
    const run = async (...args: string[]): Promise<string> => {
      const result = await admin(...args);
      expect(result.code, `kubectl ${args.join(' ')}: ${result.stderr}`).toBe(0);
      return result.stdout;
    };
    await run('apply', '-f', path.join(ROOT, 'test/fixtures/argocd/application-crd.yaml'));
    await run('wait', '--for=condition=Established', 'crd/applications.argoproj.io', '--timeout=60s');
    const namespace = await target.seed(['chat-service']);
    // the Applications live in the same namespace here; the Argo CD Role is bound there for the action's user
    await run('apply', '-n', namespace, '-f', path.join(ROOT, 'deploy/rbac/keiko-rollback-argocd-role.yaml'));
    await run('create', 'rolebinding', 'keiko-rollback-argocd', '-n', namespace, '--role=keiko-rollback-argocd', '--user=keiko-rollback');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-argo-')), 'app.json');
    const policy = { automated: AUTOMATED, syncOptions: ['CreateNamespace=true'] };
    fs.writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: 'keiko-chat', namespace },
        spec: { project: 'default', syncPolicy: policy },
      }),
    );
    await run('apply', '-f', file);
    await run('annotate', 'deployment/chat-service', '-n', namespace, `argocd.argoproj.io/tracking-id=keiko-chat:apps/Deployment:${namespace}/chat-service`);
    const inputs = { namespace, kubeconfig: target.actionKubeconfig, services: 'chat-service', 'argocd-namespace': namespace };

    const rolled = await runAction('rollback-service', { ...inputs, 'on-managed': 'suspend-sync' });
    expect(rolled.code, rolled.stdout).toBe(0);
    expect(JSON.parse(rolled.outputs.result ?? '[]')[0]).toMatchObject({ status: 'rolled-back', 'to-version': 'v1.2.0' });
    const app = async (): Promise<{ metadata: { annotations?: Record<string, string> }; spec: { syncPolicy: object } }> =>
      JSON.parse(await run('get', 'applications.argoproj.io', 'keiko-chat', '-n', namespace, '-o', 'json'));
    const suspended = await app();
    expect(suspended.spec.syncPolicy).toEqual({ syncOptions: ['CreateNamespace=true'] });
    expect(JSON.parse(suspended.metadata.annotations?.['rollback.keiko.io/suspended-sync'] ?? '{}')).toMatchObject({ version: 1, automated: AUTOMATED });

    const resumed = await runAction('rollback-service', { ...inputs, mode: 'resume-sync' });
    expect(resumed.code, resumed.stdout).toBe(0);
    const back = await app();
    expect(back.spec.syncPolicy).toEqual(policy);
    expect(back.metadata.annotations?.['rollback.keiko.io/suspended-sync']).toBeUndefined();
  });
});
