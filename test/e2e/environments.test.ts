import { afterEach, describe, expect, it } from 'vitest';
import { startGitHubEmulator, type GitHubEmulator } from '../../src/sandbox/github/server.js';
import { planSummary } from '../../src/github/report.js';
import { runCli } from '../helpers/cli.js';

let github: GitHubEmulator | undefined;
afterEach(async () => {
  await github?.close();
  github = undefined;
});

const cli = (args: string[], env: Record<string, string>) => runCli(args, env);

describe('environments as code (against the GitHub API emulator, through Octokit)', () => {
  it('plan fails closed on a missing environment, sync creates all four, then check passes', async () => {
    github = await startGitHubEmulator();
    const env = { GITHUB_API_URL: github.url, GITHUB_TOKEN: github.adminToken };
    const missing = await cli(['environments', 'check', '--repo', 'keiko/platform', '--severity', 'critical'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe("error: Input 'severity' environment rollback-critical does not exist in keiko/platform, so its approval would be skipped; run: keiko-rollback environments sync --repo keiko/platform (with an admin token)");
    const sync = await cli(['environments', 'sync', '--repo', 'keiko/platform'], env);
    expect(sync.code, sync.stderr).toBe(0);
    expect(JSON.parse(sync.stdout)).toEqual({ synced: ['rollback-critical', 'rollback-high', 'rollback-medium', 'rollback-low'] });
    expect(github.environments.get('keiko/platform/rollback-critical')).toMatchObject({ prevent_self_review: true, reviewers: [{ type: 'User', id: 101 }, { type: 'Team', id: 201 }] });
    expect(github.environments.get('keiko/platform/rollback-low')?.wait_timer).toBe(30);
    for (const severity of ['critical', 'high', 'medium', 'low']) {
      const check = await cli(['environments', 'check', '--repo', 'keiko/platform', '--severity', severity], env);
      expect(check.code, check.stderr).toBe(0);
    }
  });

  it('refuses an environment without reviewers, and says an admin token is needed when sync is refused', async () => {
    github = await startGitHubEmulator();
    github.environments.set('keiko/platform/rollback-high', { id: 1, name: 'rollback-high', wait_timer: 0, prevent_self_review: false, reviewers: [], deployment_branch_policy: null });
    const env = { GITHUB_API_URL: github.url, GITHUB_TOKEN: github.readToken };
    const open = await cli(['environments', 'check', '--repo', 'keiko/platform', '--severity', 'high'], env);
    expect(open.code).toBe(1);
    expect(open.stderr).toContain('environment rollback-high in keiko/platform has no required reviewers, so nobody would have to approve a high rollback');
    const refused = await cli(['environments', 'sync', '--repo', 'keiko/platform'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the token was refused (403) creating environment rollback-critical in keiko/platform: environments sync needs a token with admin rights');
    expect(refused.stderr + refused.stdout).not.toContain(github.readToken);
  });

  it('report records a rollback deployment status and opens the incident issue', async () => {
    github = await startGitHubEmulator();
    const needs = { plan: { result: 'success' }, approve: { result: 'success' }, services: { result: 'success' }, verify: { result: 'success', outputs: { healthy: 'true', severity: 'none', failed: '' } } };
    const report = await cli(['report', '--needs', JSON.stringify(needs), '--repo', 'keiko/platform', '--ref', 'refs/heads/main', '--severity', 'high', '--environment', 'production', '--reason', 'INC-7: v1.3.0 errors', '--started-at', String(Math.floor(Date.now() / 1000) - 300), '--incident-issue', 'true'], { GITHUB_API_URL: github.url, GITHUB_TOKEN: github.adminToken });
    expect(report.code, report.stderr).toBe(0);
    expect(github.deployments).toHaveLength(1);
    expect(github.deployments[0]).toMatchObject({ environment: 'production', task: 'rollback', statuses: [{ state: 'success', description: 'rolled back' }] });
    expect(github.issues[0]?.title).toBe('Rollback of production (high): INC-7: v1.3.0 errors');
    expect(github.issues[0]?.labels).toEqual(['incident', 'rollback', 'severity:high']);
    expect(report.summary).toContain('**Matrix deadline:** Rollback within 15 min — met');
    expect(report.summary).toContain('| services | ✅ success |');
  });
});

describe('the plan summary', () => {
  it('says exactly what will happen, who approves and by when', () => {
    const text = planSummary(
      { severity: 'high', environment: 'production', services: 'chat-service,search-service', target: 'v1.2.0', databaseTool: 'alembic', databaseTarget: '-1', frontendTarget: 'previous', reroute: true, circuitBreaker: true, dryRun: false, reason: 'INC-7' },
      new Date('2026-11-24T03:00:00Z'),
    );
    expect(text).toBe(`## 📋 Rollback plan for \`production\`

**Reason:** INC-7
**Severity:** high (>50% users) → Rollback within 15 min
**Approval:** environment \`rollback-high\` — Team Lead
**Deadline:** by 2026-11-24T03:15:00Z (15 min)

| Phase | What will happen |
| --- | --- |
| Traffic | backup ingress + circuit breaker, restored when verify is healthy |
| Services | chat-service,search-service → v1.2.0 |
| Database | alembic downgrade to -1 (verified backup first) |
| Frontend | Vercel production → previous |
| Verify | health, alerts and smoke checks after the rollback |

The exact per-phase plan (versions, migrations, deployments) follows from each dry run below.
`);
  });
});
