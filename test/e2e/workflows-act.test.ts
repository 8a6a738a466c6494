import fs from 'node:fs';
import { describe, expect, it, type TestContext } from 'vitest';
import { type GitHubEmulator, startGitHubEmulator } from '../../src/sandbox/github/server.js';
import { type KubeEmulator, runbookFixture } from '../../src/sandbox/kube/index.js';
import { jobOutcomes, productStepMs, runAct } from '../helpers/act.js';
import { runCli } from '../helpers/cli.js';
import { kubeEmulators, liveImage } from '../helpers/kube-fixtures.js';

// The reusable workflows end to end under nektos/act, against the sandbox: see test/helpers/act.ts for what act
// cannot do here (approval environments, concurrency, github.com) and where those are tested instead.

const start = kubeEmulators();

async function sandbox(
  ctx: TestContext,
): Promise<{ kube: KubeEmulator; github: GitHubEmulator; env: Record<string, string>; secrets: Record<string, string> }> {
  const kube = await start({ fixture: runbookFixture() });
  const github = await startGitHubEmulator();
  ctx.onTestFinished(() => github.close());
  // the approval environments exist and are protected, as `environments check` in the plan job demands
  const synced = await runCli(['environments', 'sync', '--repo', 'keiko/platform'], { GITHUB_API_URL: github.url, GITHUB_TOKEN: github.adminToken });
  if (synced.code !== 0) throw new Error(synced.stderr);
  return {
    kube,
    github,
    env: { GITHUB_API_URL: github.url, KEIKO_ACT_MIRROR: process.cwd() },
    secrets: { GITHUB_TOKEN: github.readToken, ENVIRONMENTS_TOKEN: github.readToken, KUBECONFIG_READONLY: kube.kubeconfig, KUBECONFIG: kube.kubeconfig },
  };
}

describe('rollback.yml under act', () => {
  it('plans with read-only credentials, passes the plan on, rolls the services back, verifies and reports', async (ctx) => {
    const { kube, github, env, secrets } = await sandbox(ctx);
    const started = Date.now();
    const run = await runAct({
      workflow: '.github/workflows/rollback.yml',
      event: 'workflow_dispatch',
      inputs: {
        severity: 'high',
        environment: 'production',
        services: 'chat-service,search-service',
        target: 'previous',
        reason: 'INC-12: v1.3.0 errors',
        'actions-repository': 'keiko/rollback-actions',
        'actions-ref': 'main',
      },
      secrets,
      env,
    });
    expect(run.code, run.log.slice(-4000)).toBe(0);
    expect(jobOutcomes(run.log)).toMatchObject({
      plan: 'succeeded',
      'approve-environment': 'succeeded',
      announce: 'succeeded',
      rollback: 'succeeded',
      report: 'succeeded',
    });
    expect(liveImage(kube, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.2.0');
    expect(github.deployments).toEqual([
      expect.objectContaining({ environment: 'production', task: 'rollback', statuses: [{ state: 'success', description: 'rolled back' }] }),
    ]);
    expect(run.log).toContain('Summary - ## ✅ Rollback of `production` completed');
    // npm run bench reads the workflow's wall time beside the time of its product steps from here
    if (process.env.KEIKO_ACT_TIMING)
      fs.writeFileSync(
        process.env.KEIKO_ACT_TIMING,
        JSON.stringify({ wallMs: Date.now() - started, productMs: productStepMs(run.log), jobs: Object.keys(jobOutcomes(run.log)) }),
      );
  });
});

/** The guard job of a caller: auto-rollback.yml for release v1.4.0-crashloop, as the deploy example calls it. */
const guardJob = (header: string, deployResult: string): string => `  guard:
${header}    permissions:
      contents: read
      actions: read
      deployments: write
      issues: write
    uses: ./.github/workflows/auto-rollback.yml
    with:
      environment: production
      services: chat-service
      release: v1.4.0-crashloop
      deploy-result: ${deployResult}
      stability-window: 5s
      actions-repository: keiko/rollback-actions
    secrets:
      KUBECONFIG_READONLY: \${{ secrets.KUBECONFIG_READONLY }}
      KUBECONFIG: \${{ secrets.KUBECONFIG }}
      ENVIRONMENTS_TOKEN: \${{ secrets.ENVIRONMENTS_TOKEN }}
`;

/** A service repository's deploy workflow, as docs/examples/deploy-with-guard.yml shows it (dispatch instead of a tag push). */
const DEPLOY = `name: deploy
on: workflow_dispatch
permissions:
  contents: read
jobs:
  deploy:
    runs-on: ubuntu-latest
    concurrency:
      group: rollback-production
      cancel-in-progress: false
    steps:
      - name: Deploy the bad release v1.4.0-crashloop
        env:
          KUBECONFIG_DATA: \${{ secrets.KUBECONFIG }}
        run: |
          umask 077
          printf '%s' "$KUBECONFIG_DATA" > "$RUNNER_TEMP/kubeconfig"
          export KUBECONFIG="$RUNNER_TEMP/kubeconfig"
          kubectl -n keiko-production set image deployment/chat-service chat-service=registry.keiko.io/chat-service:v1.4.0-crashloop
          kubectl -n keiko-production rollout status deployment/chat-service --timeout=5s
${guardJob("    needs: deploy\n    if: ${{ always() && (needs.deploy.result == 'success' || needs.deploy.result == 'failure') }}\n", '${{ needs.deploy.result }}')}`;

/** A second automatic trigger for the same release (e.g. the deployment_status event of the same deploy). */
const SECOND_TRIGGER = `name: guard-again
on: workflow_dispatch
permissions:
  contents: read
jobs:
${guardJob('', 'failure')}`;

describe('auto-rollback.yml under act', () => {
  it('a failing deploy is rolled back once; a second trigger for the same release rolls back nothing', async (ctx) => {
    const { kube, github, env, secrets } = await sandbox(ctx);
    const files = { '.github/workflows/deploy.yml': DEPLOY, '.github/workflows/guard-again.yml': SECOND_TRIGGER };
    const first = await runAct({ workflow: '.github/workflows/deploy.yml', event: 'workflow_dispatch', secrets, env, files });
    const jobs = jobOutcomes(first.log);
    // the deploy failed (kubectl rollout status), the guard still ran, claimed the release and rolled back
    expect(jobs, first.log.slice(-3000)).toMatchObject({ deploy: 'failed', guard: 'succeeded', plan: 'succeeded', rollback: 'succeeded', report: 'succeeded' });
    expect(liveImage(kube, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.3.0');
    expect(github.deployments).toHaveLength(1);
    expect(github.deployments[0]).toMatchObject({ task: 'rollback', payload: { automatic: true, release: 'v1.4.0-crashloop' } });
    expect(github.deployments[0]?.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
    const patches = (): number => kube.requests.filter((r) => r.verb === 'patch' && r.resource === 'deployments' && r.query.dryRun !== 'All').length;
    const patchesAfterFirst = patches();

    const second = await runAct({ workflow: '.github/workflows/guard-again.yml', event: 'workflow_dispatch', secrets, env, files });
    expect(second.code, second.log.slice(-3000)).toBe(0);
    expect(second.log).toContain('was already claimed');
    expect(jobOutcomes(second.log)).not.toHaveProperty('rollback');
    expect(patches()).toBe(patchesAfterFirst);
    expect(liveImage(kube, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.3.0');
    expect(github.deployments).toHaveLength(1);
  });
});
