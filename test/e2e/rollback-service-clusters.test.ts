import { describe, expect, it } from 'vitest';
import type { KubeEmulator } from '../../src/sandbox/kube/index.js';
import { kubeconfigOf, kubeEmulators, LEASES, liveImage, NS, writes } from '../helpers/kube-fixtures.js';
import { runAction } from '../helpers/run-action.js';

const start = kubeEmulators();

interface Result {
  service: string;
  context?: string;
  status: string;
  'to-version': string;
  message: string;
}

const parse = (text: string | undefined): Result[] => JSON.parse(text ?? '[]') as Result[];
const rollback = (kubeconfig: string, inputs: Record<string, string>, env: Record<string, string> = {}) =>
  runAction('rollback-service', { environment: 'production', kubeconfig, ...inputs }, { env });

async function twoClusters(): Promise<{ eu: KubeEmulator; us: KubeEmulator; kubeconfig: string }> {
  const [eu, us] = await Promise.all([start(), start()]);
  if (!eu || !us) throw new Error('emulators did not start');
  return { eu, us, kubeconfig: kubeconfigOf({ 'prod-eu': eu, 'arn:aws:eks:us-east-1:1:cluster/prod-us': us }) };
}

const US = 'arn:aws:eks:us-east-1:1:cluster/prod-us';

describe('several clusters at once (`contexts`)', () => {
  it('rolls the same rollback out to each cluster; a release that fails in one never stops the other', async () => {
    const { eu, us, kubeconfig } = await twoClusters();
    // in prod-us the previous release of chat-service cannot be pulled: that cluster's chat-service fails
    us.markBadImage('registry.keiko.io/chat-service:v1.2.0', 'ImagePullBackOff');
    const run = await rollback(kubeconfig, { services: 'chat-service,search-service', contexts: `prod-eu, ${US}`, 'fail-after': '2s' });
    expect(run.code, run.stdout).toBe(1);
    const results = parse(run.outputs.result).map((r) => [r.context, r.service, r.status]);
    expect(results).toEqual([
      ['prod-eu', 'chat-service', 'rolled-back'],
      ['prod-eu', 'search-service', 'rolled-back'],
      [US, 'chat-service', 'failed'],
      [US, 'search-service', 'rolled-back'],
    ]);
    expect(run.outputs['rolled-back']).toBe(`chat-service@prod-eu,search-service@prod-eu,search-service@${US}`);
    expect(run.outputs.failed).toBe(`chat-service@${US}`);
    expect(liveImage(eu, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.2.0');
    expect(liveImage(us, 'search-service')).toBe('registry.keiko.io/search-service:v1.2.0');
    // each cluster got its own Lease per service, and released it
    for (const e of [eu, us]) {
      expect(e.requests.filter((r) => r.resource === 'leases' && r.verb === 'create')).toHaveLength(2);
      expect(e.store.list(LEASES, NS)).toEqual([]);
    }
    expect(run.stdout).toContain('[prod-eu]   chat-service: deployment "chat-service" successfully rolled out');
    expect(run.stdout).toContain(`[${US}] ✗ chat-service: failed`);
    expect(run.errorLines).toHaveLength(1);
    expect(run.errorLines[0]).toContain(`${US}: rollback failed for chat-service`);
    expect(run.summary).toContain('## ❌ Service rollback in 2 clusters');
    expect(run.summary).toMatch(/\| `prod-eu` \| ✅ \| 2 rolled back, 0 unchanged, 0 failed \|/);
    expect(run.summary).toContain(`### Cluster \`${US}\``);
    expect(run.summary).toContain('| chat-service | ❌ failed |');
  });

  it('a cluster that cannot be reached is reported; the other still rolls back', async () => {
    const { eu, us, kubeconfig } = await twoClusters();
    await us.close();
    const run = await rollback(kubeconfig, { services: 'chat-service', contexts: `prod-eu,${US}`, timeout: '20s' });
    expect(run.code).toBe(1);
    expect(parse(run.outputs.result).map((r) => [r.context, r.status])).toEqual([
      ['prod-eu', 'rolled-back'],
      [US, 'failed'],
    ]);
    expect(parse(run.outputs.result)[1]?.message).toMatch(/^not planned: .*Kubernetes API.*; nothing written in arn:aws:eks/);
    expect(liveImage(eu, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.2.0');
    expect(JSON.parse(run.outputs.plan ?? '[]').map((p: { context: string }) => p.context)).toEqual(['prod-eu']);
  });

  it('a dry run makes one plan per cluster; that plan alone, approved, rolls both clusters back and then says unchanged', async () => {
    const { eu, us, kubeconfig } = await twoClusters();
    const dry = await rollback(kubeconfig, { services: 'chat-service', contexts: `prod-eu,${US}`, 'dry-run': 'true' });
    expect(dry.code, dry.stdout).toBe(0);
    const plans = JSON.parse(dry.outputs.plan ?? '[]') as { context: string; namespace: string; services: { to: { version: string } }[] }[];
    expect(plans.map((p) => [p.context, p.namespace, p.services[0]?.to.version])).toEqual([
      ['prod-eu', NS, 'v1.2.0'],
      [US, NS, 'v1.2.0'],
    ]);
    expect([...writes(eu), ...writes(us)].every((w) => w.dryRun)).toBe(true);
    const approved = await rollback(kubeconfig, { plan: dry.outputs.plan ?? '' });
    expect(approved.code, approved.stdout).toBe(0);
    expect(parse(approved.outputs.result).map((r) => [r.context, r.status])).toEqual([
      ['prod-eu', 'rolled-back'],
      [US, 'rolled-back'],
    ]);
    expect(liveImage(us, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.2.0');
    const again = await rollback(kubeconfig, { plan: dry.outputs.plan ?? '' });
    expect(parse(again.outputs.result).map((r) => r.status)).toEqual(['unchanged', 'unchanged']);
  });

  it('the post step releases the Leases a cancelled run left, each in its own cluster', async () => {
    const { eu, us, kubeconfig } = await twoClusters();
    const holder = 'keiko/platform/4244/1/rollback';
    const now = new Date().toISOString();
    for (const e of [eu, us])
      e.store.create(LEASES, {
        metadata: { name: 'keiko-rollback-chat-service', namespace: NS },
        spec: { holderIdentity: holder, leaseDurationSeconds: 60, acquireTime: now, renewTime: now },
      });
    const leases = ['prod-eu', US].map((context) => ({ namespace: NS, name: 'keiko-rollback-chat-service', holder, context }));
    const post = await runAction(
      'rollback-service',
      { services: 'chat-service', environment: 'production', kubeconfig, contexts: `prod-eu,${US}` },
      { entry: 'post', state: { 'held-leases': JSON.stringify({ version: 2, leases }) }, env: { GITHUB_RUN_ID: '4244' } },
    );
    expect(post.code).toBe(0);
    expect(post.stdout).toContain(`released lease keiko-rollback-chat-service in ${US} left by a cancelled rollback`);
    expect(eu.store.list(LEASES, NS)).toEqual([]);
    expect(us.store.list(LEASES, NS)).toEqual([]);
  });

  it.each([
    [{ contexts: 'prod-eu,prod-ap' }, '::error::Input \'contexts\' names "prod-ap", which is not a context of the kubeconfig (it has: prod-eu, arn:aws'],
    [{ contexts: 'prod-eu', context: 'prod-eu' }, "::error::Input 'contexts' cannot be combined with `context`"],
    [{ contexts: 'prod eu' }, '::error::Input \'contexts\' has "prod eu", which is not a kubeconfig context name'],
  ])('bad input %j: one ::error:: naming the input, nothing written in any cluster', async (inputs, line) => {
    const { eu, us, kubeconfig } = await twoClusters();
    const run = await rollback(kubeconfig, { services: 'chat-service', ...inputs });
    expect(run.code).toBe(1);
    expect(run.errorLines).toHaveLength(1);
    expect(run.errorLines[0]?.startsWith(line), run.errorLines[0]).toBe(true);
    expect([...writes(eu), ...writes(us)]).toEqual([]);
  });

  it('a plan made for one cluster is refused with `contexts`, naming the input', async () => {
    const { eu, kubeconfig } = await twoClusters();
    const dry = await rollback(kubeconfig, { services: 'chat-service', 'dry-run': 'true' });
    const run = await rollback(kubeconfig, { plan: dry.outputs.plan ?? '', contexts: `prod-eu,${US}` });
    expect(run.errorLines).toEqual([expect.stringMatching(/^::error::Input 'plan' was made for one cluster: to roll back several/)]);
    expect(writes(eu).filter((w) => !w.dryRun)).toEqual([]);
  });
});
