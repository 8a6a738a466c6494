import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { counts, freshDatabase, query } from '../helpers/postgres.js';
import { ROOT, runAction } from '../helpers/run-action.js';

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.map((c) => c()));
  cleanups = [];
});

const PATH = `${path.join(ROOT, 'test/fixtures/sqlcmd')}:${process.env.PATH ?? ''}`;
const BACKUP = `CREATE TABLE [dbo_orders] ([id] INT PRIMARY KEY, [total] INT NOT NULL);
GO
INSERT INTO [dbo_orders] VALUES (1, 100), (2, 250), (3, 75);
GO
`;

async function setup(backup = BACKUP): Promise<{ url: string; workspace: string; name: string }> {
  const db = await freshDatabase();
  cleanups.push(db.drop);
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-azsql-'));
  fs.writeFileSync(path.join(workspace, 'db-backup-20261124.sql'), backup);
  return { url: `sqlserver://keiko_admin:Sup3r-Secret-Pw@127.0.0.1:5432/${db.name}`, workspace, name: db.url };
}

describe('rollback-database engine: sqlserver (Azure SQL through the sqlcmd contract, with a stand-in)', () => {
  it('checks the backup and the connection, restores with sqlcmd -i, and reports the tables after', async () => {
    const { url, workspace, name } = await setup();
    const run = await runAction(
      'rollback-database',
      { 'database-url': url, engine: 'sqlserver', 'restore-from': 'db-backup-20261124.sql' },
      { cwd: workspace, env: { PATH } },
    );
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs.restored).toBe('true');
    expect(await counts(name)).toEqual({ 'public.dbo_orders': 3 });
    expect(await query(name, 'SELECT sum(total)::int AS s FROM dbo_orders')).toEqual([{ s: 425 }]);
    const result = JSON.parse(run.outputs.result ?? '{}') as { phases: { phase: string; status: string }[] };
    expect(result.phases.map((p) => `${p.phase}:${p.status}`)).toEqual(['Check backup:ok', 'Connect:ok', 'Restore (sqlcmd -i):ok', 'Verify restore:ok']);
    expect(run.summary).toContain('Azure SQL restored from db-backup-20261124.sql');
    expect(run.visible).not.toContain('Sup3r-Secret-Pw');
  });

  it('fails before running anything on a bad backup or a refused login (401-like), and loudly on a failing script', async () => {
    const { url, workspace } = await setup('-- nothing here\n');
    const empty = await runAction(
      'rollback-database',
      { 'database-url': url, engine: 'sqlserver', 'restore-from': 'db-backup-20261124.sql' },
      { cwd: workspace, env: { PATH } },
    );
    expect(empty.errorLines[0]).toContain("::error::Input 'restore-from'");
    expect(empty.errorLines[0]).toContain('does not look like a SQL backup');
    fs.writeFileSync(path.join(workspace, 'db-backup-20261124.sql'), BACKUP);
    const refused = await runAction(
      'rollback-database',
      { 'database-url': url.replace('Sup3r-Secret-Pw', 'wrong-password'), engine: 'sqlserver', 'restore-from': 'db-backup-20261124.sql' },
      { cwd: workspace, env: { PATH } },
    );
    expect(refused.code).toBe(1);
    expect(refused.errorLines[0]).toContain('Login failed');
    fs.writeFileSync(path.join(workspace, 'broken.sql'), 'CREATE TABLE [t] ([id] INT);\nINSERT INTO [nope] VALUES (1);\n');
    const broken = await runAction(
      'rollback-database',
      { 'database-url': url, engine: 'sqlserver', 'restore-from': 'broken.sql' },
      { cwd: workspace, env: { PATH } },
    );
    expect(broken.code).toBe(1);
    expect(broken.errorLines[0]).toContain('the restore of');
    expect(broken.errorLines[0]).toContain('Run by hand: sqlcmd -S tcp:127.0.0.1,5432');
  });

  it('keeps the password out of argv and asks for engine: sqlserver with a SQL Server URL', async () => {
    const { url, workspace } = await setup();
    const log = path.join(workspace, 'argv.log');
    const shim = path.join(workspace, 'bin');
    fs.mkdirSync(shim);
    fs.writeFileSync(
      path.join(shim, 'sqlcmd'),
      `#!/bin/bash\nprintf '%s\\n' "sqlcmd $*" >> '${log}'\nexec '${path.join(ROOT, 'test/fixtures/sqlcmd/sqlcmd')}' "$@"\n`,
      { mode: 0o755 },
    );
    const run = await runAction(
      'rollback-database',
      { 'database-url': url, engine: 'sqlserver', 'restore-from': 'db-backup-20261124.sql' },
      { cwd: workspace, env: { PATH: `${shim}:${PATH}` } },
    );
    expect(run.code).toBe(0);
    expect(fs.readFileSync(log, 'utf8')).toContain('sqlcmd -S tcp:127.0.0.1,5432 -d');
    expect(fs.readFileSync(log, 'utf8')).not.toContain('Sup3r-Secret-Pw');
    const wrongEngine = await runAction('rollback-database', { 'database-url': url, 'restore-from': 'x.sql' }, { cwd: workspace });
    expect(wrongEngine.errorLines).toEqual(["::error::Input 'database-url' is a SQL Server URL: set engine: sqlserver, or pass a postgres:// URL"]);
  });
});
