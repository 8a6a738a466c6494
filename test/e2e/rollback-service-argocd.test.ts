import { describe, expect, it } from 'vitest';
import type { KubeEmulator } from '../../src/sandbox/kube/index.js';
import { findResource } from '../../src/sandbox/kube/resources.js';
import { type JsonObject, type KubeObject, meta, obj, stringMap } from '../../src/sandbox/kube/types.js';
import { DEPLOYMENTS, kubeEmulators, liveImage, NS, notAllowedBy, verbsUsed, writes } from '../helpers/kube-fixtures.js';
import { runAction } from '../helpers/run-action.js';

const APPLICATIONS = findResource('argoproj.io', 'v1alpha1', 'applications')!;
const AUTOMATED = { prune: true, selfHeal: true, allowEmpty: false };
const SYNC_POLICY = { automated: AUTOMATED, syncOptions: ['CreateNamespace=true'], retry: { limit: 5 } };

const start = kubeEmulators();

/** chat-service deployed by the Argo CD Application keiko-chat (automated sync with self-heal). */
async function argoPlatform(): Promise<KubeEmulator> {
  const e = await start({
    fixture: {
      namespaces: [
        {
          name: NS,
          deployments: [
            {
              name: 'chat-service',
              releases: ['v1.1.0', 'v1.2.0', 'v1.3.0'],
              replicas: 1,
              annotations: { 'argocd.argoproj.io/tracking-id': `keiko-chat:apps/Deployment:${NS}/chat-service` },
            },
          ],
        },
      ],
    },
  });
  e.store.create(APPLICATIONS, {
    metadata: { name: 'keiko-chat', namespace: 'argocd' },
    spec: { project: 'default', source: { repoURL: 'https://git.keiko.io/deploy', path: 'chat', targetRevision: 'main' }, syncPolicy: SYNC_POLICY },
  });
  return e;
}

const app = (e: KubeEmulator): KubeObject => e.store.get(APPLICATIONS, 'argocd', 'keiko-chat')!;

/**
 * What Argo CD's automated sync with selfHeal does to a rollback behind its back, as a model (no Argo CD controller
 * runs in this sandbox): a pass puts Git's image back on a drifted deployment, only while automated.selfHeal is on.
 */
function argoSelfHeal(e: KubeEmulator, gitImage: string): () => void {
  return () => {
    const automated = obj(obj(obj(app(e).spec).syncPolicy).automated);
    if (automated.selfHeal !== true || liveImage(e, 'chat-service') === gitImage) return;
    const d = e.store.get(DEPLOYMENTS, NS, 'chat-service')!;
    const template = obj(obj(d.spec).template);
    const containers = (obj(template.spec).containers as JsonObject[]).map((c) => ({ ...c, image: gitImage }));
    e.store.update(DEPLOYMENTS, { ...d, spec: { ...obj(d.spec), template: { ...template, spec: { ...obj(template.spec), containers } } } });
  };
}
const run = (e: KubeEmulator, inputs: Record<string, string>) =>
  runAction('rollback-service', { environment: 'production', kubeconfig: e.kubeconfig, services: 'chat-service', ...inputs });

describe('Argo CD-managed deployments (on-managed: suspend-sync, mode: resume-sync)', () => {
  it('suspends automated sync, rolls back (and the rollback stays), then resume puts exactly the old policy back', async () => {
    const e = await argoPlatform();
    const heal = argoSelfHeal(e, 'registry.keiko.io/chat-service:v1.3.0');
    const rolled = await run(e, { 'on-managed': 'suspend-sync' });
    expect(rolled.code, rolled.stdout).toBe(0);
    heal();
    // Argo CD's next pass leaves it: the rollback stays
    expect(liveImage(e, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.2.0');
    // with automated sync off, Argo CD no longer puts the Git version back over the rollback
    expect(obj(obj(app(e).spec).syncPolicy)).toEqual({ syncOptions: ['CreateNamespace=true'], retry: { limit: 5 } });
    const record = JSON.parse(stringMap(meta(app(e)).annotations)['rollback.keiko.io/suspended-sync'] ?? '{}');
    expect(record).toMatchObject({ version: 1, automated: AUTOMATED });
    const [result] = JSON.parse(rolled.outputs.result ?? '[]') as { message: string }[];
    expect(result?.message).toContain('Argo CD automated sync of keiko-chat suspended (was {"prune":true,"selfHeal":true,"allowEmpty":false})');
    expect(result?.message).toContain(
      'keiko-rollback service --mode resume-sync --services chat-service --namespace keiko-production --argocd-namespace argocd',
    );
    // the automated sync was off before the template changed
    const order = e.requests.filter((r) => r.verb === 'patch').map((r) => r.resource);
    expect(order).toEqual(['applications', 'deployments']);

    // a rollback to a revision made before Argo CD tracked the workload leaves it without the tracking annotation
    // (kubectl's undo takes the annotations from the target's ReplicaSet): resume finds the Application by its record
    const d = e.store.get(DEPLOYMENTS, NS, 'chat-service')!;
    const { 'argocd.argoproj.io/tracking-id': _tracking, ...annotations } = stringMap(meta(d).annotations);
    e.store.update(DEPLOYMENTS, { ...d, metadata: { ...meta(d), annotations } });
    const resumed = await run(e, { mode: 'resume-sync' });
    expect(resumed.code, resumed.stdout).toBe(0);
    expect(obj(app(e).spec).syncPolicy).toEqual(SYNC_POLICY);
    expect(stringMap(meta(app(e)).annotations)['rollback.keiko.io/suspended-sync']).toBeUndefined();
    expect(JSON.parse(resumed.outputs.result ?? '[]')[0]).toMatchObject({ status: 'resumed', application: 'keiko-chat' });
    // resuming twice writes nothing
    const before = writes(e).length;
    const again = await run(e, { mode: 'resume-sync' });
    expect(JSON.parse(again.outputs.result ?? '[]')[0]).toMatchObject({ status: 'unchanged' });
    expect(writes(e).length).toBe(before);
    // the Argo CD Role allows exactly what suspend and resume do; the namespaced Role the rest
    expect(notAllowedBy(e, 'keiko-rollback-argocd-role.yaml', ['applications'])).toEqual([]);
    expect(verbsUsed(e, ['applications'])).toEqual(['get applications', 'list applications', 'patch applications']);
    expect(notAllowedBy(e, 'keiko-rollback-role.yaml').filter((r) => !r.includes('applications'))).toEqual([]);
  });

  it('the default stays warn: the rollback runs, says Argo CD will put the Git version back, and Argo CD does', async () => {
    const e = await argoPlatform();
    const rolled = await run(e, {});
    expect(rolled.code).toBe(0);
    expect(rolled.stdout).toContain('::warning::chat-service is managed by Argo CD (application keiko-chat)');
    expect(obj(app(e).spec).syncPolicy).toEqual(SYNC_POLICY);
    expect(liveImage(e, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.2.0');
    argoSelfHeal(e, 'registry.keiko.io/chat-service:v1.3.0')();
    expect(liveImage(e, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.3.0');
  });

  it.each([
    [{ 'on-managed': 'argo' }, '::error::Input \'on-managed\' must be one of warn | fail | suspend-sync | helm, got "argo"'],
    [
      { 'on-managed': 'suspend-sync', 'argocd-namespace': 'gitops' },
      '::error::Input \'argocd-namespace\' names no Argo CD Application "keiko-chat" in namespace "gitops"',
    ],
  ])('bad input %j: one ::error:: naming the input, nothing written', async (inputs, line) => {
    const e = await argoPlatform();
    const bad = await run(e, inputs);
    expect(bad.code).toBe(1);
    expect(bad.errorLines).toHaveLength(1);
    expect(bad.errorLines[0]?.startsWith(line), bad.errorLines[0]).toBe(true);
    expect(writes(e)).toEqual([]);
  });
});
