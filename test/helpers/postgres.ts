import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach } from 'vitest';
import { ROOT } from './run-action.js';

export const ADMIN_URL = process.env.KEIKO_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** A fresh database on the local server, dropped by the returned function. */
export async function freshDatabase(): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `keiko_t_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** A workspace with a copy of the Alembic fixture project (and the Flyway one) inside it. */
export function workspaceWithProjects(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-ws-'));
  fs.cpSync(path.join(ROOT, 'test/fixtures/alembic'), path.join(dir, 'alembic'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'test/fixtures/flyway'), path.join(dir, 'flyway'), { recursive: true });
  return dir;
}

export function alembic(workspace: string, url: string, ...args: string[]): string {
  return execFileSync('alembic', args, {
    cwd: path.join(workspace, 'alembic'),
    env: { ...process.env, DATABASE_URL: url },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function schemaOnly(url: string): string {
  // pg_dump ≥ 15.14 brackets the dump with \restrict <random key> lines that differ on every run
  return execFileSync('pg_dump', ['--schema-only', '--no-owner', url], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => !/^\\(un)?restrict /.test(line))
    .join('\n');
}

export async function counts(url: string): Promise<Record<string, number>> {
  const tables = await query<{ t: string }>(url, "SELECT schemaname || '.' || tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
  const out: Record<string, number> = {};
  for (const { t } of tables) out[t] = Number((await query<{ n: string }>(url, `SELECT count(*) AS n FROM ${t}`))[0]?.n);
  return out;
}

/** A PATH whose pg_dump, pg_restore, alembic and flyway record their argv before running the real tool. */
export function recordingPath(workspace: string): { path: string; log: string } {
  const bin = path.join(workspace, '.argv-bin');
  const log = path.join(workspace, 'argv.log');
  fs.mkdirSync(bin, { recursive: true });
  const real = (tool: string): string =>
    tool === 'flyway' ? path.join(workspace, 'flyway', 'flyway') : execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
  for (const tool of ['pg_dump', 'pg_restore', 'alembic', 'flyway']) {
    // argv into the log, and the whole environment the tool was given into <log>.env
    fs.writeFileSync(path.join(bin, tool), `#!/bin/bash\nprintf '%s\\n' "${tool} $*" >> '${log}'\nenv >> '${log}.env'\nexec '${real(tool)}' "$@"\n`, {
      mode: 0o755,
    });
  }
  fs.writeFileSync(log, '');
  return { path: `${bin}:${process.env.PATH ?? ''}`, log };
}

/**
 * What a person would compare before and after: every table's rows and an md5 of its sorted content
 * (computed here, independently of the product's own fingerprint), and the whole schema.
 */
export async function databaseState(url: string): Promise<{ tables: Record<string, { rows: number; md5: string }>; schema: string }> {
  const tables = await query<{ t: string }>(
    url,
    "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) AS t FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
  );
  const out: Record<string, { rows: number; md5: string }> = {};
  for (const { t } of tables) {
    const [row] = await query<{ n: string; h: string | null }>(url, `SELECT count(*) AS n, md5(string_agg(x::text, '|' ORDER BY x::text)) AS h FROM ${t} x`);
    out[t] = { rows: Number(row?.n ?? 0), md5: row?.h ?? '' };
  }
  return { tables: out, schema: schemaOnly(url) };
}

export const ALEMBIC_HEAD = 'c3f0c0de0003';

/**
 * For a test file: `setup()` gives a fresh database migrated to the Alembic fixture's head and a
 * workspace holding the fixture projects; every database made is dropped after each test.
 */
export function alembicDatabases(): { setup(): Promise<{ url: string; name: string; workspace: string }>; onCleanup(fn: () => Promise<void>): void } {
  let cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    cleanups = [];
  });
  return {
    async setup() {
      const db = await freshDatabase();
      cleanups.push(db.drop);
      const workspace = workspaceWithProjects();
      alembic(workspace, db.url, 'upgrade', 'head');
      return { url: db.url, name: db.name, workspace };
    },
    onCleanup: (fn) => cleanups.push(fn),
  };
}

export async function alembicRevision(url: string): Promise<string | undefined> {
  return (await query<{ v: string }>(url, 'SELECT version_num AS v FROM alembic_version'))[0]?.v;
}
