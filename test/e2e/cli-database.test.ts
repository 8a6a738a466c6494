import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { atTerminal, runCli } from '../helpers/cli.js';
import { ALEMBIC_HEAD, alembicDatabases, alembicRevision } from '../helpers/postgres.js';

const HEAD = ALEMBIC_HEAD;
const B2 = 'b2f0c0de0002';
const databases = alembicDatabases();
const setup = databases.setup;

const revision = alembicRevision;

describe('keiko-rollback database: the runbook form, a plan shown and confirmed before anything is written', () => {
  it('`database <target-migration> production` reads DATABASE_URL_PRODUCTION, shows the plan with what it removes, and writes nothing on "n"', async () => {
    const { url, workspace } = await setup();
    const run = await atTerminal(['database', B2, 'production', '--working-directory', 'alembic'], { DATABASE_URL_PRODUCTION: url }, workspace, 'n');
    expect(run.code, run.screen).toBe(1);
    expect(run.screen).toContain(`Database rollback (dry run): ${HEAD} → ${B2}`);
    expect(run.screen).toContain('| c3f0c0de0003 | DROP TABLE | public.orders | 1000 | every row |');
    expect(run.screen).toContain('Not confirmed: nothing was written.');
    expect(await revision(url)).toBe(HEAD);
  });

  it('on "y" it executes exactly the plan it showed, and says so', async () => {
    const { url, workspace } = await setup();
    const run = await atTerminal(['database', '-1', 'production', '--working-directory', 'alembic'], { DATABASE_URL_PRODUCTION: url }, workspace, 'y');
    expect(run.code, run.screen).toBe(0);
    expect(run.screen).toMatch(/"status": "rolled-back"/);
    expect(run.screen).toMatch(/\| Plan \| ➖ skipped \| .* \| given: c3f0c0de0003 → b2f0c0de0002/);
    expect(await revision(url)).toBe(B2);
  });

  it('without a terminal (a script) or with --yes it does not ask; --plan <file> runs a saved plan, and again says unchanged', async () => {
    const { url, workspace } = await setup();
    const dry = await runCli(['database', '--target', '-1', '--working-directory', 'alembic', '--dry-run'], { DATABASE_URL: url }, workspace);
    expect(dry.code, dry.stderr).toBe(0);
    const planFile = path.join(workspace, 'plan.json');
    fs.writeFileSync(planFile, JSON.stringify((JSON.parse(dry.stdout) as { plan: object }).plan));
    const first = await runCli(['database', '--plan', planFile, '--working-directory', 'alembic'], { DATABASE_URL: url }, workspace);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).not.toContain('Proceed?');
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'rolled-back', 'to-revision': B2 });
    const second = await runCli(['database', '--plan', planFile, '--working-directory', 'alembic', '--yes'], { DATABASE_URL: url }, workspace);
    expect(JSON.parse(second.stdout)).toMatchObject({ status: 'unchanged', 'backup-path': '' });
    expect(await revision(url)).toBe(B2);
  });

  it('an environment without its URL variable stops at once, naming the variable', async () => {
    const { url, workspace } = await setup();
    const run = await runCli(['database', B2, 'staging', '--working-directory', 'alembic'], { DATABASE_URL: url }, workspace);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      "error: DATABASE_URL_STAGING is not set: export the staging database's URL in it (kept out of argv), or pass --database-url",
    );
    expect(await revision(url)).toBe(HEAD);
  });
});
