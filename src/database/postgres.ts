import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { ConfigurationError } from '../core/errors.js';
import { displayUrl } from '../core/secrets.js';

export interface ConnectionInfo {
  host: string;
  port: string;
  user: string;
  password: string;
  database: string;
}

export function connectionInfo(databaseUrl: string): ConnectionInfo {
  const url = new URL(databaseUrl);
  return {
    host: decodeURIComponent(url.hostname) || url.searchParams.get('host') || '127.0.0.1',
    port: url.port || '5432',
    user: decodeURIComponent(url.username) || 'postgres',
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)) || 'postgres',
  };
}

/**
 * Environment for libpq tools: the password goes into a 0600 PGPASSFILE, never into argv or a
 * variable other processes list. Returns a disposer that deletes the file.
 */
export function libpqEnvironment(info: ConnectionInfo, tempDir: string): { env: Record<string, string>; dispose(): void } {
  const env: Record<string, string> = { PGHOST: info.host, PGPORT: info.port, PGUSER: info.user, PGDATABASE: info.database, PGCONNECT_TIMEOUT: '10' };
  if (!info.password) return { env, dispose: () => undefined };
  fs.mkdirSync(tempDir, { recursive: true });
  const file = path.join(tempDir, `keiko-pgpass-${process.pid}-${Date.now()}`);
  const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
  fs.writeFileSync(file, `${escape(info.host)}:${info.port}:*:${escape(info.user)}:${escape(info.password)}\n`, { mode: 0o600 });
  env.PGPASSFILE = file;
  return { env, dispose: () => fs.rmSync(file, { force: true }) };
}

export async function withClient<T>(databaseUrl: string, body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new ConfigurationError(`could not connect to ${displayUrl(databaseUrl)}: ${error instanceof Error ? error.message : String(error)}`, 'database-url');
  }
  try {
    return await body(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function selectOne(client: pg.Client): Promise<void> {
  const result = await client.query<{ ok: number }>('SELECT 1 AS ok');
  if (result.rows[0]?.ok !== 1) throw new Error('SELECT 1 did not return 1');
}

export type TableCounts = Record<string, number>;

/** Exact row counts of every ordinary table outside the system schemas, keyed `schema.table`. */
export async function tableCounts(client: pg.Client): Promise<TableCounts> {
  const tables = await client.query<{ schema: string; name: string }>(
    `SELECT schemaname AS schema, tablename AS name FROM pg_tables
     WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND schemaname NOT LIKE 'pg_toast%'
     ORDER BY 1, 2`,
  );
  const counts: TableCounts = {};
  for (const { schema, name } of tables.rows) {
    const ident = `${client.escapeIdentifier(schema)}.${client.escapeIdentifier(name)}`;
    const result = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${ident}`);
    counts[`${schema}.${name}`] = Number(result.rows[0]?.n ?? 0);
  }
  return counts;
}

export function diffCounts(expected: TableCounts, actual: TableCounts): string[] {
  const names = new Set([...Object.keys(expected), ...Object.keys(actual)]);
  const problems: string[] = [];
  for (const name of [...names].sort()) {
    if (expected[name] !== actual[name]) problems.push(`${name}: ${expected[name] ?? 'absent'} rows expected, ${actual[name] ?? 'absent'} found`);
  }
  return problems;
}
