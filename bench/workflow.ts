import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ROOT } from './actions.js';

/**
 * The reusable workflow under nektos/act against the sandbox (the act-based test of test/e2e/workflows-act.test.ts):
 * its wall time beside the time its product steps took, and how many jobs stand between the approval and verify.
 */
export interface WorkflowResult {
  wallMs: number;
  productMs: number;
  jobs: string[];
  jobsAfterApprovalBeforeVerify: string[];
}

interface Job {
  needs?: string | string[];
  steps?: { uses?: string }[];
}

function jobsBeforeVerify(): string[] {
  const workflow = parseYaml(fs.readFileSync(path.join(ROOT, '.github/workflows/rollback.yml'), 'utf8')) as { jobs: Record<string, Job> };
  const needs = (name: string): string[] => {
    const n = workflow.jobs[name]?.needs;
    return n === undefined ? [] : Array.isArray(n) ? n : [n];
  };
  const after = (name: string, target: string): boolean => needs(name).some((n) => n === target || after(n, target));
  const verifier = Object.keys(workflow.jobs).find((name) => workflow.jobs[name]?.steps?.some((s) => s.uses?.endsWith('/actions/verify')));
  if (!verifier) return [];
  // the jobs after an approval job that the verifying job waits for, and that job itself
  return Object.keys(workflow.jobs).filter(
    (name) => (name === verifier || after(verifier, name)) && ['approve-environment', 'approve-issue'].some((a) => after(name, a)),
  );
}

export function workflowBenchmark(log: (line: string) => void): WorkflowResult {
  const tools =
    execFileSync('bash', [path.join(ROOT, 'scripts/go-tools.sh'), 'act'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop() ?? '';
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-bench-act-')), 'timing.json');
  log('  workflow: rollback.yml under act (about a minute)');
  execFileSync(path.join(ROOT, 'node_modules/.bin/vitest'), ['run', 'test/e2e/workflows-act.test.ts', '-t', 'plans with read-only'], {
    cwd: ROOT,
    env: { ...process.env, KEIKO_TOOLS_BIN: tools, KEIKO_ACT_TIMING: out },
    stdio: 'ignore',
  });
  const timing = JSON.parse(fs.readFileSync(out, 'utf8')) as { wallMs: number; productMs: number; jobs: string[] };
  return { ...timing, jobsAfterApprovalBeforeVerify: jobsBeforeVerify() };
}
