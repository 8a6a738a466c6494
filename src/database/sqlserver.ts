import fs from 'node:fs';
import { ConfigurationError } from '../core/errors.js';
import { runTool, tail } from '../core/exec.js';
import type { Logger } from '../core/logger.js';
import type { TableCounts } from './postgres.js';

export interface SqlServerConnection {
  server: string;
  database: string;
  user: string;
  password: string;
}

/** `sqlserver://user:password@host:port/database` (or mssql://). */
export function sqlServerConnection(databaseUrl: string): SqlServerConnection {
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.slice(1)) || url.searchParams.get('database') || '';
  if (!database) throw new ConfigurationError('names no database: use sqlserver://app@sql.internal:1433/keiko (password in the URL)', 'database-url');
  return { server: `tcp:${url.hostname},${url.port || '1433'}`, database, user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
}

/**
 * sqlcmd through its documented CLI contract: -S/-d in argv, the login in SQLCMDUSER/SQLCMDPASSWORD
 * (never argv), -b to fail on errors, -h -1 -W -s , for plain comma-separated rows.
 */
export function sqlcmd(connection: SqlServerConnection, log: Logger) {
  const env = { SQLCMDUSER: connection.user, SQLCMDPASSWORD: connection.password };
  const base = ['-S', connection.server, '-d', connection.database, '-b', '-h', '-1', '-W', '-s', ','];
  return {
    async query(sql: string): Promise<string[][]> {
      const run = await runTool('sqlcmd', [...base, '-Q', `SET NOCOUNT ON; ${sql}`], { env, log, timeoutMs: 60_000 });
      if (run.exitCode !== 0) throw new Error(`sqlcmd failed (exit ${run.exitCode}): ${tail(run.stderr || run.stdout)}`);
      return run.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .map((l) => l.split(','));
    },
    async runFile(file: string, timeoutMs: number): Promise<void> {
      const run = await runTool('sqlcmd', [...base, '-i', file], { env, log, timeoutMs, echo: true });
      if (run.timedOut) throw new Error('sqlcmd timed out');
      if (run.exitCode !== 0) throw new Error(`sqlcmd -i failed (exit ${run.exitCode}): ${tail(run.stderr || run.stdout)}`);
    },
  };
}

/** Row counts of every base table, through INFORMATION_SCHEMA (the same query on every SQL Server). */
export async function sqlServerCounts(client: ReturnType<typeof sqlcmd>): Promise<TableCounts> {
  const tables = await client.query(
    "SELECT TABLE_SCHEMA, TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_SCHEMA, TABLE_NAME",
  );
  const counts: TableCounts = {};
  for (const [schema = '', name = ''] of tables) {
    const [[count] = ['0']] = await client.query(`SELECT COUNT(*) FROM [${schema.replace(/]/g, ']]')}].[${name.replace(/]/g, ']]')}]`);
    counts[`${schema}.${name}`] = Number(count);
  }
  return counts;
}

/** Before anything runs: the backup is a readable, non-empty T-SQL script. */
export function checkSqlBackup(file: string): number {
  if (!fs.existsSync(file)) throw new ConfigurationError(`${file} does not exist: give the .sql backup to restore`, 'restore-from');
  const text = fs.readFileSync(file, 'utf8');
  if (!text.trim()) throw new ConfigurationError(`${file} is empty`, 'restore-from');
  if (!/\b(CREATE|INSERT|ALTER)\b/i.test(text))
    throw new ConfigurationError(`${file} does not look like a SQL backup (no CREATE, ALTER or INSERT statement)`, 'restore-from');
  return Buffer.byteLength(text);
}
