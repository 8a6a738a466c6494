import pg from 'pg';
import { ConfigurationError, describeError } from '../core/errors.js';
import { OutsideFailure } from '../core/outside.js';
import { displayUrl } from '../core/secrets.js';
import { type ConnectionInfo, nodeConnectionString } from './libpq.js';

export type { ConnectionInfo } from './libpq.js';

/** One database as this run reaches it: the URL, its parsed settings, and the lock wait every session accepts. */
export interface DatabaseTarget {
  url: string;
  info: ConnectionInfo;
  lockTimeoutMs: number;
  /** The run's clock: no connection attempt waits past it. */
  deadline?: number;
}

const CONNECT_TIMEOUT_MS = 10_000;

export async function connect(target: DatabaseTarget, applicationName?: string): Promise<pg.Client> {
  const timeout = Math.max(1_000, Math.min(CONNECT_TIMEOUT_MS, (target.deadline ?? Infinity) - Date.now()));
  const client = new pg.Client({ connectionString: nodeConnectionString(target.url, target.info, applicationName), connectionTimeoutMillis: timeout });
  try {
    await client.connect();
    await client.query(`SET lock_timeout = ${Math.round(target.lockTimeoutMs)}`);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw connectFailure(target, error, timeout);
  }
  return client;
}

/** The network's fault (refused, reset, no answer) is PostgreSQL's to name; a refused login or a missing database is the input's. */
function connectFailure(target: DatabaseTarget, error: unknown, timeoutMs: number): Error {
  const system = { name: 'PostgreSQL', where: where(target), urlInput: 'database-url' };
  const code = (error as { code?: unknown }).code;
  if (/timeout expired|connection timeout/i.test(describeError(error)))
    return new OutsideFailure(system, 'the connection', 'no-answer', undefined, 'no answer', { cause: error, waitedMs: timeoutMs });
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code))
    return new OutsideFailure(system, 'the connection', 'unreachable', undefined, code, { cause: error, code });
  if (/Connection terminated/i.test(describeError(error)))
    return new OutsideFailure(system, 'the connection', 'unreachable', undefined, 'connection closed by the server', {
      cause: error,
      code: 'connection closed',
    });
  return new ConfigurationError(`could not connect to ${where(target)}: ${reason(error)}`, 'database-url');
}

/**
 * The server as a person recognises it (host:port/database and the TLS settings): never the URL
 * itself, which is masked whole as a secret.
 */
function where(target: DatabaseTarget): string {
  const url = new URL(displayUrl(target.url));
  const tls = ['sslmode', 'sslrootcert', 'sslcert'].filter((k) => target.info.params[k]).map((k) => `${k}=${target.info.params[k]}`);
  return `${url.hostname}:${url.port || '5432'}${url.pathname}${tls.length ? ` (${tls.join(', ')})` : ''}`;
}

function reason(error: unknown): string {
  const message = describeError(error).replace(/; if the root CA is installed locally, try running Node\.js with --use-system-ca/, '');
  return /certificate|self[- ]signed|SSL|TLS/i.test(message)
    ? `${message}: check that sslrootcert names the CA that signed the server's certificate, and sslmode`
    : message;
}

export async function withClient<T>(target: DatabaseTarget, body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(target);
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

export const USER_TABLES = `SELECT schemaname AS schema, tablename AS name FROM pg_tables
  WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND schemaname NOT LIKE 'pg_toast%' ORDER BY 1, 2`;

export function qualified(client: pg.Client, schema: string, name: string): string {
  return `${client.escapeIdentifier(schema)}.${client.escapeIdentifier(name)}`;
}

/** A `schema.table` key (as tableKey makes them) quoted for SQL. */
export function quoteTable(client: pg.Client, key: string): string {
  const dot = key.indexOf('.');
  return qualified(client, key.slice(0, dot), key.slice(dot + 1));
}

/** `schema.table` or `table` (public) as written in SQL, quotes removed, lower-cased where unquoted. */
export function tableKey(reference: string): string {
  const parts = [...reference.matchAll(/"((?:[^"]|"")+)"|([^."\s]+)/g)].map((m) =>
    m[1] !== undefined ? m[1].replace(/""/g, '"') : (m[2] ?? '').toLowerCase(),
  );
  return parts.length === 1 ? `public.${parts[0]}` : parts.slice(-2).join('.');
}

export function diffCounts(expected: TableCounts, actual: TableCounts): string[] {
  const names = new Set([...Object.keys(expected), ...Object.keys(actual)]);
  const problems: string[] = [];
  for (const name of [...names].sort()) {
    if (expected[name] !== actual[name]) problems.push(`${name}: ${expected[name] ?? 'absent'} rows expected, ${actual[name] ?? 'absent'} found`);
  }
  return problems;
}
