import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ROOT } from './helpers/run-action.js';

interface Job {
  name?: string;
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
  on: Record<string, { inputs?: Record<string, { options?: string[] }>; secrets?: Record<string, unknown> }>;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
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

const WORKFLOWS = [
  '.github/workflows/rollback.yml',
  '.github/workflows/auto-rollback.yml',
  '.github/workflows/ci.yml',
  '.github/workflows/release.yml',
  'docs/examples/deploy-with-guard.yml',
  'docs/examples/guard-on-deployment-status.yml',
];
const WRITE_SECRETS = ['KUBECONFIG', 'DATABASE_URL', 'VERCEL_TOKEN'];
const text = (file: string): string => fs.readFileSync(path.join(ROOT, file), 'utf8');
const APPROVAL = ['approve-environment', 'approve-issue'];
const APPROVED = "${{ !cancelled() && (needs.approve-environment.result == 'success' || needs.approve-issue.result == 'success') }}";
const PHASE_STEPS = ['reroute', 'services', 'database', 'frontend', 'verify', 'restore-reroute'];
const stepsOf = (job: string) => rollback.jobs[job]?.steps ?? [];

describe('rollback.yml structure', () => {
  it('is callable and dispatchable, with the severities as choices and at most 25 dispatch inputs', () => {
    expect(Object.keys(rollback.on)).toEqual(['workflow_call', 'workflow_dispatch']);
    expect(rollback.on.workflow_dispatch?.inputs?.severity?.options).toEqual(['critical', 'high', 'medium', 'low']);
    expect(Object.keys(rollback.on.workflow_dispatch?.inputs ?? {}).length).toBeLessThanOrEqual(25);
  });

  it('approves through the environment of the severity, or through an issue comment, as the plan job decided', () => {
    expect(rollback.jobs['approve-environment']?.environment).toBe('rollback-${{ inputs.severity }}');
    expect(rollback.jobs['approve-environment']?.if).toBe("needs.plan.outputs.approval == 'environment'");
    expect(rollback.jobs['approve-issue']?.if).toBe("needs.plan.outputs.approval == 'issue'");
    expect(rollback.jobs['approve-issue']?.steps?.some((s) => s.run?.includes('keiko-rollback.js approve '))).toBe(true);
    for (const name of ['rollback', 'announce']) {
      expect(rollback.jobs[name]?.if, name).toBe(APPROVED);
      for (const approval of APPROVAL) expect(needsOf(rollback.jobs[name]), name).toContain(approval);
    }
  });

  it('every job that changes anything needs the approval; the plan job only dry-runs', () => {
    const changing = Object.entries(rollback.jobs).filter(
      ([, job]) => usesOfJob(job).some((u) => u.includes('/actions/')) || (job.steps ?? []).some((s) => s.run?.includes(' report ')),
    );
    expect(changing.map(([name]) => name).sort()).toEqual(['plan', 'report', 'rollback']);
    for (const step of stepsOf('plan')) if (step.uses?.includes('/actions/')) expect(step.with?.['dry-run'], step.uses).toBe(true);
    expect(rollback.jobs.rollback?.if).toBe(APPROVED);
  });

  it('write credentials reach no job before the approval: only the rollback job names them', () => {
    for (const name of ['plan', ...APPROVAL]) {
      const job = JSON.stringify(rollback.jobs[name]);
      for (const secret of WRITE_SECRETS) expect(job, `${name} uses ${secret}`).not.toMatch(new RegExp(`secrets\\.${secret}\\b(?!_READONLY)`));
    }
    // the read-only ones are what the plan works with
    expect(JSON.stringify(rollback.jobs.plan)).toContain('secrets.KUBECONFIG_READONLY');
    const writers = Object.entries(rollback.jobs)
      .filter(([, job]) => WRITE_SECRETS.some((s) => new RegExp(`secrets\\.${s}\\b(?!_READONLY)`).test(JSON.stringify(job))))
      .map(([n]) => n);
    expect(writers).toEqual(['rollback']);
    for (const approval of APPROVAL) expect(dependsOn(rollback, 'rollback', approval)).toBe(true);
  });

  it.each([
    ['services', 'rollback-service', 'services-plan'],
    ['database', 'rollback-database', 'database-plan'],
    ['frontend', 'rollback-frontend', 'frontend-plan'],
  ])('the %s phase executes the approved plan of the plan job, never a relative target again', (id, action, output) => {
    const dryRun = stepsOf('plan').find((s) => s.uses?.endsWith(`/actions/${action}`));
    expect(dryRun?.id).toBe(output);
    expect(rollback.jobs.plan?.outputs?.[output]).toBe(`\${{ steps.${output}.outputs.plan }}`);
    const execute = stepsOf('rollback').find((s) => s.id === id);
    expect(execute?.uses).toBe(`./.keiko-rollback/actions/${action}`);
    expect(execute?.with?.plan).toBe(`\${{ needs.plan.outputs.${output} }}`);
    // a target only when no plan could be made before approval (no read-only credential for that system)
    if (execute?.with?.target !== undefined)
      expect(String(execute.with.target)).toMatch(new RegExp(`^\\$\\{\\{ needs\\.plan\\.outputs\\.${output} == '' && inputs\\.`));
    expect(needsOf(rollback.jobs.rollback)).toContain('plan');
  });

  it('runs the phases in the runbook order, each only when none before it failed; verify always', () => {
    const ids = stepsOf('rollback')
      .map((s) => s.id)
      .filter((id) => id !== undefined);
    expect(ids).toEqual(PHASE_STEPS);
    const condition = (id: string): string => String((stepsOf('rollback').find((s) => s.id === id) as { if?: string } | undefined)?.if ?? '');
    for (const [index, id] of ['services', 'database', 'frontend'].entries())
      for (const before of PHASE_STEPS.slice(0, index + 1)) expect(condition(id), `${id} after ${before}`).toContain(`steps.${before}.outcome != 'failure'`);
    expect(condition('verify')).toBe('${{ !cancelled() }}');
    expect(condition('restore-reroute')).toContain("steps.verify.outputs.healthy == 'true'");
    for (const job of ['plan', ...APPROVAL, 'announce', 'rollback']) expect(dependsOn(rollback, 'report', job), `report after ${job}`).toBe(true);
    expect(rollback.jobs.report?.if).toBe('always()');
    expect(rollback.jobs.rollback?.outputs?.steps).toBe('${{ toJSON(steps) }}');
  });

  it('after the approval one job start stands before the verify result: one checkout of the actions, no setup-node', () => {
    const afterApproval = Object.keys(rollback.jobs).filter((name) => APPROVAL.some((a) => dependsOn(rollback, name, a)));
    const beforeVerify = afterApproval.filter((name) => name !== 'report' && name !== 'announce');
    expect(beforeVerify).toEqual(['rollback']);
    const uses = usesOfJob(rollback.jobs.rollback ?? {});
    expect(uses.filter((u) => u.startsWith('actions/setup-node'))).toEqual([]);
    expect(stepsOf('rollback').filter((s) => s.uses?.startsWith('actions/checkout') && s.with?.path === '.keiko-rollback')).toHaveLength(1);
  });

  it('never expands caller-controlled values inside run: scripts', () => {
    for (const file of WORKFLOWS) {
      const workflow = read(file);
      for (const [name, job] of Object.entries(workflow.jobs)) {
        for (const step of job.steps ?? []) expect(step.run ?? '', `${file} ${name}`).not.toMatch(/\$\{\{\s*(inputs|secrets|github\.event)\./);
      }
    }
  });

  it('has minimal permissions and never cancels a rollback in progress', () => {
    expect(rollback.permissions).toEqual({});
    expect(rollback.concurrency).toEqual({ group: 'rollback-${{ inputs.environment }}', 'cancel-in-progress': false });
    expect(rollback.jobs['approve-environment']?.permissions).toEqual({});
    for (const [name, job] of Object.entries(rollback.jobs)) {
      const writes = Object.entries(job.permissions ?? {})
        .filter(([, v]) => v === 'write')
        .map(([k]) => k);
      expect(writes, name).toEqual(name === 'report' ? ['deployments', 'issues'] : name === 'approve-issue' ? ['issues'] : []);
    }
  });
});

describe('every workflow', () => {
  it.each(WORKFLOWS)('%s: every secret name is a valid repository secret name (so workflow_dispatch gets it too)', (file) => {
    const names = [...text(file).matchAll(/secrets\.([A-Za-z0-9_-]+)/g)].map((m) => m[1] ?? '');
    for (const name of names) {
      expect(name, `${file}: secrets.${name}`).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
      expect(name.toUpperCase().startsWith('GITHUB_'), `${file}: secrets.${name}`).toBe(false);
    }
    const declared = read(file).on.workflow_call?.secrets ?? {};
    for (const name of Object.keys(declared)) expect(name).toMatch(/^[A-Z][A-Z0-9_]*$/);
  });

  it.each(WORKFLOWS)('%s: third-party actions are pinned by full commit SHA with the version in a comment', (file) => {
    for (const line of text(file)
      .split('\n')
      .filter((l) => /^\s*(- )?uses: [^.]/.test(l) && !l.includes('.github/workflows/'))) {
      expect(line, file).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+(\.\d+)*$/);
    }
  });

  it.each(['.github/workflows/rollback.yml', '.github/workflows/auto-rollback.yml'])(
    '%s: every checkout keeps no credentials behind for caller code, and no @v1 is hard-coded',
    (file) => {
      for (const job of Object.values(read(file).jobs)) {
        for (const step of job.steps ?? []) if (step.uses?.startsWith('actions/checkout@')) expect(step.with?.['persist-credentials'], file).toBe(false);
        if (job.uses) expect(job.uses).toBe('./.github/workflows/rollback.yml');
      }
      // comments may show callers how to pin; the workflow itself never names a moving tag
      expect(
        text(file)
          .split('\n')
          .filter((l) => !l.trim().startsWith('#'))
          .join('\n'),
      ).not.toMatch(/@v1\b(?!\.)/m);
    },
  );
});

describe('auto-rollback.yml and the examples', () => {
  const auto = read('.github/workflows/auto-rollback.yml');
  it('guards with verify, claims the release once, and rolls back only that release with the measured severity', () => {
    expect(auto.jobs.guard?.steps?.find((s) => s.uses?.endsWith('/actions/verify'))?.with?.['stability-window']).toBe('${{ inputs.stability-window }}');
    expect(auto.jobs.guard?.steps?.some((s) => s.run?.includes('keiko-rollback.js claim-automatic'))).toBe(true);
    expect(auto.jobs.rollback?.if).toBe("needs.guard.outputs.rollback == 'true'");
    expect(auto.jobs.rollback?.with).toMatchObject({
      target: 'previous',
      release: '${{ inputs.release }}',
      automatic: true,
      severity: '${{ needs.guard.outputs.severity }}',
      'claim-deployment': '${{ needs.guard.outputs.claim-deployment }}',
      'detected-at': '${{ needs.guard.outputs.detected-at }}',
    });
    expect(auto.concurrency).toBeUndefined();
  });

  it('the deploy example holds the concurrency group in the deploy job only, and guards failed deploys too', () => {
    const deploy = read('docs/examples/deploy-with-guard.yml');
    expect(deploy.concurrency).toBeUndefined();
    expect((deploy.jobs.deploy as Job & { concurrency?: unknown }).concurrency).toEqual({ group: 'rollback-production', 'cancel-in-progress': false });
    expect(deploy.jobs.guard?.if).toContain('always()');
    expect(deploy.jobs.guard?.with).toMatchObject({ release: '${{ github.ref_name }}', 'deploy-result': '${{ needs.deploy.result }}' });
  });

  it('the deployment_status example never triggers on a rollback’s own deployment record', () => {
    expect(read('docs/examples/guard-on-deployment-status.yml').jobs.guard?.if).toContain("github.event.deployment.task != 'rollback'");
  });
});
