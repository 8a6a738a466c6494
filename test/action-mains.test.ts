import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { rollbackServiceSchema } from '../src/actions/rollback-service/inputs.js';
import { main as rollbackService } from '../src/actions/rollback-service/main.js';
import type { ActionContext } from '../src/core/action.js';
import type { Logger } from '../src/core/logger.js';
import { PhaseLog } from '../src/core/phase-log.js';
import type { RetryPolicy } from '../src/core/retry.js';
import { createRunClock, RELEASE_GRACE_MS } from '../src/core/run-clock.js';
import { createSecretRegistry } from '../src/core/secrets.js';
import { KubeClient } from '../src/kube/client.js';
import { acquireLease, LeaseHeldError, releaseLeaseIfHeld } from '../src/kube/lease.js';
import { startFaultProxy } from '../src/sandbox/fault-proxy.js';
import type { KubeEmulator } from '../src/sandbox/kube/index.js';
import { DEPLOYMENTS, kubeEmulators, LEASES, liveImage, NS, revisionAnnotation } from './helpers/kube-fixtures.js';

// `main` called in-process with its clients injected: no action process, no bundle, milliseconds per case.
// The e2e suite proves the same behaviour through dist/ and the runner's protocol.

const start = kubeEmulators();

function quietLog(lines: string[] = []): Logger {
  return { info: (m) => lines.push(m), warning: (m) => lines.push(`warning: ${m}`), debug: () => undefined, group: async (_n, body) => body() };
}

function contextFor(lines: string[] = [], limitMs = 30_000): ActionContext {
  const state: Record<string, string> = {};
  return {
    log: quietLog(lines),
    secrets: createSecretRegistry(),
    env: {},
    runId: 'keiko/platform/7/1/rollback',
    runUrl: undefined,
    actor: 'oncall',
    workspace: process.cwd(),
    tempDir: '/tmp',
    cancel: new AbortController().signal,
    clock: createRunClock(limitMs),
    phases: new PhaseLog(quietLog(lines)),
    saveState: (name, value) => {
      state[name] = value;
    },
  };
}

function kubeClientFor(emulator: KubeEmulator, context: ActionContext): KubeClient {
  const config = new KubeConfig();
  config.loadFromString(emulator.kubeconfig);
  return new KubeClient(config, context.log, { signal: context.clock.signal });
}

/** The emulator behind a fault proxy, and a client that talks through it. */
async function proxiedClient(ctx: { onTestFinished(fn: () => Promise<void>): void }, context: ActionContext, policy?: RetryPolicy) {
  const emulator = await start();
  const proxy = await startFaultProxy(emulator.url);
  ctx.onTestFinished(() => proxy.close());
  const config = new KubeConfig();
  config.loadFromString(emulator.kubeconfig.replace(emulator.url, proxy.url));
  const client = new KubeClient(config, context.log, { signal: context.clock.signal, ...(policy ? { policy } : {}) });
  return { emulator, proxy, client };
}

const inputs = (raw: Record<string, string>) => rollbackServiceSchema.parse({ namespace: NS, ...raw });

describe('rollback-service main with an injected Kubernetes client', () => {
  it('rolls back to the previous release, then says unchanged for the same plan', async () => {
    const emulator = await start();
    const context = contextFor();
    const first = await rollbackService(inputs({ services: 'chat-service' }), context, { kube: kubeClientFor(emulator, context) });
    expect(first.failure).toBeUndefined();
    expect(first.outputs['rolled-back']).toBe('chat-service');
    expect(liveImage(emulator, 'chat-service')).toMatch(/:v1\.2\.0$/);

    const again = contextFor();
    const second = await rollbackService(inputs({ services: 'chat-service', plan: first.outputs.plan ?? '' }), again, {
      kube: kubeClientFor(emulator, again),
    });
    expect(JSON.parse(second.outputs.result ?? '[]')[0].status).toBe('unchanged');
    expect(second.outputs['rolled-back']).toBe('');
  });

  it('a dry run plans absolute targets and writes nothing but dry-run patches', async () => {
    const emulator = await start();
    const before = revisionAnnotation(emulator.store.get(DEPLOYMENTS, NS, 'chat-service')!);
    const context = contextFor();
    const result = await rollbackService(inputs({ services: 'chat-service', 'dry-run': 'true' }), context, { kube: kubeClientFor(emulator, context) });
    const plan = JSON.parse(result.outputs.plan ?? '{}');
    expect(plan.services[0].from.version).toBe('v1.3.0');
    expect(plan.services[0].to.version).toBe('v1.2.0');
    expect(plan.services[0].to.hash).toMatch(/^[a-z0-9]+$/);
    expect(plan.services[0].to.revision).toBe(2);
    expect(revisionAnnotation(emulator.store.get(DEPLOYMENTS, NS, 'chat-service')!)).toBe(before);
    expect(emulator.store.list(LEASES, NS)).toEqual([]);
  });
});

describe('the Lease that keeps two runs apart', () => {
  it('a second holder waits and gives up naming the first; released, it is free; release by a stranger does nothing', async () => {
    const emulator = await start();
    const context = contextFor();
    const client = kubeClientFor(emulator, context);
    const options = { namespace: NS, name: 'keiko-rollback-chat-service', log: context.log, signal: context.clock.signal, pollMs: 10 };
    const first = await acquireLease(client, { ...options, holder: 'run-a', deadline: Date.now() + 5_000 });
    // deadline already passed: the second run sees the holder once and gives up, no timing involved
    await expect(acquireLease(client, { ...options, holder: 'run-b', deadline: Date.now() - 1 })).rejects.toThrow(LeaseHeldError);
    await expect(acquireLease(client, { ...options, holder: 'run-b', deadline: Date.now() - 1 })).rejects.toThrow(/held by run-a/);
    expect(await releaseLeaseIfHeld(client, NS, options.name, 'run-b')).toBe(false);
    await first.release();
    const second = await acquireLease(client, { ...options, holder: 'run-b', deadline: Date.now() - 1 });
    expect(second.holder).toBe('run-b');
    await second.release();
  });

  it('a create whose answer was lost is read back: the Lease this run turns out to hold is deleted', async (ctx) => {
    const context = contextFor();
    // no retry left (the run's time is as good as up): the lost create is the last word of acquireLease
    const { emulator, proxy, client } = await proxiedClient(ctx, context, { baseDelayMs: 1, maxDelayMs: 1, budgetMs: 0 });
    proxy.add({ fault: { kind: 'lose' }, method: 'POST', path: '/leases', times: 1 });
    const name = 'keiko-rollback-chat-service';
    await expect(
      acquireLease(client, { namespace: NS, name, holder: 'run-d', log: context.log, signal: context.clock.signal, deadline: Date.now() + 5_000 }),
    ).rejects.toThrow();
    // the server did create it (the answer was what got lost), and the run deleted it after reading it back
    expect(proxy.requests.map((r) => `${r.method} ${r.outcome}`)).toEqual(['POST lost', 'GET 200', 'DELETE 200']);
    expect(emulator.store.list(LEASES, NS)).toEqual([]);
  });

  it('with less than the release grace of the run left, no create is sent: nothing written, the reason named', async (ctx) => {
    const context = contextFor();
    const { proxy, client } = await proxiedClient(ctx, context);
    const name = 'keiko-rollback-chat-service';
    const options = { namespace: NS, name, holder: 'run-e', log: context.log, signal: context.clock.signal };
    await expect(acquireLease(client, { ...options, deadline: Date.now() + 60_000, runEnds: Date.now() + RELEASE_GRACE_MS - 1 })).rejects.toThrow(
      /lease keiko-rollback-chat-service not taken: less than 4s of the run's timeout was left.*nothing written/,
    );
    expect(proxy.requests).toEqual([]);
  });

  it('a create still unanswered when only the release grace is left is given up and read back; no Lease stays', async (ctx) => {
    const context = contextFor();
    const { emulator, proxy, client } = await proxiedClient(ctx, context);
    proxy.add({ fault: { kind: 'hang' }, method: 'POST', path: '/leases', times: 1 });
    const name = 'keiko-rollback-chat-service';
    const runEnds = Date.now() + RELEASE_GRACE_MS + 200;
    await expect(
      acquireLease(client, { namespace: NS, name, holder: 'run-f', log: context.log, signal: context.clock.signal, deadline: runEnds, runEnds }),
    ).rejects.toThrow(/not taken: less than 4s/);
    expect(proxy.requests.map((r) => `${r.method} ${r.outcome}`)).toEqual(['POST hang', 'GET 404']);
    expect(emulator.store.list(LEASES, NS)).toEqual([]);
  });

  it('an expired Lease (its holder died) is taken over', async () => {
    const emulator = await start();
    const context = contextFor();
    const client = kubeClientFor(emulator, context);
    const name = 'keiko-rollback-search-service';
    const longAgo = '2020-01-01T00:00:00.000000Z';
    emulator.store.create(LEASES, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: NS },
      spec: { holderIdentity: 'dead-run', leaseDurationSeconds: 60, acquireTime: longAgo, renewTime: longAgo },
    });
    expect(emulator.store.get(LEASES, NS, name)).toBeDefined();
    const held = await acquireLease(client, { namespace: NS, name, holder: 'run-c', log: context.log, signal: context.clock.signal, deadline: Date.now() - 1 });
    expect(held.holder).toBe('run-c');
    await held.release();
  });
});
