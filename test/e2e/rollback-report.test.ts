import { describe, expect, it, type TestContext } from 'vitest';
import { planSummary, type RollbackRequest } from '../../src/github/report.js';
import { startFaultProxy } from '../../src/sandbox/fault-proxy.js';
import { type GitHubEmulator, startGitHubEmulator } from '../../src/sandbox/github/server.js';
import { startNotifyEmulator } from '../../src/sandbox/notify/server.js';
import { runCli } from '../helpers/cli.js';

async function emulator(ctx: TestContext): Promise<GitHubEmulator> {
  const github = await startGitHubEmulator();
  ctx.onTestFinished(() => github.close());
  return github;
}

const claim = (github: GitHubEmulator | { url: string; token: string }, over: Record<string, string> = {}) =>
  runCli(
    [
      'claim-automatic',
      '--repo',
      'keiko/platform',
      '--ref',
      'a'.repeat(40),
      '--environment',
      'production',
      '--release',
      over.release ?? 'v1.1.2',
      '--deploy-result',
      over['deploy-result'] ?? 'success',
      '--healthy',
      over.healthy ?? 'false',
      '--severity',
      over.severity ?? 'high',
      '--failed',
      'chat-service health',
    ],
    { GITHUB_API_URL: github.url, GITHUB_TOKEN: 'readToken' in github ? github.readToken : github.token },
  );

/** `keiko-rollback report` for a high-severity rollback of production, recorded on the emulator. */
const reportTo = (github: GitHubEmulator, needs: object, extra: string[]) =>
  runCli(
    [
      'report',
      '--needs',
      JSON.stringify(needs),
      '--repo',
      'keiko/platform',
      '--ref',
      'a'.repeat(40),
      '--severity',
      'high',
      '--environment',
      'production',
      ...extra,
    ],
    {
      GITHUB_API_URL: github.url,
      GITHUB_TOKEN: github.readToken,
    },
  );

describe('the automatic rollback claims a release once', () => {
  it('the first unhealthy guard claims v1.1.2; a second trigger for it stands down; another release may claim', async (ctx) => {
    const github = await emulator(ctx);
    const first = await claim(github);
    expect(first.code, first.stderr).toBe(0);
    expect(first.outputs).toMatchObject({
      rollback: 'true',
      severity: 'high',
      reason: 'automatic: post-deploy checks failed after v1.1.2 (chat-service health)',
    });
    expect(github.deployments[0]).toMatchObject({
      task: 'rollback',
      environment: 'production',
      payload: { automatic: true, release: 'v1.1.2' },
      statuses: [{ state: 'in_progress' }],
    });
    const second = await claim(github);
    expect(second.outputs.rollback).toBe('false');
    expect(second.outputs.reason).toBe(
      `an automatic rollback of v1.1.2 in production was already claimed (deployment ${github.deployments[0]?.id}); this trigger stands down`,
    );
    expect(github.deployments).toHaveLength(1);
    expect((await claim(github, { release: 'v1.1.3' })).outputs.rollback).toBe('true');
  });

  it('two guards that wrote their claims at the same moment agree on one winner (the lowest id)', async (ctx) => {
    const github = await emulator(ctx);
    // the other guard's claim is already written but it has not listed yet: this guard must still lose to it
    github.deployments.push({
      id: 1,
      ref: 'a'.repeat(40),
      environment: 'production',
      task: 'rollback',
      payload: { automatic: true, release: 'v1.1.2' },
      created_at: new Date().toISOString(),
      statuses: [],
    });
    const late = await claim(github);
    expect(late.outputs.rollback).toBe('false');
    expect(github.deployments).toHaveLength(1);
  });

  it('a failed deploy rolls back even when verify finds the old pods healthy; a healthy deploy does not', async (ctx) => {
    const github = await emulator(ctx);
    const failed = await claim(github, { 'deploy-result': 'failure', healthy: 'true', severity: 'none' });
    expect(failed.outputs).toMatchObject({ rollback: 'true', severity: 'high', reason: 'automatic: the deploy of v1.1.2 ended failure' });
    const healthy = await claim(github, { release: 'v1.1.4', healthy: 'true', severity: 'none' });
    expect(healthy.outputs).toMatchObject({ rollback: 'false', reason: 'v1.1.4 is healthy in production: nothing to roll back' });
  });
});

describe('the report', () => {
  const request = (over: Partial<RollbackRequest> = {}): RollbackRequest => ({
    severity: 'high',
    environment: 'production',
    services: 'chat-service,search-service',
    target: 'v1.2.0',
    databaseTool: 'alembic',
    databaseTarget: '-1',
    frontendTarget: 'previous',
    reroute: true,
    circuitBreaker: true,
    dryRun: false,
    reason: 'INC-7',
    release: '',
    automatic: false,
    frontendProject: '',
    ...over,
  });

  it('plan: each header on its own line, the deadline counted from detection', () => {
    const text = planSummary(request({ release: 'v1.3.0' }), new Date('2026-11-24T03:00:00Z'));
    expect(text).toContain(
      '**Reason:** INC-7\n\n**Severity:** high (>50% users) → Rollback within 15 min\n\n**Approval:** environment `rollback-high` — Team Lead\n\n**Deadline:** by 2026-11-24T03:15:00Z (15 min after detection at 2026-11-24T03:00:00Z)',
    );
    expect(text).toContain('| Services | chat-service,search-service → v1.2.0 (only those still running v1.3.0) |');
    expect(planSummary(request({ approval: 'issue' }), new Date())).toContain('**Approval:** an `/approve` comment on the approval issue');
  });

  it('names each failed service and why, the pinned Vercel production with the command to unpin, and measures from detection', async (ctx) => {
    const github = await emulator(ctx);
    const needs = {
      plan: { result: 'success' },
      approved: { result: 'success' },
      services: {
        result: 'failure',
        outputs: {
          result: JSON.stringify([
            { service: 'chat-service', status: 'rolled-back', message: 'ok' },
            { service: 'search-service', status: 'failed', message: 'new pods in ImagePullBackOff (registry.keiko.io/search:v1.2.0 not found)' },
          ]),
        },
      },
      frontend: { result: 'success', outputs: { pinned: 'true', 'deployment-id': 'dpl_old' } },
      verify: { result: 'success', outputs: { healthy: 'false', severity: 'medium', failed: 'search-service health' } },
    };
    const detected = new Date(Date.now() - 20 * 60_000).toISOString();
    const report = await reportTo(github, needs, [
      ...['--reason', 'INC-7', '--services', 'chat-service,search-service', '--frontend-project', 'keiko-web'],
      ...['--started-at', String(Math.floor(Date.now() / 1000) - 300), '--detected-at', detected],
    ]);
    expect(report.code).toBe(1);
    expect(report.summary).toContain('- `search-service` failed: new pods in ImagePullBackOff (registry.keiko.io/search:v1.2.0 not found)');
    expect(report.summary).not.toContain('`chat-service` rolled-back');
    expect(report.summary).toContain('**Vercel production of `keiko-web` is pinned to dpl_old**');
    expect(report.summary).toContain('`keiko-rollback frontend --mode undo-rollback --project keiko-web`');
    expect(report.summary).toMatch(/\*\*Ended:\*\* 20m(\d+s)? after detection/);
    expect(report.summary).toContain('**Matrix deadline:** Rollback within 15 min — MISSED');
    expect(github.deployments[0]?.statuses).toEqual([{ state: 'failure', description: 'rollback did not complete' }]);
  });

  it('finishes the automatic rollback’s claim record instead of writing a second one', async (ctx) => {
    const github = await emulator(ctx);
    const claimed = await claim(github);
    const id = claimed.outputs.deployment ?? '';
    const needs = {
      plan: { result: 'success' },
      approved: { result: 'success' },
      services: { result: 'success' },
      verify: { result: 'success', outputs: { healthy: 'true' } },
    };
    const report = await reportTo(github, needs, ['--reason', 'automatic', '--automatic', 'true', '--release', 'v1.1.2', '--claim-deployment', id]);
    expect(report.code, report.stderr).toBe(0);
    expect(github.deployments).toHaveLength(1);
    expect(github.deployments[0]?.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
  });

  it('a GitHub API that fails still leaves the summary and one titled error annotation', async () => {
    const needs = { plan: { result: 'success' }, approved: { result: 'success' }, services: { result: 'success' } };
    const report = await runCli(
      ['report', '--needs', JSON.stringify(needs), '--repo', 'keiko/platform', '--severity', 'low', '--environment', 'production', '--reason', 'INC-8'],
      { GITHUB_API_URL: 'http://127.0.0.1:1', GITHUB_TOKEN: 'ghp_x', GITHUB_ACTIONS: 'true' },
    );
    expect(report.code).toBe(1);
    expect(report.summary).toContain('## ✅ Rollback of `production` completed');
    expect(report.summary).toContain('⚠️ Not recorded on GitHub: GitHub API at http://127.0.0.1:1');
    const annotations = report.stderr.split('\n').filter((l) => l.startsWith('::error'));
    expect(annotations).toHaveLength(1);
    expect(annotations[0]).toMatch(/^::error title=Rollback report not recorded::GitHub API at http:\/\/127\.0\.0\.1:1 .*unreachable/);
    expect(report.stderr).not.toContain('Internal failure');
  });

  it('stakeholders hear "rollback started" on approval, and the same status page incident is resolved at the end', async (ctx) => {
    const notify = await startNotifyEmulator();
    ctx.onTestFinished(() => notify.close());
    const common = [
      '--severity',
      'high',
      '--environment',
      'production',
      '--reason',
      'INC-7',
      '--services',
      'chat-service',
      '--statuspage-page-id',
      notify.pageId,
      '--statuspage-components',
      'cmp1',
      '--statuspage-api-url',
      notify.url,
      '--chat',
      'slack',
    ];
    const env = { STATUSPAGE_API_KEY: notify.apiKey, CHAT_WEBHOOK_URL: notify.slackWebhook };
    const started = await runCli(['notify', '--stage', 'started', ...common], env);
    expect(started.code, started.stderr).toBe(0);
    expect(notify.incidents).toEqual([expect.objectContaining({ status: 'identified', components: { cmp1: 'partial_outage' } })]);
    expect(started.outputs['statuspage-incident']).toBe(notify.incidents[0]?.id);
    const needs = {
      plan: { result: 'success' },
      approved: { result: 'success' },
      services: { result: 'success' },
      verify: { result: 'success', outputs: { healthy: 'true' } },
    };
    const report = await runCli(
      ['report', '--needs', JSON.stringify(needs), '--statuspage-incident', started.outputs['statuspage-incident'] ?? '', ...common],
      env,
    );
    expect(report.code, report.stderr).toBe(0);
    expect(notify.incidents).toHaveLength(1);
    expect(notify.incidents[0]).toMatchObject({ status: 'resolved', components: { cmp1: 'operational' }, updates: 1 });
    expect(notify.messages.map((m) => JSON.stringify(m.body))).toEqual([
      expect.stringContaining('Identified — rollback started'),
      expect.stringContaining('Resolved: rollback of production'),
    ]);
    expect(report.stderr + report.summary + started.stderr + started.summary).not.toContain(notify.apiKey);
  });
});

describe('GitHub API retries', () => {
  it('a read that meets a 503 and a rate limit is retried; a POST that meets a 503 is not sent twice', async (ctx) => {
    const github = await emulator(ctx);
    const proxy = await startFaultProxy(github.url);
    ctx.onTestFinished(() => proxy.close());
    const json = JSON.stringify({ message: 'Service Unavailable' });
    proxy.add({ method: 'GET', path: '/deployments', fault: { kind: 'status', status: 503, body: json }, times: 1 });
    proxy.add({
      method: 'GET',
      path: '/deployments',
      fault: { kind: 'status', status: 429, body: JSON.stringify({ message: 'API rate limit exceeded' }), headers: { 'retry-after': '1' } },
      times: 1,
    });
    proxy.add({ method: 'POST', path: '/deployments', fault: { kind: 'status', status: 503, body: json }, times: 1 });
    const run = await claim({ url: proxy.url, token: github.readToken });
    expect(run.code).toBe(1);
    expect(proxy.requests.filter((r) => r.method === 'GET').map((r) => r.outcome)).toEqual(['503', '429', '200']);
    // the claim's POST failed once and was not repeated: no second claim can exist
    expect(proxy.requests.filter((r) => r.method === 'POST').map((r) => r.outcome)).toEqual(['503']);
    expect(github.deployments).toHaveLength(0);
    expect(run.stderr).toContain('GitHub API');
  });
});

describe('workflow command flags', () => {
  it('read booleans as the actions do: True is true, anything else than true/false is refused by name', async () => {
    const base = ['plan-summary', '--severity', 'low', '--environment', 'staging', '--reason', 'INC-1', '--services', 'chat-service'];
    const yes = await runCli([...base, '--reroute', 'True']);
    expect(yes.code, yes.stderr).toBe(0);
    expect(yes.summary).toContain('| Traffic | backup ingress, restored when verify is healthy |');
    const bad = await runCli([...base, '--reroute', 'yes']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toMatch(/^error: --reroute must be true or false \(YAML 1\.2: .*\), got "yes"$/);
  });
});
