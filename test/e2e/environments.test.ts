import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { type GitHubEmulator, type GitHubEmulatorOptions, startGitHubEmulator } from '../../src/sandbox/github/server.js';
import { runCli } from '../helpers/cli.js';
import { ROOT } from '../helpers/run-action.js';

const CONFIG = path.join(ROOT, '.github/rollback-environments.yml');

async function emulator(ctx: TestContext, options: GitHubEmulatorOptions = {}): Promise<GitHubEmulator> {
  const github = await startGitHubEmulator(options);
  ctx.onTestFinished(() => github.close());
  return github;
}

type Config = { environments: Record<string, Record<string, unknown>> };

function configWith(edit: (config: Config) => void): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-envs-')), 'rollback-environments.yml');
  const config = parseYaml(fs.readFileSync(CONFIG, 'utf8')) as Config;
  edit(config);
  fs.writeFileSync(file, stringifyYaml(config));
  return file;
}
const asIs = (): void => undefined;

const check = (github: GitHubEmulator, severity: string, config = CONFIG) =>
  runCli(['environments', 'check', '--repo', 'keiko/platform', '--severity', severity, '--config', config], {
    GITHUB_API_URL: github.url,
    GITHUB_TOKEN: github.readToken,
  });
const sync = (github: GitHubEmulator, config = CONFIG) =>
  runCli(['environments', 'sync', '--repo', 'keiko/platform', '--config', config], { GITHUB_API_URL: github.url, GITHUB_TOKEN: github.adminToken });
const errorLine = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('error: '));

describe('environments as code (against the GitHub API emulator, through Octokit)', () => {
  it('plan fails closed on a missing environment; sync creates all four with tag policies and no admin bypass; then check passes', async (ctx) => {
    const github = await emulator(ctx);
    const missing = await check(github, 'critical');
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(
      "error: Input 'severity' environment rollback-critical does not exist in keiko/platform, so its approval would be skipped; run: keiko-rollback environments sync --repo keiko/platform (with an admin token)",
    );
    const synced = await sync(github);
    expect(synced.code, synced.stderr).toBe(0);
    expect(JSON.parse(synced.stdout)).toEqual({ synced: ['rollback-critical', 'rollback-high', 'rollback-medium', 'rollback-low'] });
    const critical = github.environments.get('keiko/platform/rollback-critical');
    expect(critical).toMatchObject({
      prevent_self_review: true,
      can_admins_bypass: false,
      reviewers: [
        { type: 'User', id: 101 },
        { type: 'Team', id: 201 },
      ],
      deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
    });
    // a deploy on refs/tags/v1.1.2 reaches the approval: the tag pattern is a custom deployment policy
    expect(critical?.branch_policies?.map((p) => `${p.type} ${p.name}`)).toEqual(['branch main', 'tag v*']);
    expect(github.environments.get('keiko/platform/rollback-low')?.wait_timer).toBe(30);
    for (const severity of ['critical', 'high', 'medium', 'low']) {
      const ok = await check(github, severity);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.outputs).toEqual({ approval: 'environment' });
    }
    // sync twice changes nothing
    const again = await sync(github);
    expect(again.code).toBe(0);
    expect(github.environments.get('keiko/platform/rollback-critical')?.branch_policies?.map((p) => p.id)).toEqual(critical?.branch_policies?.map((p) => p.id));
  });

  it.for([
    [
      'no reviewers in the config',
      (c: Config) => Object.assign(c.environments.high ?? {}, { reviewers: [] }),
      undefined,
      '.github/rollback-environments.yml names no reviewers for high, so nobody would have to approve a high rollback',
    ],
    [
      'an environment without reviewers',
      asIs,
      (g: GitHubEmulator) => Object.assign(g.environments.get('keiko/platform/rollback-high') ?? {}, { reviewers: [] }),
      'environment rollback-high in keiko/platform has no required reviewers, so nobody would have to approve a high rollback',
    ],
    [
      'admin bypass on a high environment',
      asIs,
      (g: GitHubEmulator) => Object.assign(g.environments.get('keiko/platform/rollback-high') ?? {}, { can_admins_bypass: true }),
      'environment rollback-high in keiko/platform lets administrators bypass its reviewers, so a high rollback could run unapproved',
    ],
    [
      'prevent-self-review differs',
      asIs,
      (g: GitHubEmulator) => Object.assign(g.environments.get('keiko/platform/rollback-high') ?? {}, { prevent_self_review: false }),
      'environment rollback-high in keiko/platform has prevent self-review false, the config says true',
    ],
    [
      'protected branches only, so tags are refused',
      asIs,
      (g: GitHubEmulator) =>
        Object.assign(g.environments.get('keiko/platform/rollback-high') ?? {}, {
          deployment_branch_policy: { protected_branches: true, custom_branch_policies: false },
        }),
      'environment rollback-high in keiko/platform does not admit branch main, tag v*, so a run from there is refused at the approval',
    ],
  ] as const)('check fails on %s with one clear line', async ([, editConfig, breakEnvironment, message], ctx) => {
    const github = await emulator(ctx);
    expect((await sync(github)).code).toBe(0);
    breakEnvironment?.(github);
    const failed = await check(github, 'high', configWith(editConfig));
    expect(failed.code).toBe(1);
    expect(errorLine(failed.stderr)).toHaveLength(1);
    expect(failed.stderr).toContain(message);
  });

  it('sync says in one line when the GitHub plan cannot have required reviewers, and points at issue approval', async (ctx) => {
    const github = await emulator(ctx, { plan: 'free-private' });
    const refused = await sync(github);
    expect(refused.code).toBe(1);
    expect(errorLine(refused.stderr)).toEqual([
      "error: Input 'config' GitHub refused required reviewers for rollback-critical in keiko/platform (422): on GitHub Free, Pro and Team, private repositories cannot have required reviewers: set `approval: issue` for this severity in .github/rollback-environments.yml (a reviewer approves with an /approve comment), or use a public repository or GitHub Enterprise",
    ]);
    // the fallback: issue approval for every severity syncs (no reviewers rule is sent) and checks
    const issueConfig = configWith((c) => {
      for (const e of Object.values(c.environments)) e.approval = 'issue';
    });
    expect((await sync(github, issueConfig)).code).toBe(0);
    const ok = await check(github, 'critical', issueConfig);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.outputs).toEqual({ approval: 'issue' });
  });

  it('says an admin token is needed when sync is refused, without echoing the token', async (ctx) => {
    const github = await emulator(ctx);
    const refused = await runCli(['environments', 'sync', '--repo', 'keiko/platform'], { GITHUB_API_URL: github.url, GITHUB_TOKEN: github.readToken });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'the token was refused (403) changing environment rollback-critical in keiko/platform: environments sync needs a token with admin rights',
    );
    expect(refused.stderr + refused.stdout).not.toContain(github.readToken);
  });

  it('environments --help prints the commands and exits 0', async () => {
    const help = await runCli(['environments', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('keiko-rollback environments check --repo owner/name --severity critical|high|medium|low');
    expect(help.stdout).toContain('keiko-rollback approve');
  });
});
