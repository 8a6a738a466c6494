import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ALEMBIC_HEAD,
  alembicDatabases,
  alembicRevision,
  counts,
  freshDatabase,
  query,
  recordingPath,
  schemaOnly,
  workspaceWithProjects,
} from '../helpers/postgres.js';
import { hasStackTrace, runAction } from '../helpers/run-action.js';

const HEAD = ALEMBIC_HEAD;
const databases = alembicDatabases();
const setup = databases.setup;

const revision = alembicRevision;
const database = (url: string, workspace: string, inputs: Record<string, string>, env: Record<string, string> = {}) =>
  runAction('rollback-database', { 'database-url': url, 'working-directory': 'alembic', ...inputs }, { cwd: workspace, env });

describe('rollback-database with real Alembic and PostgreSQL', () => {
  it('downgrades one step after a verified backup', async () => {
    const { url, workspace } = await setup();
    const run = await database(url, workspace, { target: '-1' });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs).toMatchObject({ 'from-revision': HEAD, 'to-revision': 'b2f0c0de0002', restored: 'false' });
    expect(await revision(url)).toBe('b2f0c0de0002');
    expect(await counts(url)).toEqual({ 'public.alembic_version': 1, 'public.users': 250 });
    expect(fs.existsSync(run.outputs['backup-path'] ?? '')).toBe(true);
    expect(Number(run.outputs['backup-bytes'])).toBeGreaterThan(1000);
    expect(run.outputs.status).toBe('rolled-back');
    expect(run.summary).toContain(`**Revision:** \`${HEAD}\` → \`b2f0c0de0002\``);
    expect(run.summary).toMatch(/\| Backup \| ✅ ok \|/);
    const result = JSON.parse(run.outputs.result ?? '{}') as { phases: { phase: string }[]; tables: { before: Record<string, number> } };
    // upload-artifact is off unless asked for: a production dump is not a workflow artifact by default
    expect(result.phases.map((p) => p.phase)).toEqual(['Connect', 'Plan', 'Backup', 'Downgrade (alembic)']);
    expect(result.tables.before['public.orders']).toBe(1000);
  });

  it('downgrades to a revision id and to base', async () => {
    const { url, workspace } = await setup();
    expect((await database(url, workspace, { target: 'a1f0c0de0001' })).code).toBe(0);
    expect(await revision(url)).toBe('a1f0c0de0001');
    const base = await database(url, workspace, { target: 'base' });
    expect(base.code).toBe(0);
    expect(base.outputs['to-revision']).toBe('base');
    expect(await revision(url)).toBeUndefined();
  });

  it('restores automatically when the downgrade fails half-way: schema and every row as before', async () => {
    const { url, workspace } = await setup();
    const schemaBefore = schemaOnly(url);
    const rowsBefore = await counts(url);
    const namesBefore = await query(url, 'SELECT id, email, display_name FROM users ORDER BY id');
    const run = await database(url, workspace, { target: 'base' }, { KEIKO_FAIL_DOWNGRADE: 'b2f0c0de0002' });
    expect(run.code).toBe(1);
    expect(run.errorLines).toHaveLength(1);
    expect(run.errorLines[0]).toContain(`the downgrade to base failed`);
    expect(run.errorLines[0]).toContain(`the database was restored to revision ${HEAD}`);
    expect(run.outputs.restored).toBe('true');
    expect(await revision(url)).toBe(HEAD);
    expect(schemaOnly(url)).toBe(schemaBefore);
    expect(await counts(url)).toEqual(rowsBefore);
    expect(await query(url, 'SELECT id, email, display_name FROM users ORDER BY id')).toEqual(namesBefore);
    expect(run.summary).toMatch(/\| Restore \| ✅ ok \|/);
    expect(run.summary).toMatch(/\| Verify restore \| ✅ ok \|/);
    // proof of equality, not just counts: every table's checksum, columns and indexes
    const result = JSON.parse(run.outputs.result ?? '{}') as {
      comparison: { table: string; checksum: string; columns: string; indexes: string; equal: boolean }[];
    };
    expect(result.comparison.map((c) => c.table)).toEqual(['public.alembic_version', 'public.orders', 'public.users']);
    for (const c of result.comparison) expect(c).toMatchObject({ checksum: 'equal', columns: 'equal', indexes: 'equal', equal: true });
    expect(run.summary).toContain('### ✅ Restored database compared with the backup');
    expect(run.summary).toMatch(/\| public\.users \| 250 \| 250 \| equal \(full\) \| equal \| equal \| ✅ \|/);
  });

  it('directory format with jobs: 2 dumps and restores in parallel', async () => {
    const { url, workspace } = await setup();
    const before = await counts(url);
    const run = await database(url, workspace, { target: 'base', 'backup-format': 'directory', jobs: '2' }, { KEIKO_FAIL_DOWNGRADE: 'b2f0c0de0002' });
    expect(run.outputs.restored).toBe('true');
    expect(fs.statSync(run.outputs['backup-path'] ?? '').isDirectory()).toBe(true);
    expect(await counts(url)).toEqual(before);
  });

  it('stops before any downgrade when the backup cannot be written', async () => {
    const { url, workspace } = await setup();
    const blocker = path.join(workspace, 'not-a-dir');
    fs.writeFileSync(blocker, 'x');
    const run = await database(url, workspace, { target: '-1', 'backup-dir': path.join(blocker, 'backups') });
    expect(run.code).toBe(1);
    expect(run.errorLines).toHaveLength(1);
    expect(run.errorLines[0]).toMatch(/Backup failed: backup directory .*not-a-dir\/backups cannot be used .*; nothing was changed in the database/);
    expect(await revision(url)).toBe(HEAD);
  });

  it('restore-only mode restores an earlier backup and reports counts', async () => {
    const { url, workspace } = await setup();
    const backup = await database(url, workspace, { tool: 'none' });
    expect(backup.code).toBe(0);
    await query(url, 'DELETE FROM orders WHERE id > 10');
    const run = await database(url, workspace, { 'restore-from': backup.outputs['backup-path'] ?? '' });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs.restored).toBe('true');
    expect((await counts(url))['public.orders']).toBe(1000);
    expect(run.summary).toContain('Database restored from');
  });

  it('dry-run prints the SQL and changes nothing, without a backup', async () => {
    const { url, workspace } = await setup();
    const run = await database(url, workspace, { target: '-1', 'dry-run': 'true' });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('DROP TABLE orders;');
    expect(run.summary).toContain('DROP TABLE orders;');
    expect(run.outputs['backup-path']).toBe('');
    expect(await revision(url)).toBe(HEAD);
  });

  it('keeps the password out of stdout, stderr, summary, outputs and every child argv', async () => {
    const { url, workspace } = await setup();
    const secret = 'S3cret-Passw0rd-kr';
    const withPassword = url.replace('postgres@', `postgres:${secret}@`);
    const { path: PATH, log } = recordingPath(workspace);
    const run = await database(withPassword, workspace, { target: 'base' }, { PATH, KEIKO_FAIL_DOWNGRADE: 'b2f0c0de0002' });
    expect(run.outputs.restored).toBe('true');
    expect(run.visible).not.toContain(secret);
    const argv = fs.readFileSync(log, 'utf8');
    // issue 18: no child inherits the runner's inputs (INPUT_DATABASE-URL carried the whole URL)
    const childEnv = fs.readFileSync(`${log}.env`, 'utf8');
    expect(childEnv).toContain('PATH=');
    expect(childEnv).not.toMatch(/^INPUT_/m);
    expect(argv).toContain('pg_dump --format=custom');
    expect(argv).toContain('pg_restore --clean');
    expect(argv).toContain('alembic downgrade base');
    expect(argv).not.toContain(secret);
    const unreachable = await database(withPassword.replace(':5432/', ':5999/'), workspace, { target: '-1' });
    expect(unreachable.errorLines).toHaveLength(1);
    expect(unreachable.errorLines[0]).toMatch(
      /^::error::PostgreSQL at 127\.0\.0\.1:5999\/\w+ is unreachable for the connection \(ECONNREFUSED\): check database-url and that this machine can reach it\.$/,
    );
    expect(unreachable.visible).not.toContain(secret);
  });
});

describe('rollback-database with Flyway (the documented CLI contract, through the stand-in)', () => {
  it('undoes to a version and to -N, verifying the version after', async () => {
    const db = await freshDatabase();
    databases.onCleanup(db.drop);
    const workspace = workspaceWithProjects();
    const flywayDir = path.join(workspace, 'flyway');
    const PATH = `${flywayDir}:${process.env.PATH ?? ''}`;
    const { execFileSync } = await import('node:child_process');
    execFileSync('flyway', ['migrate', '-outputType=json', `-url=jdbc:postgresql://127.0.0.1:5432/${db.name}`, '-user=postgres'], {
      cwd: flywayDir,
      env: { ...process.env, PATH },
    });
    const one = await runAction(
      'rollback-database',
      { 'database-url': db.url, tool: 'flyway', target: '-1', 'working-directory': 'flyway' },
      { cwd: workspace, env: { PATH } },
    );
    expect(one.code, one.stdout).toBe(0);
    expect(one.outputs).toMatchObject({ 'from-revision': '3', 'to-revision': '2' });
    expect((await counts(db.url))['public.invoices']).toBeUndefined();
    const dry = await runAction(
      'rollback-database',
      { 'database-url': db.url, tool: 'flyway', target: '1', 'working-directory': 'flyway', 'dry-run': 'true' },
      { cwd: workspace, env: { PATH } },
    );
    expect(dry.stdout).toContain('-- 2: add account plan');
    const dryPlan = JSON.parse(dry.outputs.plan ?? '{}') as {
      'from-revision': string;
      'to-revision': string;
      migrations: { id: string }[];
      'data-loss': { statement: string; table: string; column?: string }[];
    };
    expect(dryPlan).toMatchObject({ 'from-revision': '2', 'to-revision': '1', migrations: [{ id: '2' }] });
    // the undo script U2 is `ALTER TABLE accounts DROP COLUMN plan;`
    expect(dryPlan['data-loss'].map((l) => `${l.statement} ${l.table}.${l.column ?? ''}`)).toEqual(['DROP COLUMN public.accounts.plan']);
    const missingUndo = await runAction(
      'rollback-database',
      { 'database-url': db.url, tool: 'flyway', target: 'base', 'working-directory': 'flyway' },
      { cwd: workspace, env: { PATH } },
    );
    expect(missingUndo.code).toBe(1);
    expect(missingUndo.outputs.restored).toBe('true');
    expect(missingUndo.errorLines[0]).toContain('no undo migration U1 found');
    expect((await counts(db.url))['public.accounts']).toBe(120);
  });
});

describe('bad input: one ::error::, database untouched', () => {
  it.each([
    [
      'working-directory escaping the workspace',
      { target: '-1', 'working-directory': '../..' },
      "::error::Input 'working-directory' must stay inside the workspace",
    ],
    ['working-directory without alembic.ini', { target: '-1', 'working-directory': 'flyway' }, "::error::Input 'working-directory' has no alembic.ini"],
    ['missing target', { target: '' }, "::error::Input 'target' is required with tool: alembic"],
    ['target not below current', { target: 'zzz999' }, `::error::Input 'target' "zzz999" is not a revision of this Alembic project`],
    ['restore-from missing', { 'restore-from': '/nonexistent/db-backup.dump' }, "::error::Input 'restore-from' /nonexistent/db-backup.dump does not exist"],
    ['restore-from not an archive', { 'restore-from': 'alembic/alembic.ini' }, "::error::Input 'restore-from'"],
  ])('%s', async (_label, inputs, line) => {
    const { url, workspace } = await setup();
    const before = await counts(url);
    const run = await database(url, workspace, inputs);
    expect(run.code).toBe(1);
    expect(run.errorLines).toHaveLength(1);
    expect(run.errorLines[0]?.startsWith(line), run.errorLines[0]).toBe(true);
    expect(hasStackTrace(run.stdout + run.stderr)).toBe(false);
    expect(await revision(url)).toBe(HEAD);
    expect(await counts(url)).toEqual(before);
  });
});
