import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './run-action.js';

/**
 * Runs a workflow of this repository with nektos/act (built from its Go module by scripts/go-tools.sh) on this
 * host (`-P ubuntu-latest=-self-hosted`): the real job graph, `needs` outputs, `if:` conditions, reusable
 * workflows and the actions' dist/ bundles from the working tree.
 * What act cannot do here, and how the tests cover it instead:
 *   - github.com is out of reach: actions/checkout and actions/setup-node (pinned by SHA) are replaced with
 *     `--local-repository` by stand-ins in test/fixtures/act that copy the actions from this working tree and
 *     check the Node version on PATH;
 *   - environment protection rules (approvals) and concurrency groups are not enforced by act: the approval
 *     paths are tested against the GitHub emulator (environments, issue approval), and the concurrency design
 *     by the structure tests;
 *   - the GitHub API is the GitHub emulator (GITHUB_API_URL).
 */
export interface ActRun {
  code: number | null;
  log: string;
  /** The workspace act ran in (the caller repository). */
  workspace: string;
}

export interface ActOptions {
  /** Workflow file, relative to the caller repository. */
  workflow: string;
  event: 'workflow_dispatch';
  inputs?: Record<string, string>;
  secrets: Record<string, string>;
  env: Record<string, string>;
  /** Extra files of the caller repository (e.g. a deploy workflow), relative paths. */
  files?: Record<string, string>;
  timeoutMs?: number;
}

const TOOLS = process.env.KEIKO_TOOLS_BIN ?? path.join(ROOT, '.cache/tools/bin');
const FIXTURES = path.join(ROOT, 'test/fixtures/act');

/** The SHAs the workflows pin each third-party action at, so the stand-ins replace exactly those. */
function pinnedActions(): string[] {
  const text = fs
    .readdirSync(path.join(ROOT, '.github/workflows'))
    .map((f) => fs.readFileSync(path.join(ROOT, '.github/workflows', f), 'utf8'))
    .join('\n');
  return [...new Set([...text.matchAll(/uses: (actions\/(?:checkout|setup-node)@[0-9a-f]{40})/g)].map((m) => m[1] ?? ''))];
}

function callerRepository(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-act-'));
  fs.cpSync(path.join(ROOT, '.github'), path.join(dir, '.github'), { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
  const git = (...args: string[]): string =>
    execFileSync('git', ['-c', 'user.name=keiko', '-c', 'user.email=keiko@example.com', ...args], { cwd: dir, encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  git('remote', 'add', 'origin', 'https://github.com/keiko/platform');
  git('add', '-A');
  git('commit', '-qm', 'caller repository');
  return dir;
}

export async function runAct(options: ActOptions): Promise<ActRun> {
  const workspace = callerRepository(options.files ?? {});
  const event = path.join(workspace, '..', `${path.basename(workspace)}-event.json`);
  fs.writeFileSync(
    event,
    JSON.stringify({
      inputs: options.inputs ?? {},
      repository: { full_name: 'keiko/platform', name: 'platform', owner: { login: 'keiko' } },
      sender: { login: 'keiko-dev' },
    }),
  );
  const args = [
    options.event,
    '-W',
    options.workflow,
    '-P',
    'ubuntu-latest=-self-hosted',
    '--eventpath',
    event,
    '--action-cache-path',
    path.join(workspace, '..', `${path.basename(workspace)}-act-cache`),
    '--concurrent-jobs',
    '1',
    '--actor',
    'keiko-dev',
  ];
  for (const pinned of pinnedActions())
    args.push('--local-repository', `${pinned}=${path.join(FIXTURES, pinned.includes('checkout') ? 'checkout' : 'setup-node')}`);
  for (const [name, value] of Object.entries(options.env)) args.push('--env', `${name}=${value}`);
  // secrets by name only: act reads each from its own environment, so no value is on its argv
  for (const name of Object.keys(options.secrets)) args.push('-s', name);
  const child = spawn(path.join(TOOLS, 'act'), args, {
    cwd: workspace,
    env: {
      PATH: `${path.join(ROOT, 'node_modules/node/bin')}:${process.env.PATH ?? ''}`,
      HOME: process.env.HOME ?? os.tmpdir(),
      KEIKO_ACT_MIRROR: ROOT,
      ...options.secrets,
    },
  });
  let log = '';
  child.stdout.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr.on('data', (c: Buffer) => (log += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 240_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  return { code, log, workspace };
}

/** The jobs act reported, with how each ended: `plan` → `succeeded`. */
export function jobOutcomes(log: string): Record<string, string> {
  const outcomes: Record<string, string> = {};
  for (const m of log.matchAll(/^\[([^\]]+)\] 🏁 {2}Job (succeeded|failed)/gmu))
    outcomes[((m[1] ?? '').split('/').pop() ?? '').trim().split(' ')[0] ?? ''] = m[2] ?? '';
  return outcomes;
}

/**
 * The time the steps of the product took (our actions and CLI lines), summed over the run: the rest of a run's
 * wall time is the workflow engine's (job setup, checkout, setup-node). For bench/RESULTS.md.
 */
export function productStepMs(log: string): number {
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, µs: 0.001, us: 0.001, ns: 0.000001 };
  let total = 0;
  for (const m of log.matchAll(/(?:Success|Failure) - Main (.+?) \[([^\]]+)\]$/gmu)) {
    if (/^actions\/(checkout|setup-node)@/.test(m[1] ?? '')) continue;
    // Go's time.Duration text: 1m2.5s, 1.2s, 131.6ms
    for (const part of (m[2] ?? '').matchAll(/([\d.]+)(ms|µs|us|ns|h|m|s)/g)) total += Number(part[1]) * (unit[part[2] ?? ''] ?? 0);
  }
  return Math.round(total);
}
