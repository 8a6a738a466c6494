import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { rollbackServiceSchema } from '../src/actions/rollback-service/inputs.js';
import { main as rollbackService } from '../src/actions/rollback-service/main.js';
import type { ActionContext } from '../src/core/action.js';
import type { Logger } from '../src/core/logger.js';
import { PhaseLog } from '../src/core/phase-log.js';
import { createRunClock } from '../src/core/run-clock.js';
import { createSecretRegistry } from '../src/core/secrets.js';
import { KubeApiError, KubeClient } from '../src/kube/client.js';
import { Informer, selectorMatches } from '../src/kube/informer.js';
import { waitForRollout } from '../src/kube/rollout-watch.js';
import { type Deployment, deploymentPath } from '../src/kube/types.js';
import type { KubeEmulator } from '../src/sandbox/kube/index.js';
import { DEPLOYMENTS, kubeEmulators, NS } from './helpers/kube-fixtures.js';

// The shared watches of a fleet rollback: what a rollout's wait sees through them, in-process against the emulator.

const start = kubeEmulators();
const log: Logger = { info: () => undefined, warning: () => undefined, debug: () => undefined, group: async (_n, body) => body() };

function clientFor(emulator: KubeEmulator, signal: AbortSignal): KubeClient {
  const config = new KubeConfig();
  config.loadFromString(emulator.kubeconfig);
  return new KubeClient(config, log, { signal });
}

/** A run's context for calling rollback-service's main in-process. */
function contextFor(runId: string): ActionContext {
  return {
    log,
    secrets: createSecretRegistry(),
    env: {},
    runId,
    runUrl: undefined,
    actor: 'oncall',
    workspace: process.cwd(),
    tempDir: '/tmp',
    cancel: new AbortController().signal,
    clock: createRunClock(60_000),
    phases: new PhaseLog(log),
    saveState: () => undefined,
  };
}

/** Resolves once the informer has listed (its first event for `name` arrived). */
function synced<T extends { metadata: { name: string } }>(informer: Informer<T>, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = informer.subscribe(
      (o) => o.metadata.name === name,
      () => {
        resolve();
        queueMicrotask(() => stop());
      },
      reject,
    );
  });
}

describe('a fleet rollback reads and watches once per namespace', () => {
  it('five services rolled back at once use one watch of deployments and one of pods, not one of each per service', async () => {
    const emulator = await start();
    const signal = AbortSignal.timeout(60_000);
    const context = contextFor('keiko/platform/9/1/rollback');
    const services = 'chat-service,search-service,document-service,auth-service,gateway-bff';
    const result = await rollbackService(rollbackServiceSchema.parse({ namespace: NS, services }), context, { kube: clientFor(emulator, signal) });
    expect((JSON.parse(result.outputs.result ?? '[]') as { status: string }[]).map((r) => r.status)).toEqual(Array(5).fill('rolled-back'));
    const watches = emulator.requests.filter((r) => r.verb === 'watch').map((r) => r.resource);
    expect(watches.sort()).toEqual(['deployments', 'pods']);
    // planned from one list of deployments and one of ReplicaSets, not a read of each per service
    const reads = emulator.requests.filter((r) => (r.verb === 'get' || r.verb === 'list') && (r.resource === 'deployments' || r.resource === 'replicasets'));
    expect(reads.map((r) => `${r.verb} ${r.resource}`).sort()).toEqual(['list deployments', 'list deployments', 'list replicasets']);
  });

  it('among several services, one that does not exist is refused with the API server’s own 404, before anything is written', async () => {
    const emulator = await start();
    const context = contextFor('keiko/platform/9/2/rollback');
    const inputs = rollbackServiceSchema.parse({ namespace: NS, services: 'chat-service,no-such-service' });
    await expect(rollbackService(inputs, context, { kube: clientFor(emulator, AbortSignal.timeout(60_000)) })).rejects.toThrow(
      /names deployment "no-such-service", which does not exist in namespace "keiko-production"/,
    );
    expect(emulator.requests.filter((r) => r.verb === 'get' && r.resource === 'deployments').map((r) => r.name)).toEqual(['no-such-service']);
    expect(emulator.requests.some((r) => r.verb === 'patch' || r.verb === 'create')).toBe(false);
  });

  it('a cached object from before the patch (a lower generation) is not taken for the finished rollout', async () => {
    const emulator = await start({ controller: { podReadyMs: 200, podTerminateMs: 10 } });
    const signal = AbortSignal.timeout(30_000);
    const client = clientFor(emulator, signal);
    const informer = new Informer<Deployment>(client, deploymentPath(NS), {}, { signal, log });
    try {
      // the cache holds chat-service complete at its current generation before anything is patched
      await synced(informer, 'chat-service');
      const before = emulator.store.get(DEPLOYMENTS, NS, 'chat-service') as unknown as Deployment;
      const patched = await client.request<Deployment>('PATCH', deploymentPath(NS, 'chat-service'), {
        contentType: 'application/strategic-merge-patch+json',
        body: { spec: { template: { metadata: { annotations: { 'keiko.test/restart': '1' } } } } },
      });
      expect(patched.metadata.generation).toBeGreaterThan(before.metadata.generation ?? 0);
      const outcome = await waitForRollout(client, patched, { signal, log, deployments: informer });
      expect(outcome.state.done).toBe(true);
      expect(outcome.deployment.metadata.generation).toBe(patched.metadata.generation);
      expect(outcome.deployment.status?.observedGeneration).toBe(patched.metadata.generation);
    } finally {
      informer.stop();
    }
  });

  it('a watch the API refuses for good (403) reaches every subscriber at once, named, instead of a wait until the timeout', async () => {
    const emulator = await start();
    emulator.fault({ verb: 'watch', status: 403, times: 1 });
    const signal = AbortSignal.timeout(30_000);
    const informer = new Informer<Deployment>(clientFor(emulator, signal), deploymentPath(NS), {}, { signal, log });
    const error = await new Promise<unknown>((resolve) =>
      informer.subscribe(
        () => true,
        () => undefined,
        resolve,
      ),
    );
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).code).toBe(403);
    // a late subscriber hears the same refusal
    await expect(
      new Promise((_, reject) =>
        informer.subscribe(
          () => true,
          () => undefined,
          reject,
        ),
      ),
    ).rejects.toBe(error);
    informer.stop();
  });
});

describe('selectorMatches (client-side, as the API server selects)', () => {
  const selector = {
    matchLabels: { app: 'chat', 'pod-template-hash': 'abc' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['web', 'api'] },
      { key: 'canary', operator: 'DoesNotExist' },
      { key: 'track', operator: 'NotIn', values: ['test'] },
      { key: 'team', operator: 'Exists' },
    ],
  };
  const labels = { app: 'chat', 'pod-template-hash': 'abc', tier: 'web', team: 'x' };
  it.each([
    ['all terms hold', labels, true],
    ['another hash', { ...labels, 'pod-template-hash': 'def' }, false],
    ['tier not in the set', { ...labels, tier: 'db' }, false],
    ['a canary label present', { ...labels, canary: '' }, false],
    ['track in the excluded set', { ...labels, track: 'test' }, false],
    ['track outside the excluded set', { ...labels, track: 'stable' }, true],
    ['no team label', { app: 'chat', 'pod-template-hash': 'abc', tier: 'web' }, false],
  ])('%s', (_name, value, expected) => {
    expect(selectorMatches(selector, value)).toBe(expected);
  });
});
