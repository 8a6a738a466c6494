import { describe, expect, it } from 'vitest';
import { parseRetryAfter, withRetry } from '../src/core/retry.js';
import { changedKeys, referencedConfig, shownValue } from '../src/kube/config-snapshot.js';
import { currentRevision, type RevisionHistory, revisionsOf } from '../src/kube/history.js';
import { resolveTargetRevision, rollbackPatch } from '../src/kube/rollback.js';
import { rolloutState } from '../src/kube/rollout-status.js';
import { converge, planEntry } from '../src/kube/service-plan.js';
import { type Deployment, type ReplicaSet, selectorString } from '../src/kube/types.js';

// The engine's rules as fast unit tests (milliseconds, no processes): the e2e suite proves the wiring.

const template = (version: string) => ({
  metadata: { labels: { app: 'chat-service' } },
  spec: { containers: [{ name: 'chat-service', image: `registry.keiko.io/chat-service:${version}` }] },
});

function replicaSet(revision: number, version: string): ReplicaSet {
  const t = template(version);
  return {
    metadata: {
      name: `chat-service-${revision}`,
      namespace: 'keiko-production',
      uid: `rs-${revision}`,
      labels: { app: 'chat-service', 'pod-template-hash': `h${revision}` },
      annotations: { 'deployment.kubernetes.io/revision': String(revision), 'kubernetes.io/change-cause': `deploy ${version}` },
      ownerReferences: [{ kind: 'Deployment', name: 'chat-service', uid: 'dep-1', controller: true }],
    },
    spec: {
      selector: { matchLabels: { app: 'chat-service' } },
      template: { ...t, metadata: { labels: { ...t.metadata.labels, 'pod-template-hash': `h${revision}` } } },
    },
  };
}

/** chat-service with v1.1.0, v1.2.0, v1.3.0 (live) as revisions 1–3. */
function history(liveVersion = 'v1.3.0'): RevisionHistory {
  const deployment: Deployment = {
    metadata: { name: 'chat-service', namespace: 'keiko-production', uid: 'dep-1', generation: 3, annotations: { 'deployment.kubernetes.io/revision': '3' } },
    spec: { replicas: 2, selector: { matchLabels: { app: 'chat-service' } }, template: template(liveVersion) },
    status: { observedGeneration: 3, replicas: 2, updatedReplicas: 2, availableReplicas: 2 },
  };
  return { deployment, revisions: revisionsOf(deployment, [replicaSet(3, 'v1.3.0'), replicaSet(1, 'v1.1.0'), replicaSet(2, 'v1.2.0')]) };
}

describe('revision history and targets', () => {
  it('orders revisions oldest first and finds the live one by template', () => {
    const h = history();
    expect(h.revisions.map((r) => r.revision)).toEqual([1, 2, 3]);
    expect(currentRevision(h)?.revision).toBe(3);
  });

  it('previous, revision:N and a version tag resolve like kubectl rollout undo', () => {
    const h = history();
    expect(resolveTargetRevision(h, { kind: 'previous' })).toMatchObject({ revision: { revision: 2 } });
    expect(resolveTargetRevision(h, { kind: 'revision', revision: 1 })).toMatchObject({ revision: { revision: 1 } });
    expect(resolveTargetRevision(h, { kind: 'version', version: 'v1.1.0' })).toMatchObject({ revision: { revision: 1 } });
    expect(() => resolveTargetRevision(h, { kind: 'version', version: 'v9.9.9' })).toThrow('v9.9.9 matches no revision of chat-service');
  });

  it('the rollback patch replaces the template (without the hash label) and takes the annotations kubectl takes', () => {
    const h = history();
    const [templateOp, annotationsOp] = rollbackPatch(h.deployment, h.revisions[1]!, 'INC-7 by keiko-dev') as {
      op: string;
      path: string;
      value: Record<string, unknown>;
    }[];
    expect(templateOp).toEqual({ op: 'replace', path: '/spec/template', value: template('v1.2.0') });
    expect(annotationsOp).toEqual({
      op: 'replace',
      path: '/metadata/annotations',
      value: { 'deployment.kubernetes.io/revision': '3', 'kubernetes.io/change-cause': 'INC-7 by keiko-dev' },
    });
  });
});

describe('label selectors', () => {
  it('name their labels in byte order, as Go sorts them, and the values of a set sorted', () => {
    // byte order puts upper case first ("B" < "a"); a locale-aware order would not
    const selector = { matchLabels: { b: '1', B: '2', a: '3' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] };
    expect(selectorString(selector)).toBe('B=2,a=3,b=1,tier in (api,web)');
  });
});

describe('converging to a plan', () => {
  it('at the target: nothing to write; at the plan’s from: write; anything else: refuse naming what is live', () => {
    const h = history();
    const entry = planEntry('chat-service', h, h.revisions[1]!);
    expect(converge(h, entry, false)).toMatchObject({ action: 'write', target: { revision: 2 } });
    expect(converge(history('v1.2.0'), entry, false)).toMatchObject({ action: 'at-target' });
    const moved = converge(history('v1.1.0'), entry, false);
    expect(moved.action).toBe('refuse');
    expect(moved.action === 'refuse' && moved.message).toContain('someone deployed in between; nothing written');
    expect(converge(history('v1.1.0'), entry, true)).toMatchObject({ action: 'write' });
  });
});

describe('rollout status, as kubectl rollout status prints it', () => {
  const deployment = (status: Deployment['status'], generation = 3): Deployment => ({
    ...history().deployment,
    metadata: { ...history().deployment.metadata, generation },
    status,
  });
  it.each([
    [{ observedGeneration: 2 }, 'Waiting for deployment spec update to be observed...'],
    [
      { observedGeneration: 3, updatedReplicas: 1, replicas: 2 },
      'Waiting for deployment "chat-service" rollout to finish: 1 out of 2 new replicas have been updated...',
    ],
    [
      { observedGeneration: 3, updatedReplicas: 2, replicas: 3 },
      'Waiting for deployment "chat-service" rollout to finish: 1 old replicas are pending termination...',
    ],
    [
      { observedGeneration: 3, updatedReplicas: 2, replicas: 2, availableReplicas: 1 },
      'Waiting for deployment "chat-service" rollout to finish: 1 of 2 updated replicas are available...',
    ],
    [{ observedGeneration: 3, updatedReplicas: 2, replicas: 2, availableReplicas: 2 }, 'deployment "chat-service" successfully rolled out'],
  ])('%j → %s', (status, message) => {
    expect(rolloutState(deployment(status)).message).toBe(message);
  });
  it('a progress deadline exceeded is a failure, not a wait', () => {
    const state = rolloutState(
      deployment({ observedGeneration: 3, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }),
    );
    expect(state).toMatchObject({ done: false, failure: 'deployment "chat-service" exceeded its progress deadline' });
  });
});

describe('retry policy', () => {
  it('retries what the classifier allows and stops at what it does not', async () => {
    let calls = 0;
    const value = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw new Error('503');
        return 'ok';
      },
      () => ({ retry: true, delayMs: 0 }),
    );
    expect([value, calls]).toEqual(['ok', 3]);
    await expect(
      withRetry(
        async () => Promise.reject(new Error('400')),
        () => ({ retry: false }),
      ),
    ).rejects.toThrow('400');
  });

  it('stops when the next wait would pass the time budget, throwing the last failure', async () => {
    let calls = 0;
    const failing = withRetry(
      async () => {
        calls++;
        throw new Error('429');
      },
      () => ({ retry: true, delayMs: 50_000 }),
      { policy: { baseDelayMs: 1, maxDelayMs: 1, budgetMs: 10_000 } },
    );
    await expect(failing).rejects.toThrow('429');
    expect(calls).toBe(1);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3_000);
    expect(parseRetryAfter('Thu, 26 Nov 2026 10:00:05 GMT', Date.parse('2026-11-26T10:00:00Z'))).toBe(5_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('the configuration a pod template reads (snapshots)', () => {
  it('finds every ConfigMap and Secret: env, envFrom, volumes, projected volumes, init containers; once each', () => {
    const template = {
      spec: {
        initContainers: [{ name: 'migrate', envFrom: [{ secretRef: { name: 'db-credentials' } }] }],
        containers: [
          {
            name: 'app',
            env: [
              { name: 'A', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'a' } } },
              { name: 'B', valueFrom: { secretKeyRef: { name: 'api-keys', key: 'b' } } },
              { name: 'C', value: 'plain' },
            ],
            envFrom: [{ configMapRef: { name: 'app-config' } }],
          },
        ],
        volumes: [
          { name: 'v1', configMap: { name: 'nginx-conf' } },
          { name: 'v2', secret: { secretName: 'tls-cert' } },
          { name: 'v3', projected: { sources: [{ configMap: { name: 'ca-bundle' } }, { secret: { name: 'api-keys' } }] } },
          { name: 'v4', emptyDir: {} },
        ],
      },
    };
    expect(referencedConfig(template).map((r) => `${r.kind}/${r.name}`)).toEqual([
      'ConfigMap/app-config',
      'ConfigMap/ca-bundle',
      'ConfigMap/nginx-conf',
      'Secret/api-keys',
      'Secret/db-credentials',
      'Secret/tls-cert',
    ]);
  });

  it('shows a Secret value only as the start of its sha256, and names changed keys', () => {
    expect(shownValue('Secret', 'hunter2')).toBe('sha256:f52fbd32b2b3');
    expect(shownValue('ConfigMap', 'debug')).toBe('debug');
    expect(changedKeys({ metadata: { name: 'a' }, data: { x: '1', y: '2' } }, { metadata: { name: 'b' }, data: { x: '1', z: '3' } })).toEqual(['y', 'z']);
  });
});
