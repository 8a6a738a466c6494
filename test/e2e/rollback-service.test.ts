import { describe, expect, it } from 'vitest';
import { type KubeEmulator, runbookFixture } from '../../src/sandbox/kube/index.js';
import { DEPLOYMENTS, kubeEmulators, liveImage, NS, REPLICA_SETS, revisionAnnotation, writes } from '../helpers/kube-fixtures.js';
import { runAction } from '../helpers/run-action.js';

const start = kubeEmulators();
const emulator = (fixture = runbookFixture()): Promise<KubeEmulator> => start({ fixture });

interface Result {
  service: string;
  status: string;
  'from-revision': number;
  'to-revision': number;
  'from-version': string;
  'to-version': string;
  'to-images': string[];
  message: string;
}

const parse = (text: string | undefined): Result[] => JSON.parse(text ?? '[]') as Result[];
const rollback = (e: KubeEmulator, inputs: Record<string, string>) =>
  runAction('rollback-service', { environment: 'production', kubeconfig: e.kubeconfig, ...inputs });

describe('rollback-service (dist bundle against the emulator)', () => {
  it('rolls back to the previous revision exactly as kubectl would, and reports it', async () => {
    const e = await emulator();
    const run = await rollback(e, { services: 'chat-service' });
    expect(run.code, run.stdout).toBe(0);
    const [result] = parse(run.outputs.result);
    expect(result).toMatchObject({
      service: 'chat-service',
      status: 'rolled-back',
      'from-revision': 3,
      'to-revision': 2,
      'from-version': 'v1.3.0',
      'to-version': 'v1.2.0',
    });
    expect(run.outputs['rolled-back']).toBe('chat-service');
    expect(run.outputs.failed).toBe('');
    expect(liveImage(e, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.2.0');
    expect(revisionAnnotation(e.store.get(DEPLOYMENTS, NS, 'chat-service')!)).toBe('4');
    expect(run.stdout).toContain('chat-service: Waiting for deployment');
    expect(run.stdout).toContain('chat-service: deployment "chat-service" successfully rolled out');
    expect(run.summary).toContain('| chat-service | ✅ rolled-back | v1.3.0 → v1.2.0 | 3 → 2 |');
    expect(run.summary).toContain('Revision history of chat-service');
    // every action ends its summary with its phases and their times
    expect(run.summary).toMatch(/_Phases: Plan \d[\d.]*m?s · Converge \d[\d.]*m?s_\s*$/);
    expect(run.summary).toMatch(/\| 2 \(target\) \| registry.keiko.io\/chat-service:v1.2.0 \| deploy chat-service v1.2.0 \|/);
    // where the step's first milliseconds went, for step debug logging (and npm run bench): each moment after the one before
    const startup = /::debug::startup \(ms after the process started\): node (\d+), bundle (\d+), action (\d+), inputs (\d+), clients (\d+)$/m.exec(run.stdout);
    expect(startup, run.stdout).not.toBeNull();
    const moments = (startup ?? []).slice(1).map(Number);
    expect(moments).toEqual([...moments].sort((a, b) => a - b));
  });

  it('rolls back to revision:N and to a version tag', async () => {
    const e = await emulator();
    const byRevision = await rollback(e, { services: 'chat-service', target: 'revision:1' });
    expect(parse(byRevision.outputs.result)[0]).toMatchObject({ status: 'rolled-back', 'to-version': 'v1.1.0' });
    expect(liveImage(e, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.1.0');
    const byVersion = await rollback(e, { services: 'search-service', target: 'v1.2.0', container: 'search-service' });
    expect(parse(byVersion.outputs.result)[0]).toMatchObject({ status: 'rolled-back', 'to-revision': 2, 'to-version': 'v1.2.0' });
    expect(liveImage(e, 'search-service')).toBe('registry.keiko.io/search-service:v1.2.0');
  });

  it('writes nothing when already at the target', async () => {
    const e = await emulator();
    const run = await rollback(e, { services: 'chat-service', target: 'v1.3.0' });
    expect(run.code).toBe(0);
    expect(parse(run.outputs.result)[0]).toMatchObject({ status: 'unchanged' });
    expect(writes(e)).toEqual([]);
  });

  it('dry-run sends the patch only with dryRun=All and takes no lease', async () => {
    const e = await emulator();
    const run = await rollback(e, { services: 'chat-service,search-service', 'dry-run': 'true' });
    expect(run.code).toBe(0);
    expect(parse(run.outputs.result).map((r) => r.status)).toEqual(['planned', 'planned']);
    expect(writes(e)).toEqual([
      { verb: 'patch', resource: 'deployments', dryRun: true },
      { verb: 'patch', resource: 'deployments', dryRun: true },
    ]);
    expect(liveImage(e, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.3.0');
    expect(run.summary).toContain('(dry run)');
  });

  it('rolls four services back at once', async () => {
    const e = await emulator();
    const run = await rollback(e, { services: 'chat-service,search-service,document-service,auth-service', target: 'v1.2.0' });
    expect(run.code).toBe(0);
    expect(run.outputs['rolled-back']).toBe('chat-service,search-service,document-service,auth-service');
    for (const name of ['chat-service', 'search-service', 'document-service', 'auth-service'])
      expect(liveImage(e, name)).toBe(`registry.keiko.io/${name}:v1.2.0`);
    const order = e.requests
      .filter((r) => (r.verb === 'patch' && r.resource === 'deployments') || (r.verb === 'delete' && r.resource === 'leases'))
      .map((r) => r.verb);
    // all four patches go out before the first rollout finishes and releases its lease
    expect(order.slice(0, 4)).toEqual(['patch', 'patch', 'patch', 'patch']);
  });

  it('one of four failing: the others complete, the step fails and names it with the pod reason', async () => {
    const fixture = runbookFixture();
    const auth = fixture.namespaces[0]!.deployments!.find((d) => d.name === 'auth-service')!;
    auth.progressDeadlineSeconds = 100;
    const e = await emulator(fixture);
    e.markBadImage('registry.keiko.io/auth-service:v1.2.0', 'ImagePullBackOff');
    const run = await rollback(e, { services: 'chat-service,search-service,auth-service,document-service' });
    expect(run.code).toBe(1);
    expect(run.outputs.failed).toBe('auth-service');
    expect(run.outputs['rolled-back']).toBe('chat-service,search-service,document-service');
    const failed = parse(run.outputs.result).find((r) => r.service === 'auth-service')!;
    expect(failed.message).toContain('deployment "auth-service" exceeded its progress deadline');
    expect(failed.message).toMatch(/container auth-service ImagePullBackOff \(image registry.keiko.io\/auth-service:v1.2.0\)/);
    expect(run.errorLines).toHaveLength(1);
    expect(run.errorLines[0]).toContain('rollback failed for auth-service');
  });

  it('fails a crash-looping rollout as soon as a container has restarted 3 times, with the reason', async () => {
    const e = await emulator();
    e.markBadImage('registry.keiko.io/chat-service:v1.2.0', 'CrashLoopBackOff');
    const run = await rollback(e, { services: 'chat-service', timeout: '5m' });
    expect(run.code).toBe(1);
    const [result] = parse(run.outputs.result);
    expect(result?.message).toMatch(
      /^the new pods cannot start: pod chat-service-\w+-\w{5}: container chat-service CrashLoopBackOff \(image registry.keiko.io\/chat-service:v1.2.0, [3-9] restarts\)/,
    );
    expect(e.store.list(REPLICA_SETS, NS).length).toBeGreaterThan(0);
    expect(e.requests.some((r) => r.verb === 'delete' && r.resource === 'leases')).toBe(true);
  });

  it('keeps the kubeconfig token out of stdout, stderr, the summary and the outputs', async () => {
    const e = await emulator();
    e.fault({ verb: 'get', status: 500 });
    const run = await rollback(e, { services: 'chat-service' });
    expect(run.code).toBe(0);
    expect(run.visible).not.toContain(e.token);
    const bad = await rollback(e, { services: 'chat-service', context: 'nope' });
    expect(bad.visible).not.toContain(e.token);
  });
});
