import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ALEMBIC_HEAD, alembicDatabases, alembicRevision, databaseState, query } from '../helpers/postgres.js';
import { runAction } from '../helpers/run-action.js';

const HEAD = ALEMBIC_HEAD;
const databases = alembicDatabases();
const setup = databases.setup;

/** A colleague's psql session that holds a lock on purpose until the test lets go. */
async function holdLock(url: string, sql: string): Promise<{ pid: number; release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url, application_name: 'incident-psql' });
  await client.connect();
  const pid = Number((await client.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0]?.p);
  await client.query('BEGIN');
  await client.query(sql);
  let released = false;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end();
  };
  databases.onCleanup(release);
  return { pid, release };
}

const revision = alembicRevision;
const database = (url: string, workspace: string, inputs: Record<string, string>, options: Parameters<typeof runAction>[2] = {}) =>
  runAction('rollback-database', { 'database-url': url, 'working-directory': 'alembic', ...inputs }, { cwd: workspace, ...options });

describe('locks are visible and bounded', () => {
  it('LOCK TABLE … ACCESS EXCLUSIVE: the holder is named before the wait, lock-timeout ends it, the database is unchanged', async () => {
    const { url, workspace } = await setup();
    const backup = await database(url, workspace, { tool: 'none' });
    await query(url, 'DELETE FROM orders WHERE id > 500');
    const before = await databaseState(url);
    const lock = await holdLock(url, 'LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
    const run = await database(url, workspace, { tool: 'none', 'restore-from': backup.outputs['backup-path'] ?? '', 'lock-timeout': '3s' });
    expect(run.code).toBe(1);
    const warning = run.stdout
      .split('\n')
      .findIndex(
        (l) =>
          l.startsWith('::warning::Safety backup: 1 other session(s) hold locks') &&
          l.includes(`pid ${lock.pid} (user postgres, application incident-psql, idle in transaction`) &&
          l.includes('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE'),
      );
    expect(warning, run.stdout).toBeGreaterThanOrEqual(0);
    expect(warning).toBeLessThan(run.stdout.split('\n').findIndex((l) => l.startsWith('::error')));
    expect(run.errorLines).toHaveLength(1);
    expect(run.errorLines[0]).toMatch(
      new RegExp(
        `^::error::Safety backup failed: gave up waiting for a lock after lock-timeout .*sessions holding locks now: pid ${lock.pid} .*; nothing was changed in the database$`,
      ),
    );
    await lock.release();
    expect(await databaseState(url)).toEqual(before);
  });

  it('an idle-in-transaction reader blocks the restore: reported every 5 s while waiting, and the restore goes on once it lets go', async () => {
    const { url, workspace } = await setup();
    const backup = await database(url, workspace, { tool: 'none' });
    await query(url, 'DELETE FROM orders WHERE id > 500');
    const lock = await holdLock(url, 'SELECT count(*) FROM orders');
    let released: Promise<void> | undefined;
    const run = await database(
      url,
      workspace,
      { tool: 'none', 'restore-from': backup.outputs['backup-path'] ?? '', 'lock-timeout': '5m' },
      {
        // the test lets go when the log names it as the blocker: the event, not a delay
        onStdout: (soFar) => {
          if (
            !released &&
            soFar.includes(`::warning::Restore is waiting for a lock held by: pid ${lock.pid} (user postgres, application incident-psql, idle in transaction`)
          )
            released = lock.release();
        },
      },
    );
    await released;
    expect(released, run.stdout).toBeDefined();
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs.status).toBe('restored');
    expect(run.stdout).toMatch(
      new RegExp(`::warning::Restore: 1 other session\\(s\\) hold locks on tables of this database .*pid ${lock.pid} .*SELECT count\\(\\*\\) FROM orders`),
    );
    expect((await query<{ n: string }>(url, 'SELECT count(*) AS n FROM orders'))[0]?.n).toBe('1000');
  });

  it('the same reader and a short lock-timeout: the restore gives up, names it, and rolls back as one transaction', async () => {
    const { url, workspace } = await setup();
    const backup = await database(url, workspace, { tool: 'none' });
    await query(url, 'DELETE FROM orders WHERE id > 500');
    const before = await databaseState(url);
    const lock = await holdLock(url, 'SELECT count(*) FROM orders');
    const run = await database(url, workspace, { tool: 'none', 'restore-from': backup.outputs['backup-path'] ?? '', 'lock-timeout': '2s' });
    expect(run.code).toBe(1);
    expect(run.errorLines).toHaveLength(1);
    expect(run.errorLines[0]).toContain('gave up waiting for a lock after lock-timeout');
    expect(run.errorLines[0]).toContain(`pid ${lock.pid} (user postgres, application incident-psql, idle in transaction`);
    expect(run.errorLines[0]).toContain('The restore ran as one transaction and was rolled back: the database is exactly as before');
    await lock.release();
    expect(await databaseState(url)).toEqual(before);
  });

  it('a downgrade blocked past lock-timeout fails before changing anything and is not restored needlessly', async () => {
    const { url, workspace } = await setup();
    const before = await databaseState(url);
    const lock = await holdLock(url, 'SELECT count(*) FROM orders');
    const run = await database(url, workspace, { target: '-1', 'lock-timeout': '2s' });
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ status: 'failed', restored: 'false' });
    expect(run.errorLines).toHaveLength(1);
    expect(run.errorLines[0]).toContain(`pid ${lock.pid} (user postgres, application incident-psql`);
    expect(run.errorLines[0]).toContain(
      `before changing anything: the database equals the backup (rows, checksums, columns, indexes) and is still at ${HEAD}; nothing to restore`,
    );
    await lock.release();
    expect(await databaseState(url)).toEqual(before);
  });
});

describe('a backup-dir that cannot be used, and a disk that fills up', () => {
  it('a backup-dir under /proc fails at once with the path named', async () => {
    const { url, workspace } = await setup();
    const run = await database(url, workspace, { target: '-1', 'backup-dir': '/proc/keiko-backups' }, { timeoutMs: 60_000 });
    expect(run.code).toBe(1);
    expect(run.errorLines).toHaveLength(1);
    expect(run.errorLines[0]).toMatch(
      /^::error::Backup failed: backup directory \/proc\/keiko-backups cannot be used \(ENOENT.*\): choose a writable local folder in backup-dir; nothing was changed in the database$/,
    );
    expect(await revision(url)).toBe(HEAD);
  });

  it('a dump that fails on a full disk (file size limit) leaves no partial file and changes nothing', async () => {
    const { url, workspace } = await setup();
    await query(
      url,
      'CREATE TABLE events (id int PRIMARY KEY, payload text NOT NULL); INSERT INTO events SELECT g, md5(g::text) || md5((g * 3)::text) FROM generate_series(1, 100000) g',
    );
    const dir = path.join(workspace, 'small-disk');
    // 256 KiB per file for the action and its children: the dump outgrows it, nothing else does
    const run = await database(url, workspace, { target: '-1', 'backup-dir': dir }, { prelude: 'ulimit -f 256' });
    expect(run.code).toBe(1);
    expect(run.errorLines).toHaveLength(1);
    expect(run.errorLines[0]).toMatch(
      /^::error::Backup failed: pg_dump failed \((exit \d+|killed by a signal: a full disk or a file size limit\?); the partial file was removed\).*; nothing was changed in the database$/,
    );
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(await revision(url)).toBe(HEAD);
  });
});
