import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { Issue } from '../../src/sandbox/github/issues.js';
import { type GitHubEmulator, startGitHubEmulator } from '../../src/sandbox/github/server.js';
import { type CliRun, runCli } from '../helpers/cli.js';
import { ROOT } from '../helpers/run-action.js';

// The approval path for GitHub plans without required reviewers: the real CLI against the GitHub emulator.
// Each test waits for the issue to exist (an event of the emulator), then comments as a person would.

type Config = { environments: Record<string, Record<string, unknown>> };

function issueConfig(timeout = '10m'): string {
  const config = parseYaml(fs.readFileSync(path.join(ROOT, '.github/rollback-environments.yml'), 'utf8')) as Config;
  for (const policy of Object.values(config.environments)) Object.assign(policy, { approval: 'issue', 'approval-timeout': timeout });
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-approval-')), 'rollback-environments.yml');
  fs.writeFileSync(file, stringifyYaml(config));
  return file;
}

/** Resolves once `condition` holds: the test waits for the emulator's state, never for a fixed delay. */
function until(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      if (!condition()) return;
      clearInterval(poll);
      resolve();
    }, 5);
  });
}

const commentReads = (github: GitHubEmulator, issue: number): number =>
  github.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/issues/${issue}/comments`)).length;

/** The approval issue, once the waiting command has read its comments the first time (answers before that do not count). */
async function waitingOn(github: GitHubEmulator, readsBefore = 0): Promise<Issue> {
  const issue = await github.waitForIssue('run 4242');
  await until(() => commentReads(github, issue.number) > readsBefore);
  return issue;
}

async function emulator(ctx: TestContext): Promise<GitHubEmulator> {
  const github = await startGitHubEmulator();
  ctx.onTestFinished(() => github.close());
  return github;
}

function approve(github: GitHubEmulator, config: string, extra: Record<string, string> = {}): Promise<CliRun> {
  return runCli(
    [
      'approve',
      '--repo',
      'keiko/platform',
      '--severity',
      'high',
      '--environment',
      'production',
      '--reason',
      'INC-9: v1.3.0 errors',
      '--actor',
      'keiko-dev',
      '--poll-interval',
      '50ms',
      '--services-plan',
      '{"version":1,"services":[]}',
      '--config',
      config,
    ],
    {
      GITHUB_API_URL: github.url,
      GITHUB_TOKEN: github.readToken,
      MEMBERSHIP_TOKEN: github.adminToken,
      GITHUB_RUN_ID: '4242',
      GITHUB_REPOSITORY: 'keiko/platform',
      ...extra,
    },
  );
}

describe('approval by issue comment (approval: issue)', () => {
  it('opens an issue with the plan that mentions the reviewers, and a team member’s /approve lets the rollback run', async (ctx) => {
    const github = await emulator(ctx);
    const run = approve(github, issueConfig());
    const issue = await waitingOn(github);
    expect(issue.body).toContain('@keiko/leads: comment `/approve`');
    expect(issue.body).toContain('@keiko-dev cannot approve their own rollback.');
    expect(issue.body).toContain('"version":1');
    github.comment(issue.number, 'keiko-dev', 'looks fine'); // not a command: ignored
    github.comment(issue.number, 'keiko-lead', '/approve');
    const done = await run;
    expect(done.code, done.stderr).toBe(0);
    expect(done.summary).toContain('✅ Approved by @keiko-lead');
    expect(issue.state).toBe('closed');
    expect(issue.comments.at(-1)?.body).toBe('Approved by @keiko-lead: the high rollback of `production` starts now.');
  });

  it.for([
    ['a reviewer’s /deny', 'keiko-cto', '/deny', 'denied by @keiko-cto'],
    ['an approval from someone who is not a reviewer', 'octocat', '/approve', '@octocat is not a high reviewer (keiko/leads)'],
    [
      'the run’s own actor approving (prevent-self-review)',
      'keiko-dev',
      '/approve',
      '@keiko-dev started this run and may not approve it (prevent-self-review)',
    ],
  ] as const)('fails closed on %s', async ([, login, body, why], ctx) => {
    const github = await emulator(ctx);
    const run = approve(github, issueConfig());
    const issue = await waitingOn(github);
    github.comment(issue.number, login, body);
    const done = await run;
    expect(done.code).toBe(1);
    expect(done.stderr).toContain(`::error title=Rollback not approved::${why} (issue #${issue.number}); the rollback does not run`);
    expect(done.summary).toContain(`❌ Not approved (issue #${issue.number}): ${why}.`);
    expect(issue.state).toBe('closed');
  });

  it('fails closed when nobody answers within approval-timeout', async (ctx) => {
    const github = await emulator(ctx);
    const done = await approve(github, issueConfig('1s'));
    expect(done.code).toBe(1);
    expect(done.stderr).toContain('::error title=Rollback not approved::no /approve within 1.0s');
    expect(github.issues[0]?.comments.at(-1)?.body).toContain('Not approved — no /approve within 1.0s. The rollback does not run (fail closed)');
  });

  it('a re-run reuses the run’s issue and ignores the answers given before it started', async (ctx) => {
    const github = await emulator(ctx);
    const first = approve(github, issueConfig());
    const issue = await waitingOn(github);
    github.comment(issue.number, 'keiko-lead', '/deny');
    expect((await first).code).toBe(1);
    const readsBefore = commentReads(github, issue.number);
    // "Re-run failed jobs" runs the approval job again: it reopens the run's issue and asks again
    const second = approve(github, issueConfig());
    await waitingOn(github, readsBefore);
    expect(issue.state).toBe('open');
    github.comment(issue.number, 'keiko-cto', '/approve');
    const done = await second;
    expect(done.code, done.stderr).toBe(0);
    expect(github.issues).toHaveLength(1);
    expect(done.summary).toContain('Approved by @keiko-cto');
  });
});
