import { describe, expect, it } from 'vitest';
import { type FaultProxy, refusedUrl, startFaultProxy } from '../../src/sandbox/fault-proxy.js';
import { type KubeEmulator, runbookFixture, startKubeEmulator } from '../../src/sandbox/kube/index.js';
import { expectNamedOutcome, httpFaults, timed } from '../helpers/fault-matrix.js';
import { LEASES, NS } from '../helpers/kube-fixtures.js';
import { runAction } from '../helpers/run-action.js';

// a Lease not taken in a run's last seconds says so: nothing was written, the run's timeout is what to raise
const KUBE = /Kubernetes API|timed out after|of the run's timeout was left/;
const statusBody = (code: number, message: string): string =>
  JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    message,
    reason: code === 401 ? 'Unauthorized' : code === 403 ? 'Forbidden' : code === 429 ? 'TooManyRequests' : 'ServiceUnavailable',
    code,
  });
const FAULTS = httpFaults({ writeMethod: 'PATCH', writePath: '/deployments/', errorBody: statusBody });

type Ctx = { onTestFinished: (fn: () => Promise<void>) => void };

async function setup(ctx: Ctx, rule: (typeof FAULTS)[number]['rule']): Promise<{ e: KubeEmulator; kubeconfig: string; proxy?: FaultProxy }> {
  // tests run concurrently: each closes only what it opened, through its own test context
  const open = (server: { close(): Promise<void> }): void => ctx.onTestFinished(() => server.close());
  const e = await startKubeEmulator({ fixture: runbookFixture() });
  open(e);
  if (!rule) return { e, kubeconfig: e.kubeconfig.replace(e.url, await refusedUrl()) };
  const proxy = await startFaultProxy(e.url);
  open(proxy);
  proxy.add(rule);
  return { e, kubeconfig: e.kubeconfig.replace(e.url, proxy.url), proxy };
}

describe.concurrent('Kubernetes API faults: every action ends in time, names the API, leaves no Lease', () => {
  for (const fault of FAULTS) {
    it(`rollback-service: ${fault.name}`, async (ctx) => {
      const { e, kubeconfig } = await setup(ctx, fault.rule);
      // a lost answer is read back and the rollout waited for: it gets the time a rollout needs
      const limit = fault.converges ? 60_000 : 6_000;
      const { result: run, elapsedMs } = await timed((onStdout) =>
        runAction('rollback-service', { environment: 'production', services: 'chat-service', kubeconfig, timeout: `${limit / 1000}s` }, { onStdout }),
      );
      expectNamedOutcome(run, elapsedMs, limit, KUBE);
      expect(e.store.list(LEASES, NS), 'no Lease left behind').toEqual([]);
      if (fault.converges) expect((JSON.parse(run.outputs.result ?? '[]') as { status: string }[])[0]?.status, run.stdout).toBe('rolled-back');
    });

    it(`emergency-reroute: ${fault.name}`, async (ctx) => {
      const { e, kubeconfig } = await setup(
        ctx,
        fault.rule && fault.name.startsWith('lost') ? { ...fault.rule, path: '/deployments/gateway-bff' } : fault.rule,
      );
      const { result: run, elapsedMs } = await timed((onStdout) =>
        runAction('emergency-reroute', { environment: 'production', kubeconfig, timeout: '6s', 'ingress-manifest': '' }, { onStdout }),
      );
      expectNamedOutcome(run, elapsedMs, 6_000, KUBE);
      expect(e.store.list(LEASES, NS), 'no Lease left behind').toEqual([]);
    });

    it(`verify (namespace only): ${fault.name}`, async (ctx) => {
      const { kubeconfig } = await setup(ctx, fault.rule);
      const { result: run, elapsedMs } = await timed((onStdout) =>
        runAction(
          'verify',
          { environment: 'production', kubeconfig, timeout: '6s', retries: '1', 'retry-interval': '1s', 'request-timeout': '2s' },
          { onStdout },
        ),
      );
      expectNamedOutcome(run, elapsedMs, 6_000, /Kubernetes API|unhealthy/);
    });
  }
});
