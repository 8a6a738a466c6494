import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTool } from '../../src/core/exec.js';
import { alembicUrl, connectionInfo, libpqSession } from '../../src/database/libpq.js';
import { connect } from '../../src/database/postgres.js';
import { alembic, workspaceWithProjects } from '../helpers/postgres.js';
import { runAction } from '../helpers/run-action.js';
import { startTlsPostgres, type TlsPostgres } from '../helpers/tls-postgres.js';

let server: TlsPostgres;
beforeAll(async () => {
  server = await startTlsPostgres();
}, 120_000);
afterAll(async () => server?.stop());

let databases = 0;
function freshTlsDatabase(): string {
  const name = `keiko_tls_${++databases}`;
  execFileSync('psql', ['-q', '-c', `CREATE DATABASE ${name}`, '--dbname', server.url('postgres', { sslmode: 'verify-full', sslrootcert: server.ca })]);
  return name;
}

describe('sslmode=verify-full reaches every tool (a server that accepts TLS only, with its own CA)', () => {
  it('pg_dump, pg_restore, psql, node-postgres and Alembic refuse the wrong CA and accept the right one', async () => {
    const name = freshTlsDatabase();
    const workspace = workspaceWithProjects();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-tls-'));
    const archive = path.join(tmp, 'db.dump');
    const outcomes: Record<string, boolean[]> = { pg_dump: [], pg_restore: [], psql: [], 'node-postgres': [], alembic: [] };
    for (const ca of [server.wrongCa, server.ca]) {
      const url = server.url(name, { sslmode: 'verify-full', sslrootcert: ca });
      const info = connectionInfo(url);
      const session = libpqSession(info, tmp, 60_000);
      const dump = await runTool('pg_dump', ['--format=custom', '--file', archive, '--dbname', session.dbname], { env: session.env });
      outcomes.pg_dump?.push(dump.exitCode === 0);
      if (ca === server.wrongCa) expect(dump.stderr).toContain('certificate verify failed');
      const restore = await runTool(
        'pg_restore',
        ['--clean', '--if-exists', '--single-transaction', '--dbname', session.dbname, ca === server.ca ? archive : '/dev/null'],
        { env: session.env },
      );
      outcomes.pg_restore?.push(restore.exitCode === 0);
      const psql = await runTool('psql', ['-Atc', 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()', '--dbname', session.dbname], {
        env: session.env,
      });
      outcomes.psql?.push(psql.exitCode === 0 && psql.stdout.trim() === 't');
      const client = await connect({ url, info, lockTimeoutMs: 60_000 }).catch(() => undefined);
      outcomes['node-postgres']?.push(Boolean(client));
      await client?.end();
      const current = await runTool('alembic', ['current'], {
        cwd: path.join(workspace, 'alembic'),
        env: { ...session.env, DATABASE_URL: alembicUrl(url, info, 60_000) },
      });
      outcomes.alembic?.push(current.exitCode === 0);
      session.dispose();
    }
    expect(outcomes).toEqual({
      pg_dump: [false, true],
      pg_restore: [false, true],
      psql: [false, true],
      'node-postgres': [false, true],
      alembic: [false, true],
    });
  });

  it('the action backs up, downgrades and restores over verify-full; a wrong CA stops it before anything is written', async () => {
    const name = freshTlsDatabase();
    const workspace = workspaceWithProjects();
    const good = server.url(name, { sslmode: 'verify-full', sslrootcert: server.ca });
    alembic(workspace, good, 'upgrade', 'head');
    const run = (url: string, inputs: Record<string, string>, env: Record<string, string> = {}) =>
      runAction('rollback-database', { 'database-url': url, 'working-directory': 'alembic', ...inputs }, { cwd: workspace, env });

    const restored = await run(good, { target: 'base' }, { KEIKO_FAIL_DOWNGRADE: 'b2f0c0de0002' });
    expect(restored.outputs, restored.stdout).toMatchObject({ status: 'failed', restored: 'true' });
    expect(restored.errorLines[0]).toContain('the database was restored to revision c3f0c0de0003');
    expect(restored.summary).toContain('sslmode=verify-full');

    const wrong = await run(server.url(name, { sslmode: 'verify-full', sslrootcert: server.wrongCa }), { target: '-1' });
    expect(wrong.code).toBe(1);
    expect(wrong.errorLines).toHaveLength(1);
    expect(wrong.errorLines[0]).toBe(
      `::error::Input 'database-url' could not connect to 127.0.0.1:${server.port}/${name} (sslmode=verify-full, sslrootcert=${server.wrongCa}): unable to verify the first certificate: check that sslrootcert names the CA that signed the server's certificate, and sslmode`,
    );

    const down = await run(good, { target: '-1' });
    expect(down.outputs, down.stdout).toMatchObject({ status: 'rolled-back', 'to-revision': 'b2f0c0de0002' });
  });
});
