import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/run-action.js';

interface Job {
  needs?: string | string[];
  if?: string;
  environment?: string;
  permissions?: Record<string, string>;
  steps?: { id?: string; run?: string; uses?: string; with?: Record<string, unknown>; env?: Record<string, string> }[];
  outputs?: Record<string, string>;
  uses?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  on: Record<string, { inputs?: Record<string, { options?: string[] }> }>;
  concurrency: { group: string; 'cancel-in-progress': boolean };
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

const read = (file: string): Workflow => parseYaml(fs.readFileSync(path.join(ROOT, file), 'utf8')) as Workflow;
const rollback = read('.github/workflows/rollback.yml');
const needsOf = (job: Job | undefined): string[] => (job?.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);

function dependsOn(workflow: Workflow, job: string, target: string): boolean {
  return needsOf(workflow.jobs[job]).some((n) => n === target || dependsOn(workflow, n, target));
}

function usesOfJob(job: Job): string[] {
  return (job.steps ?? []).map((s) => s.uses ?? '').filter(Boolean);
}

describe('rollback.yml structure', () => {
  it('is callable and dispatchable, with the severities as choices', () => {
    expect(Object.keys(rollback.on)).toEqual(['workflow_call', 'workflow_dispatch']);
    expect(rollback.on.workflow_dispatch?.inputs?.severity?.options).toEqual(['critical', 'high', 'medium', 'low']);
  });

  it('approve uses the environment of the severity', () => {
    expect(rollback.jobs.approve?.environment).toBe('rollback-${{ inputs.severity }}');
    for (const severity of ['critical', 'high', 'medium', 'low']) expect(rollback.jobs.approve?.environment?.replace('${{ inputs.severity }}', severity)).toBe(`rollback-${severity}`);
  });

  it('every job that changes anything needs approve; plan changes nothing (dry runs only)', () => {
    const changing = Object.entries(rollback.jobs).filter(([, job]) => usesOfJob(job).some((u) => u.includes('/actions/')) || (job.steps ?? []).some((s) => s.run?.includes(' report ')));
    expect(changing.length).toBeGreaterThan(5);
    for (const [name, job] of changing) {
      if (name === 'plan') {
        for (const step of job.steps ?? []) if (step.uses?.includes('/actions/')) expect(step.with?.['dry-run'], step.uses).toBe(true);
        continue;
      }
      expect(dependsOn(rollback, name, 'approve'), name).toBe(true);
    }
  });

  it.each([
    ['services', 'rollback-service', 'services-plan'],
    ['database', 'rollback-database', 'database-plan'],
  ])('the %s job executes the approved plan of the plan job, never a relative target again', (job, action, output) => {
    const dryRun = rollback.jobs.plan?.steps?.find((s) => s.uses?.endsWith(`/actions/${action}`));
    expect(dryRun?.id).toBe(output);
    expect(rollback.jobs.plan?.outputs?.[output]).toBe(`\${{ steps.${output}.outputs.plan }}`);
    const execute = rollback.jobs[job]?.steps?.find((s) => s.uses?.endsWith(`/actions/${action}`));
    expect(execute?.with?.plan).toBe(`\${{ needs.plan.outputs.${output} }}`);
    expect(execute?.with).not.toHaveProperty('target');
    expect(needsOf(rollback.jobs[job])).toContain('plan');
  });

  it('runs the phases in the runbook order', () => {
    const order = ['plan', 'approve', 'reroute', 'services', 'database', 'frontend', 'verify', 'restore-reroute'];
    for (let i = 1; i < order.length; i++) expect(dependsOn(rollback, order[i] ?? '', order[i - 1] ?? ''), `${order[i]} after ${order[i - 1]}`).toBe(true);
    for (const job of order) expect(dependsOn(rollback, 'report', job), `report after ${job}`).toBe(true);
    expect(rollback.jobs.report?.if).toBe('always()');
  });

  it('never expands caller-controlled values inside run: scripts', () => {
    for (const file of ['.github/workflows/rollback.yml', '.github/workflows/auto-rollback.yml', '.github/workflows/ci.yml', 'docs/examples/deploy-with-guard.yml', 'docs/examples/guard-on-deployment-status.yml']) {
      const workflow = read(file);
      for (const [name, job] of Object.entries(workflow.jobs)) {
        for (const step of job.steps ?? []) {
          expect(step.run ?? '', `${file} ${name}`).not.toMatch(/\$\{\{\s*(inputs|secrets|github\.event)\./);
        }
      }
    }
  });

  it('has minimal permissions and never cancels a rollback in progress', () => {
    expect(rollback.permissions).toEqual({});
    expect(rollback.concurrency).toEqual({ group: 'rollback-${{ inputs.environment }}', 'cancel-in-progress': false });
    expect(rollback.jobs.approve?.permissions).toEqual({});
    for (const [name, job] of Object.entries(rollback.jobs)) {
      const writes = Object.entries(job.permissions ?? {}).filter(([, v]) => v === 'write').map(([k]) => k);
      expect(writes, name).toEqual(name === 'report' ? ['deployments', 'issues'] : []);
    }
  });

  it('auto-rollback calls rollback.yml with target previous, the measured severity and an automatic reason', () => {
    const auto = read('.github/workflows/auto-rollback.yml');
    expect(auto.jobs.guard?.steps?.find((s) => s.uses?.endsWith('/actions/verify'))?.with?.['stability-window']).toBe('${{ inputs.stability-window }}');
    expect(auto.jobs.rollback?.if).toBe("needs.guard.outputs.healthy == 'false'");
    expect(auto.jobs.rollback?.uses).toMatch(/\/\.github\/workflows\/rollback\.yml@v1$/);
    expect(auto.jobs.rollback?.with).toMatchObject({ target: 'previous', severity: '${{ needs.guard.outputs.severity }}', reason: 'automatic: post-deploy checks failed (${{ needs.guard.outputs.failed }})' });
  });
});
