import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KubeEmulator, KubeEmulatorOptions } from '../../src/sandbox/kube/index.js';
import { atTerminal } from '../helpers/cli.js';
import { kubeEmulators, LEASES, liveImage, NS, writes } from '../helpers/kube-fixtures.js';
import { kubectlFor } from '../helpers/kubectl.js';
import { hasStackTrace, ROOT, runAction } from '../helpers/run-action.js';

const start = kubeEmulators();
const emulator = (controller: KubeEmulatorOptions['controller'] = {}): Promise<KubeEmulator> => start({ controller });

interface Result {
  service: string;
  status: string;
  'from-version': string;
  'to-version': string;
  message: string;
  live?: { revision: number; version: string; ready: number; desired: number; current: boolean }[];
  next?: string[];
}
const parse = (text: string | undefined): Result[] => JSON.parse(text ?? '[]') as Result[];
const rollback = (e: KubeEmulator, inputs: Record<string, string>, options: Parameters<typeof runAction>[2] = {}) =>
  runAction('rollback-service', { environment: 'production', kubeconfig: e.kubeconfig, ...inputs }, options);
const deploymentWrites = (e: KubeEmulator, since = 0): number =>
  e.requests.slice(since).filter((r) => r.resource === 'deployments' && ['patch', 'update', 'create'].includes(r.verb) && r.query.dryRun !== 'All').length;

describe('reruns converge: never back to the release a rollback moved away from', () => {
  it('previous twice stays on v1.2.0, with no second write, and says who rolled back from what', async () => {
    const e = await emulator();
    const first = await rollback(e, { services: 'chat-service' });
    expect(parse(first.outputs.result)[0]).toMatchObject({ status: 'rolled-back', 'from-version': 'v1.3.0', 'to-version': 'v1.2.0' });
    const second = await rollback(e, { services: 'chat-service' }, { env: { GITHUB_RUN_ID: '4242' } });
    expect(second.code, second.stdout).toBe(0);
    const [again] = parse(second.outputs.result);
    expect(again?.status).toBe('unchanged');
    expect(again?.message).toMatch(
      /^already at v1\.2\.0, put there by a rollback \(keiko\/platform\/\d+\/1\/rollback rolled back from v1\.3\.0 \(revision 3\) to v1\.2\.0 at .*\); previous never returns to a release a rollback moved away from; deployment "chat-service" successfully rolled out$/,
    );
    expect(deploymentWrites(e)).toBe(1);
    expect(liveImage(e, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.2.0');
    // an explicit return to the release a rollback moved away from needs force
    const back = await rollback(e, { services: 'chat-service', target: 'v1.3.0' });
    expect(back.errorLines).toHaveLength(1);
    expect(back.errorLines[0]).toContain("Input 'target' v1.3.0 of chat-service is v1.3.0, the release a rollback moved away from");
    expect(back.errorLines[0]).toContain('set force: true to go back to it anyway');
    expect(deploymentWrites(e)).toBe(1);
  });

  it('a plan re-run after success writes nothing; a stale plan is refused for that service, naming what is live', async () => {
    const e = await emulator();
    const dry = await rollback(e, { services: 'chat-service,search-service', 'dry-run': 'true' });
    const plan = dry.outputs.plan ?? '';
    expect(JSON.parse(plan)).toMatchObject({
      version: 1,
      kind: 'keiko-rollback/service-plan',
      namespace: NS,
      services: [{ service: 'chat-service', from: { version: 'v1.3.0', revision: 3 }, to: { version: 'v1.2.0', revision: 2 } }, { service: 'search-service' }],
    });
    const first = await rollback(e, { plan, environment: '' });
    expect(first.code, first.stdout).toBe(0);
    expect(parse(first.outputs.result).map((r) => r.status)).toEqual(['rolled-back', 'rolled-back']);
    const again = await rollback(e, { plan, environment: '' });
    expect(parse(again.outputs.result).map((r) => r.status)).toEqual(['unchanged', 'unchanged']);
    expect(deploymentWrites(e)).toBe(2);

    const other = await emulator();
    const stalePlan = (await rollback(other, { services: 'chat-service', 'dry-run': 'true' })).outputs.plan ?? '';
    expect(
      (await kubectlFor(other.kubeconfig)('set', 'image', 'deployment/chat-service', '-n', NS, 'chat-service=registry.keiko.io/chat-service:v1.4.0')).code,
    ).toBe(0);
    const mark = other.requests.length;
    const stale = await rollback(other, { plan: stalePlan, environment: '' });
    expect(stale.code).toBe(1);
    const [refused] = parse(stale.outputs.result);
    expect(refused?.status).toBe('failed');
    expect(refused?.message).toMatch(
      /^live is v1\.4\.0 \(revision 4, template \w+\), but the plan expected v1\.3\.0 \(revision 3, template \w+\): someone deployed in between; nothing written/,
    );
    expect(deploymentWrites(other, mark)).toBe(0);
    expect(liveImage(other, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.4.0');
  });

  it('a bad plan input is one error naming plan, nothing written', async () => {
    const e = await emulator();
    for (const [plan, line] of [
      ['{not json', "::error::Input 'plan' is not JSON"],
      ['{"version":2,"kind":"keiko-rollback/service-plan"}', "::error::Input 'plan' has version 2"],
      [
        '{"version":1,"kind":"keiko-rollback/service-plan","namespace":"keiko-production","target":"previous","services":[{"service":"../../etc","from":null,"to":{"revision":1,"hash":"abc","version":"v1","images":[],"uid":"u"}}],"created-at":"x"}',
        "::error::Input 'plan' is malformed at services.0.service: must be a deployment name, statefulset/<name> or daemonset/<name>",
      ],
    ] as const) {
      const run = await rollback(e, { plan, environment: '' });
      expect(run.errorLines, plan).toHaveLength(1);
      expect(run.errorLines[0]?.startsWith(line), run.errorLines[0]).toBe(true);
      expect(hasStackTrace(run.stdout + run.stderr)).toBe(false);
    }
    const mismatched = await rollback(e, {
      plan: (await rollback(e, { services: 'chat-service', 'dry-run': 'true' })).outputs.plan ?? '',
      environment: 'staging',
    });
    expect(mismatched.errorLines).toEqual([
      "::error::Input 'plan' was made for namespace keiko-production, but this run targets keiko-staging: make the plan for this namespace",
    ]);
    for (const [input, value] of [
      ['fail-after', 'soon'],
      ['force', 'maybe'],
    ] as const) {
      const run = await rollback(e, { services: 'chat-service', [input]: value });
      expect(run.errorLines).toHaveLength(1);
      expect(run.errorLines[0]).toMatch(new RegExp(`^::error::Input '${input}' must be`));
    }
    expect(writes(e)).toEqual(expect.not.arrayContaining([expect.objectContaining({ resource: 'deployments', dryRun: false })]));
  });
});

describe('unchanged means healthy; bad news comes fast and with a map', () => {
  it('a service already at a stuck target fails with the reasons, like kubectl rollout status', async () => {
    const e = await emulator();
    e.markBadImage('registry.keiko.io/chat-service:v1.2.0', 'ImagePullBackOff');
    // someone already rolled back by hand; the target's pods cannot pull their image
    expect((await kubectlFor(e.kubeconfig)('rollout', 'undo', 'deployment/chat-service', '-n', NS)).code).toBe(0);
    const mark = e.requests.length;
    const run = await rollback(e, { services: 'chat-service', target: 'v1.2.0', 'fail-after': '1s' });
    expect(run.code).toBe(1);
    const [result] = parse(run.outputs.result);
    expect(result?.status).toBe('failed');
    expect(result?.message).toMatch(
      /^the new pods cannot start: pod chat-service-\w+-\w{5}: container chat-service ImagePullBackOff \(image registry\.keiko\.io\/chat-service:v1\.2\.0\).* for 1s \(fail-after\)/,
    );
    expect(deploymentWrites(e, mark)).toBe(0);
  });

  it('ImagePullBackOff fails the rollback at fail-after, long before a 600 s progress deadline; the summary maps what is live and what to do', async () => {
    // the progress deadline as the real controller keeps it: 600 s
    const e = await emulator({ progressDeadlineMsPerSecond: 1000 });
    e.markBadImage('registry.keiko.io/chat-service:v1.2.0', 'ImagePullBackOff');
    const run = await rollback(e, { services: 'chat-service', 'fail-after': '2s', timeout: '5m' });
    expect(run.code).toBe(1);
    const [result] = parse(run.outputs.result);
    expect(result?.message).toContain('ImagePullBackOff (image registry.keiko.io/chat-service:v1.2.0)');
    expect(result?.message).toContain('for 2s (fail-after)');
    expect(result?.message).not.toContain('progress deadline');
    expect(result?.live?.find((r) => r.current)).toMatchObject({ version: 'v1.2.0', ready: 0 });
    expect(result?.live?.find((r) => !r.current)).toMatchObject({ version: 'v1.3.0' });
    expect(result?.next?.[0]).toBe(`wait longer: kubectl rollout status deployment/chat-service -n ${NS}`);
    expect(run.summary).toContain('### ❌ chat-service: what is live now');
    expect(run.summary).toContain('**Next steps:**');
    expect(e.store.list(LEASES, NS)).toEqual([]);
  });
});

describe('the outcome is read, never inferred', () => {
  it('a lost PATCH response: read back, reported rolled-back after the rollout, and a bad image still reported as failed', async () => {
    const e = await emulator();
    e.fault({ verb: 'patch', path: '/deployments/chat-service', loseResponse: true });
    const run = await rollback(e, { services: 'chat-service' });
    expect(run.code, run.stdout).toBe(0);
    const [result] = parse(run.outputs.result);
    expect(result?.status).toBe('rolled-back');
    expect(result?.message).toContain('the answer to the patch was lost; read back: the target is live');
    expect(result?.message).toContain('successfully rolled out');
    expect(run.outputs['rolled-back']).toBe('chat-service');

    const bad = await emulator();
    bad.markBadImage('registry.keiko.io/chat-service:v1.2.0', 'CrashLoopBackOff');
    bad.fault({ verb: 'patch', path: '/deployments/chat-service', loseResponse: true });
    const failing = await rollback(bad, { services: 'chat-service' });
    expect(failing.code).toBe(1);
    expect(parse(failing.outputs.result)[0]?.message).toMatch(/^the new pods cannot start: .*CrashLoopBackOff/);
  });
});

describe('a definitive refusal is not a lost answer', () => {
  it('a 403 on the patch fails the service at once, with one PATCH and the reason', async () => {
    const e = await emulator();
    e.fault({ verb: 'patch', path: '/deployments/chat-service', status: 403 });
    const run = await rollback(e, { services: 'chat-service' });
    expect(run.code).toBe(1);
    expect(parse(run.outputs.result)[0]?.message).toContain('is forbidden: User "keiko-rollback" cannot patch resource "deployments"');
    expect(e.requests.filter((r) => r.verb === 'patch' && r.resource === 'deployments')).toHaveLength(1);
    expect(liveImage(e, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.3.0');
  });
});

describe('cancellation', () => {
  it('SIGINT in the middle of a rollout: the Lease is released, every service says its state, exit non-zero', async () => {
    const e = await emulator();
    // the rollout's watch answers only after a while, so the run is surely mid-rollout when interrupted
    e.fault({ verb: 'watch', path: '/deployments', delayMs: 30_000, times: 5 });
    const run = await rollback(
      e,
      { services: 'chat-service,search-service' },
      { interrupt: { when: (soFar) => (soFar.match(/Waiting for deployment/g) ?? []).length >= 2, signal: 'SIGINT' } },
    );
    expect(run.code).not.toBe(0);
    expect(parse(run.outputs.result).map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
    expect(run.stdout).toMatch(/✗ chat-service: cancelled/);
    expect(run.stdout).toMatch(/✗ search-service: cancelled/);
    expect(run.errorLines[0]).toMatch(/^::error::cancelled: chat-service cancelled, search-service cancelled; leases released/);
    expect(e.store.list(LEASES, NS)).toEqual([]);
  });

  it('Ctrl-C in the CLI: exit 130, the Lease released, a line per service', async () => {
    const e = await emulator();
    e.fault({ verb: 'watch', path: '/deployments', delayMs: 30_000, times: 5 });
    const kubeconfig = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-cli-int-')), 'config');
    fs.writeFileSync(kubeconfig, e.kubeconfig);
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'keiko-rollback.js'), 'service', 'chat-service', 'v1.2.0', 'production'], {
      env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), KUBECONFIG: kubeconfig },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('Waiting for deployment') && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/✗ chat-service: cancelled/);
    expect(e.store.list(LEASES, NS)).toEqual([]);
  });

  it('at a terminal the CLI shows the plan and asks before writing; "n" writes nothing, "y" executes that plan', async () => {
    const e = await emulator();
    const kubeconfig = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-cli-tty-')), 'config');
    fs.writeFileSync(kubeconfig, e.kubeconfig);
    const cli = (answer: string) => atTerminal(['service', 'chat-service', 'v1.2.0', 'production'], { KUBECONFIG: kubeconfig }, os.tmpdir(), answer);
    const no = await cli('n');
    expect(no.code, no.screen).toBe(1);
    expect(no.screen).toContain('chat-service: v1.3.0 (revision 3, template');
    expect(no.screen).toContain('Not confirmed: nothing was written.');
    expect(deploymentWrites(e)).toBe(0);
    const yes = await cli('y');
    expect(yes.code, yes.screen).toBe(0);
    expect(yes.screen).toContain('Plan (given, made');
    expect(liveImage(e, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.2.0');
  });
});
