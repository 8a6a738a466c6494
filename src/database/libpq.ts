import fs from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from '../core/errors.js';

/** The application_name our own sessions carry when the URL names none: the lock monitor finds them by it. */
export const DEFAULT_APPLICATION_NAME = 'keiko-rollback';

export interface ConnectionInfo {
  host: string;
  port: string;
  user: string;
  password: string;
  database: string;
  /** libpq parameters from the URL's query string (sslmode, sslrootcert, options, …), as given. */
  params: Record<string, string>;
}

/** libpq parameters that have an environment variable (libpq "Environment Variables"). */
const ENV_OF: Record<string, string> = {
  hostaddr: 'PGHOSTADDR',
  service: 'PGSERVICE',
  channel_binding: 'PGCHANNELBINDING',
  options: 'PGOPTIONS',
  application_name: 'PGAPPNAME',
  sslmode: 'PGSSLMODE',
  requiressl: 'PGREQUIRESSL',
  sslcompression: 'PGSSLCOMPRESSION',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  sslrootcert: 'PGSSLROOTCERT',
  sslcrl: 'PGSSLCRL',
  sslcrldir: 'PGSSLCRLDIR',
  sslsni: 'PGSSLSNI',
  requirepeer: 'PGREQUIREPEER',
  ssl_min_protocol_version: 'PGSSLMINPROTOCOLVERSION',
  ssl_max_protocol_version: 'PGSSLMAXPROTOCOLVERSION',
  gssencmode: 'PGGSSENCMODE',
  krbsrvname: 'PGKRBSRVNAME',
  gsslib: 'PGGSSLIB',
  connect_timeout: 'PGCONNECT_TIMEOUT',
  client_encoding: 'PGCLIENTENCODING',
  target_session_attrs: 'PGTARGETSESSIONATTRS',
  load_balance_hosts: 'PGLOADBALANCEHOSTS',
};

/** libpq parameters without an environment variable: they travel in a `--dbname` connection string. */
const CONNINFO_ONLY = new Set([
  'keepalives',
  'keepalives_idle',
  'keepalives_interval',
  'keepalives_count',
  'tcp_user_timeout',
  'fallback_application_name',
  'replication',
  'sslnegotiation',
  'passfile',
]);

/** Node-postgres' own switch; never handed to libpq (which would refuse an unknown keyword). */
const NODE_ONLY = new Set(['uselibpqcompat']);

export function connectionInfo(databaseUrl: string): ConnectionInfo {
  const url = new URL(databaseUrl);
  const params: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (key === 'host') continue;
    if (key === 'sslpassword') {
      throw new ConfigurationError(
        'has sslpassword, which pg_dump and pg_restore could only receive in their arguments: use a client key without a passphrase, readable only by the runner',
        'database-url',
      );
    }
    if (!(key in ENV_OF) && !CONNINFO_ONLY.has(key) && !NODE_ONLY.has(key)) {
      throw new ConfigurationError(
        `has the query parameter "${key}", which is not a libpq connection parameter (e.g. sslmode, sslrootcert, sslcert, sslkey, options, application_name, connect_timeout)`,
        'database-url',
      );
    }
    params[key] = value;
  }
  return {
    host: decodeURIComponent(url.hostname) || url.searchParams.get('host') || '127.0.0.1',
    port: url.port || '5432',
    user: decodeURIComponent(url.username) || 'postgres',
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)) || 'postgres',
    params,
  };
}

export function applicationName(info: ConnectionInfo): string {
  return info.params.application_name ?? DEFAULT_APPLICATION_NAME;
}

/** `options` with `-c lock_timeout=…` added, so every statement of every tool waits at most that long for a lock. */
export function optionsWithLockTimeout(info: ConnectionInfo, lockTimeoutMs: number): string {
  return [info.params.options, `-c lock_timeout=${Math.round(lockTimeoutMs)}`].filter(Boolean).join(' ');
}

function quoteConninfo(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export interface LibpqSession {
  /** Environment for pg_dump, pg_restore, psql (and psycopg2 under Alembic): connection settings, never the password itself. */
  env: Record<string, string>;
  /** The `--dbname` argument: a connection string with the database and the parameters that have no variable. */
  dbname: string;
  dispose(): void;
}

/**
 * Environment for libpq tools: every connection setting of the URL as its PG* variable, the
 * password in a 0600 PGPASSFILE (never in argv or a variable other processes can list).
 */
export function libpqSession(info: ConnectionInfo, tempDir: string, lockTimeoutMs: number): LibpqSession {
  const env: Record<string, string> = { PGHOST: info.host, PGPORT: info.port, PGUSER: info.user, PGDATABASE: info.database, PGCONNECT_TIMEOUT: '10' };
  for (const [key, value] of Object.entries(info.params)) {
    const name = ENV_OF[key];
    if (name) env[name] = value;
  }
  env.PGOPTIONS = optionsWithLockTimeout(info, lockTimeoutMs);
  env.PGAPPNAME = applicationName(info);
  const conninfo = [
    `dbname=${quoteConninfo(info.database)}`,
    ...Object.entries(info.params)
      .filter(([key]) => CONNINFO_ONLY.has(key))
      .map(([key, value]) => `${key}=${quoteConninfo(value)}`),
  ];
  const session = { env, dbname: conninfo.join(' '), dispose: () => undefined };
  if (!info.password) return session;
  fs.mkdirSync(tempDir, { recursive: true });
  const file = path.join(tempDir, `keiko-pgpass-${process.pid}-${Date.now()}`);
  const escapeField = (v: string): string => v.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
  fs.writeFileSync(file, `${escapeField(info.host)}:${info.port}:*:${escapeField(info.user)}:${escapeField(info.password)}\n`, { mode: 0o600 });
  env.PGPASSFILE = file;
  return { ...session, dispose: () => fs.rmSync(file, { force: true }) };
}

/**
 * The URL for node-postgres: libpq's meaning of sslmode (`uselibpqcompat`), our application_name
 * when none is given. `prefer`/`allow` cannot fall back to plain text in node-postgres, and they
 * verify nothing either way, so they connect without TLS as libpq does against a server without it.
 */
export function nodeConnectionString(databaseUrl: string, info: ConnectionInfo, application?: string): string {
  const url = new URL(databaseUrl);
  const mode = info.params.sslmode;
  if (mode === 'prefer' || mode === 'allow') url.searchParams.delete('sslmode');
  else if (mode && !url.searchParams.has('uselibpqcompat')) url.searchParams.set('uselibpqcompat', 'true');
  if (application) url.searchParams.set('application_name', application);
  else if (!url.searchParams.has('application_name')) url.searchParams.set('application_name', DEFAULT_APPLICATION_NAME);
  return url.toString();
}

/** Alembic's DATABASE_URL: the URL intact; the lock timeout joins `options` only when the URL sets its own (which would win over PGOPTIONS). */
export function alembicUrl(databaseUrl: string, info: ConnectionInfo, lockTimeoutMs: number): string {
  if (info.params.options === undefined) return databaseUrl;
  const url = new URL(databaseUrl);
  url.searchParams.set('options', optionsWithLockTimeout(info, lockTimeoutMs));
  return url.toString();
}

/** pgjdbc's names for the libpq parameters it understands (Flyway connects through it). */
const JDBC_NAME: Record<string, string> = {
  sslmode: 'sslmode',
  sslrootcert: 'sslrootcert',
  sslcert: 'sslcert',
  sslkey: 'sslkey',
  options: 'options',
  application_name: 'ApplicationName',
  connect_timeout: 'connectTimeout',
  target_session_attrs: 'targetServerType',
  channel_binding: 'channelBinding',
  gssencmode: 'gssEncMode',
};

export function jdbcUrl(info: ConnectionInfo, lockTimeoutMs: number): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(info.params)) {
    const name = JDBC_NAME[key];
    if (name && key !== 'options') query.set(name, value);
  }
  query.set('options', optionsWithLockTimeout(info, lockTimeoutMs));
  return `jdbc:postgresql://${info.host}:${info.port}/${info.database}?${query.toString()}`;
}
