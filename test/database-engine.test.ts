import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rollbackDatabaseSchema } from '../src/actions/rollback-database/inputs.js';
import { databaseSummary } from '../src/actions/rollback-database/summary.js';
import { ConfigurationError, failureLine } from '../src/core/errors.js';
import { readInputs } from '../src/core/inputs.js';
import { parseAlembicHistory, splitOfflineSql } from '../src/database/alembic.js';
import { lossStatements, lossTotal, splitStatements } from '../src/database/data-loss.js';
import { compareFingerprints, differences, type Fingerprint } from '../src/database/fingerprint.js';
import { alembicUrl, connectionInfo, jdbcUrl, libpqSession, nodeConnectionString } from '../src/database/libpq.js';
import { type DowngradePlan, decideDowngrade, parsePlan } from '../src/database/plan.js';
import { manualRestoreCommand } from '../src/database/restore.js';

describe('what a downgrade removes, read from its SQL', () => {
  it('finds DROP TABLE, DROP COLUMN, TRUNCATE and DELETE, ignores the tools’ bookkeeping, and says what it cannot estimate', () => {
    const sql = `
      -- Running downgrade
      DROP INDEX orders_user_id;
      DROP TABLE IF EXISTS orders, "Audit Log" CASCADE;
      ALTER TABLE users DROP COLUMN display_name, DROP COLUMN IF EXISTS "Nick", DROP CONSTRAINT users_email_key;
      TRUNCATE TABLE ONLY sessions, billing.invoices RESTART IDENTITY;
      DELETE FROM events WHERE kind = 'chat; not a statement end';
      DELETE FROM alembic_version WHERE alembic_version.version_num = 'a1';
      UPDATE alembic_version SET version_num='b2';
      DO $$ BEGIN DELETE FROM x; END $$;
      DROP SCHEMA reporting CASCADE;`;
    expect(splitStatements(sql)).toHaveLength(9);
    const found = lossStatements('c3', sql).map((s) => [s.statement, s.table, s.column, s.where]);
    expect(found).toEqual([
      ['DROP TABLE', 'public.orders', undefined, undefined],
      ['DROP TABLE', 'public.Audit Log', undefined, undefined],
      ['DROP COLUMN', 'public.users', 'display_name', undefined],
      ['DROP COLUMN', 'public.users', 'Nick', undefined],
      ['TRUNCATE', 'public.sessions', undefined, undefined],
      ['TRUNCATE', 'billing.invoices', undefined, undefined],
      ['DELETE', 'public.events', undefined, "kind = 'chat; not a statement end'"],
      ['UNKNOWN', '—', undefined, undefined],
      ['UNKNOWN', '—', undefined, undefined],
    ]);
  });

  it('counts dropped column values, not rows, and leaves unknown effects out of the total', () => {
    expect(
      lossTotal([
        { migration: 'a', statement: 'DROP TABLE', table: 't', rows: 10, note: '' },
        { migration: 'a', statement: 'DROP COLUMN', table: 'u', column: 'c', rows: 250, values: 7, note: '' },
        { migration: 'a', statement: 'UNKNOWN', table: '—', rows: null, note: '' },
      ]),
    ).toBe(17);
  });

  it('reads Alembic history messages and splits offline SQL per revision', () => {
    const history = parseAlembicHistory(
      'b2 -> c3 (head), create orders with data\na1 -> b2, add users.display_name, filled from email\n<base> -> a1, create users',
    );
    expect(history.get('c3')).toEqual({ parent: 'b2', message: 'create orders with data' });
    expect(history.get('b2')).toEqual({ parent: 'a1', message: 'add users.display_name, filled from email' });
    expect(history.get('a1')).toEqual({ parent: 'base', message: 'create users' });
    const sections = splitOfflineSql(
      'BEGIN;\n-- Running downgrade c3 -> b2\nDROP TABLE orders;\n-- Running downgrade b2 -> a1\nALTER TABLE users DROP COLUMN display_name;\n',
    );
    expect(sections.get('c3')).toContain('DROP TABLE orders;');
    expect(sections.get('b2')).toContain('DROP COLUMN display_name');
  });
});

describe('plans', () => {
  const plan: DowngradePlan = {
    version: 1,
    kind: 'keiko-rollback/database-plan',
    operation: 'downgrade',
    engine: 'postgres',
    tool: 'alembic',
    database: { host: 'db', port: '5432', name: 'keiko' },
    'from-revision': 'c3',
    'to-revision': 'b2',
    migrations: [{ id: 'c3', description: 'orders' }],
    'data-loss': [],
    'created-at': '2026-11-26T00:00:00Z',
  };

  it('converge: at the target nothing happens, at the start it runs, anywhere else it refuses naming both', () => {
    expect(decideDowngrade(plan, 'b2')).toEqual({ action: 'unchanged' });
    expect(decideDowngrade(plan, 'c3')).toEqual({ action: 'run' });
    const refused = decideDowngrade(plan, 'a1');
    expect(refused.action).toBe('refuse');
    expect(refused.action === 'refuse' && refused.message).toContain('expects the database at c3 (to go to b2), but it is at a1 now');
  });

  it('a tampered plan is refused with what is wrong', () => {
    expect(parsePlan(JSON.stringify(plan))).toEqual(plan);
    expect(parsePlan(JSON.stringify({ ...plan, 'to-revision': 'b2; DROP DATABASE x' }))).toBe(
      'is malformed at to-revision: must be a revision id or version (letters, digits, _ and .); make the plan again instead of editing it',
    );
    expect(parsePlan(JSON.stringify({ ...plan, version: 3 }))).toMatch(/^has version 3; this keiko-rollback executes plan version 1/);
  });

  it('the plan input is validated before anything is touched', () => {
    const line = (inputs: Record<string, string>): string => {
      try {
        readInputs(rollbackDatabaseSchema, { getInput: (name) => inputs[name] ?? '' });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError);
        return failureLine(error);
      }
      return 'accepted';
    };
    expect(line({ 'database-url': 'postgres://h/db', plan: JSON.stringify(plan), tool: 'flyway' })).toBe(
      "Input 'plan' was made with tool: alembic, but tool is flyway: set tool: alembic",
    );
    expect(line({ 'database-url': 'postgres://h/db', plan: JSON.stringify(plan) })).toBe('accepted');
  });
});

describe('every libpq setting reaches every tool, never the password', () => {
  const url =
    'postgresql://app:S3cret%3Apw@db.internal:6432/keiko?sslmode=verify-full&sslrootcert=%2Fcerts%2Fca.pem&sslcert=%2Fcerts%2Fc.pem&sslkey=%2Fcerts%2Fc.key&options=-c%20search_path%3Dapp&application_name=incident&connect_timeout=5&keepalives_idle=30';

  it('as PG* variables and a --dbname connection string; the password only in a 0600 PGPASSFILE', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-libpq-'));
    const info = connectionInfo(url);
    const session = libpqSession(info, dir, 120_000);
    expect(session.env).toMatchObject({
      PGHOST: 'db.internal',
      PGPORT: '6432',
      PGUSER: 'app',
      PGDATABASE: 'keiko',
      PGSSLMODE: 'verify-full',
      PGSSLROOTCERT: '/certs/ca.pem',
      PGSSLCERT: '/certs/c.pem',
      PGSSLKEY: '/certs/c.key',
      PGAPPNAME: 'incident',
      PGCONNECT_TIMEOUT: '5',
      PGOPTIONS: '-c search_path=app -c lock_timeout=120000',
    });
    expect(session.dbname).toBe("dbname='keiko' keepalives_idle='30'");
    expect(JSON.stringify(session.env) + session.dbname).not.toContain('S3cret');
    const passfile = session.env.PGPASSFILE ?? '';
    expect(fs.readFileSync(passfile, 'utf8')).toBe('db.internal:6432:*:app:S3cret\\:pw\n');
    expect(fs.statSync(passfile).mode & 0o777).toBe(0o600);
    session.dispose();
    expect(fs.existsSync(passfile)).toBe(false);
  });

  it('node-postgres gets libpq’s meaning of sslmode; Flyway gets pgjdbc’s names; Alembic the URL intact', () => {
    const info = connectionInfo(url);
    expect(new URL(nodeConnectionString(url, info)).searchParams.get('uselibpqcompat')).toBe('true');
    expect(jdbcUrl(info, 5000)).toBe(
      'jdbc:postgresql://db.internal:6432/keiko?sslmode=verify-full&sslrootcert=%2Fcerts%2Fca.pem&sslcert=%2Fcerts%2Fc.pem&sslkey=%2Fcerts%2Fc.key&ApplicationName=incident&connectTimeout=5&options=-c+search_path%3Dapp+-c+lock_timeout%3D5000',
    );
    expect(new URL(alembicUrl(url, info, 5000)).searchParams.get('options')).toBe('-c search_path=app -c lock_timeout=5000');
    const plain = 'postgresql://app@db/keiko?sslmode=require';
    expect(alembicUrl(plain, connectionInfo(plain), 5000)).toBe(plain);
  });

  it('refuses what cannot reach the tools safely', () => {
    expect(() => connectionInfo('postgresql://h/db?sslpassword=x')).toThrow(/sslpassword, which pg_dump and pg_restore could only receive in their arguments/);
    expect(() => connectionInfo('postgresql://h/db?sslmdoe=require')).toThrow(/"sslmdoe", which is not a libpq connection parameter/);
  });

  it('the manual restore command is shell-quoted', () => {
    expect(manualRestoreCommand("/backups/it's here.dump", connectionInfo('postgresql://u@h/my db'))).toBe(
      `pg_restore --clean --if-exists --no-owner --single-transaction -h h -p 5432 -U u -d 'my db' "/backups/it's here.dump"`,
    );
  });
});

describe('proof of equality', () => {
  const table = {
    rows: 2,
    checksum: '42',
    scope: 'full' as const,
    columns: ['id integer not null'],
    indexes: ['CREATE UNIQUE INDEX t_pkey ON public.t USING btree (id)'],
  };
  it('rows, content, columns and indexes are each compared; a table the backup lacks is reported, not a difference', () => {
    const before: Fingerprint = { 'public.t': table };
    expect(differences(compareFingerprints(before, { 'public.t': table, 'public.new': table }))).toEqual([]);
    expect(differences(compareFingerprints(before, { 'public.t': { ...table, checksum: '43' } }))).toEqual(['public.t: content checksum differs']);
    expect(differences(compareFingerprints(before, { 'public.t': { ...table, rows: 3, indexes: [] } }))).toEqual([
      'public.t: 2 rows expected, 3 found, indexes differ',
    ]);
    expect(differences(compareFingerprints(before, {}))).toEqual(['public.t: in the backup, absent now']);
  });

  it('an uploaded artifact is called production data in the summary, with who can read it and for how long', () => {
    const summary = databaseSummary({
      title: 't',
      ok: true,
      status: 'rolled-back',
      fromRevision: 'c3',
      toRevision: 'b2',
      phases: [],
      artifact: { name: 'db-backup.dump', repository: 'keiko/platform', days: 1 },
    });
    expect(summary).toContain(
      '⚠️ **Artifact `db-backup.dump` holds production data**: everyone with read access to keiko/platform can download it for 1 day(s).',
    );
  });
});
