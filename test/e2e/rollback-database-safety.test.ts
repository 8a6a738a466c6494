import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALEMBIC_HEAD, alembic, alembicDatabases, alembicRevision, databaseState, freshDatabase, query } from '../helpers/postgres.js';
import { hasStackTrace, readActionYaml, runAction } from '../helpers/run-action.js';

const HEAD = ALEMBIC_HEAD;
const B2 = 'b2f0c0de0002';
const databases = alembicDatabases();
const setup = databases.setup;

const revision = alembicRevision;
const database = (url: string, workspace: string, inputs: Record<string, string>, options: { env?: Record<string, string>; prelude?: string } = {}) =>
  runAction('rollback-database', { 'database-url': url, 'working-directory': 'alembic', ...inputs }, { cwd: workspace, ...options });
const filesIn = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);

interface Plan {
  version: number;
  'from-revision': string;
  'to-revision': string;
  migrations: { id: string; description: string }[];
  'data-loss': { migration: string; statement: string; table: string; column?: string; rows: number | null; values?: number }[];
}

describe('restore-only from a damaged archive: refused before anything is dropped', () => {
  it('truncated to 90 %, 50 %, 10 % or with 64 bytes zeroed: one error naming restore-from, the database exactly as before, nothing written', async () => {
    const { url, workspace } = await setup();
    await query(
      url,
      'CREATE TABLE events (id int PRIMARY KEY, payload text NOT NULL); INSERT INTO events SELECT g, md5(g::text) FROM generate_series(1, 150000) g',
    );
    const backup = await database(url, workspace, { tool: 'none', 'backup-dir': path.join(workspace, 'good') });
    expect(backup.outputs.status).toBe('backed-up');
    const good = backup.outputs['backup-path'] ?? '';
    const bytes = fs.readFileSync(good);
    const damaged: [string, Buffer][] = [
      ['truncated-90', bytes.subarray(0, Math.floor(bytes.length * 0.9))],
      ['truncated-50', bytes.subarray(0, Math.floor(bytes.length * 0.5))],
      ['truncated-10', bytes.subarray(0, Math.floor(bytes.length * 0.1))],
      ['zeroed-64', Buffer.concat([bytes.subarray(0, bytes.length / 2), Buffer.alloc(64), bytes.subarray(bytes.length / 2 + 64)])],
    ];
    const before = await databaseState(url);
    expect(before.tables['public.events']?.rows).toBe(150000);
    for (const [label, content] of damaged) {
      // without our record beside it: only reading the whole archive can tell
      const file = path.join(workspace, `${label}.dump`);
      fs.writeFileSync(file, content);
      const safetyDir = path.join(workspace, `safety-${label}`);
      const run = await database(url, workspace, { tool: 'none', 'restore-from': file, 'backup-dir': safetyDir });
      expect(run.code, label).toBe(1);
      expect(run.errorLines, label).toHaveLength(1);
      expect(run.errorLines[0], label).toMatch(
        new RegExp(
          `^::error::Input 'restore-from' ${file.replace(/[.]/g, '\\.')} (cannot be read to the end|ends inside|has no readable data|pg_restore --list cannot read).*nothing was restored or changed`,
        ),
      );
      expect(hasStackTrace(run.stdout + run.stderr), label).toBe(false);
      expect(filesIn(safetyDir), label).toEqual([]);
      expect(await databaseState(url), label).toEqual(before);
    }
    // with our record beside it, the damage is named by its checksum before pg_restore even starts
    const copy = path.join(workspace, 'zeroed-with-record.dump');
    fs.writeFileSync(copy, damaged[3]?.[1] ?? Buffer.alloc(0));
    fs.copyFileSync(`${good}.keiko.json`, `${copy}.keiko.json`);
    const recorded = await database(url, workspace, { tool: 'none', 'restore-from': copy });
    expect(recorded.errorLines).toHaveLength(1);
    expect(recorded.errorLines[0]).toContain('differs from what was written at backup time (sha256 of zeroed-with-record.dump)');
    expect(await databaseState(url)).toEqual(before);
  });

  it('a restore that fails half-way (a role the archive grants to is missing) leaves the database as it was: one transaction', async () => {
    const { url, workspace } = await setup();
    const source = await freshDatabase();
    databases.onCleanup(source.drop);
    const role = `keiko_reader_${process.pid}_${Date.now() % 100000}`;
    await query(
      source.url,
      `CREATE ROLE ${role}; CREATE TABLE reports (id int PRIMARY KEY, body text); INSERT INTO reports SELECT g, 'r' || g FROM generate_series(1, 500) g; GRANT SELECT ON reports TO ${role}`,
    );
    const dump = await database(source.url, workspace, { tool: 'none', 'backup-dir': path.join(workspace, 'src') });
    await source.drop();
    await query(url, `DROP ROLE ${role}`);
    const before = await databaseState(url);
    // the ACL entry comes after the data: everything before it ran, then the GRANT fails
    const run = await database(url, workspace, { tool: 'none', 'restore-from': dump.outputs['backup-path'] ?? '' });
    expect(run.code).toBe(1);
    expect(run.outputs.status).toBe('failed');
    expect(run.errorLines).toHaveLength(1);
    expect(run.errorLines[0]).toContain(`role "${role}" does not exist`);
    expect(run.errorLines[0]).toContain('The restore ran as one transaction and was rolled back: the database is exactly as before');
    const safety = run.outputs['safety-backup-path'] ?? '';
    expect(run.errorLines[0]).toContain(
      `If you need the database as it was, the safety backup ${safety} brings it back: pg_restore --clean --if-exists --no-owner --single-transaction -h 127.0.0.1 -p 5432 -U postgres -d ${url.split('/').pop()} ${safety}`,
    );
    expect(await databaseState(url)).toEqual(before);
    // the same with parallel workers: the safety backup goes back in one transaction, proven equal
    const parallel = await database(url, workspace, { tool: 'none', 'restore-from': dump.outputs['backup-path'] ?? '', jobs: '2' });
    expect(parallel.outputs.status).toBe('failed');
    expect(parallel.outputs.restored).toBe('true');
    expect(parallel.errorLines[0]).toContain(`was put back from the safety backup ${parallel.outputs['safety-backup-path']} and verified equal to before`);
    expect(parallel.summary).toMatch(/\| Restore safety backup \| ✅ ok \|/);
    expect(await databaseState(url)).toEqual(before);
  });
});

describe('absolute plans: made once, executed exactly, never a second step back', () => {
  it('the same plan run twice moves one step only; a stale plan is refused with nothing written', async () => {
    const { url, workspace } = await setup();
    const dry = await database(url, workspace, { target: '-1', 'dry-run': 'true' });
    expect(dry.outputs.status).toBe('dry-run');
    const plan = JSON.parse(dry.outputs.plan ?? '{}') as Plan;
    expect(plan).toMatchObject({ version: 1, 'from-revision': HEAD, 'to-revision': B2, migrations: [{ id: HEAD, description: 'create orders with data' }] });
    expect(plan['data-loss']).toEqual([expect.objectContaining({ migration: HEAD, statement: 'DROP TABLE', table: 'public.orders', rows: 1000 })]);
    expect(await revision(url)).toBe(HEAD);

    const first = await database(url, workspace, { plan: dry.outputs.plan ?? '' });
    expect(first.code, first.stdout).toBe(0);
    expect(first.outputs).toMatchObject({ status: 'rolled-back', 'from-revision': HEAD, 'to-revision': B2 });
    expect(await revision(url)).toBe(B2);

    const again = await database(url, workspace, { plan: dry.outputs.plan ?? '' });
    expect(again.code).toBe(0);
    expect(again.outputs).toMatchObject({ status: 'unchanged', 'backup-path': '', 'to-revision': B2 });
    expect(again.summary).toContain(`Database already at ${B2}: nothing written`);
    expect(again.summary).not.toMatch(/\| Backup \|/);
    expect(await revision(url)).toBe(B2);

    alembic(workspace, url, 'downgrade', 'a1f0c0de0001');
    const stale = await database(url, workspace, { plan: dry.outputs.plan ?? '', 'backup-dir': path.join(workspace, 'stale') });
    expect(stale.code).toBe(1);
    expect(stale.errorLines).toEqual([
      `::error::Input 'plan' expects the database at ${HEAD} (to go to ${B2}), but it is at a1f0c0de0001 now: someone migrated in between. Make a new plan (a dry run) and approve that one; nothing was written`,
    ]);
    expect(filesIn(path.join(workspace, 'stale'))).toEqual([]);
    expect(await revision(url)).toBe('a1f0c0de0001');
  });

  it('expect-revision refuses a mismatch with nothing written', async () => {
    const { url, workspace } = await setup();
    const run = await database(url, workspace, { target: '-1', 'expect-revision': B2, 'backup-dir': path.join(workspace, 'b') });
    expect(run.code).toBe(1);
    expect(run.errorLines).toEqual([
      `::error::Input 'expect-revision' is ${B2}, but the database is at ${HEAD}: nothing was written. Check what migrated it, then make a new plan`,
    ]);
    expect(filesIn(path.join(workspace, 'b'))).toEqual([]);
    expect(await revision(url)).toBe(HEAD);
    const matching = await database(url, workspace, { target: '-1', 'expect-revision': HEAD });
    expect(matching.outputs.status).toBe('rolled-back');
  });

  it('the dry run says what will be lost before it is lost: orders and its 1,000 rows, a ::warning::, a table at the top', async () => {
    const { url, workspace } = await setup();
    const run = await database(url, workspace, { target: 'a1f0c0de0001', 'dry-run': 'true' });
    expect(run.code).toBe(0);
    const plan = JSON.parse(run.outputs.plan ?? '{}') as Plan;
    expect(plan['data-loss'].map((l) => [l.statement, l.column ? `${l.table}.${l.column}` : l.table, l.rows, l.values])).toEqual([
      ['DROP TABLE', 'public.orders', 1000, undefined],
      ['DROP COLUMN', 'public.users.display_name', 250, 250],
    ]);
    expect(run.stdout).toMatch(
      /^::warning::The downgrade c3f0c0de0003 → a1f0c0de0001 removes data: DROP TABLE public\.orders \(1000 rows\), DROP COLUMN public\.users\.display_name \(250 values\)$/m,
    );
    const top = run.summary.indexOf('### ⚠️ Data this downgrade removes: 1250 row(s)/value(s)');
    expect(top).toBeGreaterThan(0);
    expect(top).toBeLessThan(run.summary.indexOf('| Phase |'));
    expect(run.summary).toContain('| c3f0c0de0003 | DROP TABLE | public.orders | 1000 | every row |');
    expect(await revision(url)).toBe(HEAD);
  });
});

describe('a safety net before every overwrite, and backups that stay private', () => {
  it('restore-only backs up what it overwrites; restoring that safety backup brings the overwritten data back; a third run is unchanged', async () => {
    const { url, workspace } = await setup();
    const backup = await database(url, workspace, { tool: 'none' });
    await query(url, "DELETE FROM orders WHERE id > 10; INSERT INTO users (email, display_name) VALUES ('late@keiko.example', 'late')");
    const overwritten = await databaseState(url);

    const restore = await database(url, workspace, { tool: 'none', 'restore-from': backup.outputs['backup-path'] ?? '' });
    expect(restore.code, restore.stdout).toBe(0);
    expect(restore.outputs.status).toBe('restored');
    const safety = restore.outputs['safety-backup-path'] ?? '';
    expect(fs.existsSync(safety)).toBe(true);
    expect(restore.summary).toContain(`**Safety backup of what was overwritten:** \`${safety}\``);
    expect((await query<{ n: string }>(url, 'SELECT count(*) AS n FROM orders'))[0]?.n).toBe('1000');

    const undo = await database(url, workspace, { tool: 'none', 'restore-from': safety });
    expect(undo.outputs.status).toBe('restored');
    expect(await databaseState(url)).toEqual(overwritten);
    const result = JSON.parse(undo.outputs.result ?? '{}') as { comparison: { equal: boolean; checksum: string }[] };
    expect(result.comparison.every((c) => c.equal && c.checksum === 'equal')).toBe(true);

    const third = await database(url, workspace, { tool: 'none', 'restore-from': safety });
    expect(third.outputs).toMatchObject({ status: 'unchanged', 'safety-backup-path': '' });
    expect(await databaseState(url)).toEqual(overwritten);
  });

  it('backup files are 0600 in a 0700 directory whatever the umask; a world-writable backup-dir gets a private subfolder', async () => {
    const { url, workspace } = await setup();
    const run = await database(url, workspace, { tool: 'none' }, { prelude: 'umask 000' });
    const file = run.outputs['backup-path'] ?? '';
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(`${file}.keiko.json`).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    const shared = path.join(workspace, 'shared');
    fs.mkdirSync(shared);
    fs.chmodSync(shared, 0o1777);
    const directory = await database(url, workspace, { tool: 'none', 'backup-dir': shared, 'backup-format': 'directory' }, { prelude: 'umask 000' });
    const dir = directory.outputs['backup-path'] ?? '';
    expect(path.dirname(path.dirname(dir))).toBe(shared);
    expect(fs.statSync(path.dirname(dir)).mode & 0o777).toBe(0o700);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of fs.readdirSync(dir)) expect(fs.statSync(path.join(dir, f)).mode & 0o777, f).toBe(0o600);
  });

  it('upload-artifact is off by default and the artifact is kept one day when turned on', () => {
    const inputs = readActionYaml('rollback-database').inputs ?? {};
    expect(inputs['upload-artifact']?.default).toBe('false');
    expect(inputs['artifact-retention-days']?.default).toBe('1');
  });
});

describe('bad input: one ::error:: naming the input, nothing written', () => {
  it.each([
    ['plan not JSON', { plan: 'c3 -> b2' }, "::error::Input 'plan' is not JSON"],
    [
      'plan of another version',
      { plan: JSON.stringify({ version: 2, kind: 'keiko-rollback/database-plan' }) },
      "::error::Input 'plan' has version 2; this keiko-rollback executes plan version 1",
    ],
    ['plan of another kind', { plan: '{"version":1}' }, "::error::Input 'plan' is not a rollback-database plan"],
    [
      'expect-revision with shell characters',
      { target: '-1', 'expect-revision': '$(reboot)' },
      `::error::Input 'expect-revision' must be the revision id or version the database must be at (letters, digits, '_' and '.'), got "$(reboot)"`,
    ],
    ['lock-timeout: soon', { target: '-1', 'lock-timeout': 'soon' }, `::error::Input 'lock-timeout' must be a duration such as 90s, 10m or 1h, got "soon"`],
    [
      'plan and target together',
      {
        target: '-1',
        plan: '{"version":1,"kind":"keiko-rollback/database-plan","operation":"downgrade","engine":"postgres","tool":"alembic","database":{"host":"h","port":"5432","name":"d"},"from-revision":"a","to-revision":"b","migrations":[],"data-loss":[],"created-at":"x"}',
      },
      "::error::Input 'target' is set together with plan",
    ],
  ])('%s', async (_label, inputs, line) => {
    const { url, workspace } = await setup();
    const before = await databaseState(url);
    const run = await database(url, workspace, { ...inputs, 'backup-dir': path.join(workspace, 'b') });
    expect(run.code).toBe(1);
    expect(run.errorLines).toHaveLength(1);
    expect(run.errorLines[0]?.startsWith(line), run.errorLines[0]).toBe(true);
    expect(hasStackTrace(run.stdout + run.stderr)).toBe(false);
    expect(filesIn(path.join(workspace, 'b'))).toEqual([]);
    expect(await databaseState(url)).toEqual(before);
  });

  it("another database's plan is refused", async () => {
    const a = await setup();
    const b = await setup();
    const plan = (await database(a.url, a.workspace, { target: '-1', 'dry-run': 'true' })).outputs.plan ?? '';
    const before = await databaseState(b.url);
    const run = await database(b.url, b.workspace, { plan });
    expect(run.errorLines).toEqual([
      `::error::Input 'plan' was made for database ${a.name} on 127.0.0.1:5432, not for ${b.name} on 127.0.0.1:5432 (database-url): nothing was written`,
    ]);
    expect(await databaseState(b.url)).toEqual(before);
  });
});
