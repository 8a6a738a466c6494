import fs from 'node:fs';
import path from 'node:path';
import { runTool, tail } from '../core/exec.js';
import type { Logger } from '../core/logger.js';
import type { TableCounts } from './postgres.js';

export type BackupFormat = 'custom' | 'directory';

export interface Backup {
  path: string;
  format: BackupFormat;
  bytes: number;
  tables: TableCounts;
}

export class BackupError extends Error {}

function sizeOf(target: string): number {
  const stat = fs.statSync(target);
  if (!stat.isDirectory()) return stat.size;
  return fs.readdirSync(target).reduce((sum, entry) => sum + sizeOf(path.join(target, entry)), 0);
}

export function backupName(database: string, format: BackupFormat, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `db-backup-${database}-${stamp}${format === 'custom' ? '.dump' : ''}`;
}

/** pg_dump in custom format (one file) or directory format (the only one that dumps in parallel). */
export async function dumpDatabase(options: { dir: string; database: string; format: BackupFormat; jobs: number; env: Record<string, string>; timeoutMs: number; log: Logger }): Promise<string> {
  try {
    fs.mkdirSync(options.dir, { recursive: true });
    fs.accessSync(options.dir, fs.constants.W_OK);
  } catch (error) {
    throw new BackupError(`backup directory ${options.dir} is not writable (${error instanceof Error ? error.message : String(error)})`);
  }
  const target = path.join(options.dir, backupName(options.database, options.format));
  // level 1 compresses about as well as the default for table data at half the time: a rollback waits for this
  const args = options.format === 'custom' ? ['--format=custom', '--compress=1', '--file', target] : ['--format=directory', '--compress=1', `--jobs=${options.jobs}`, '--file', target];
  const run = await runTool('pg_dump', [...args, '--no-password'], { env: options.env, timeoutMs: options.timeoutMs, log: options.log });
  if (run.timedOut) throw new BackupError('pg_dump timed out');
  if (run.exitCode !== 0) throw new BackupError(`pg_dump failed (exit ${run.exitCode}): ${tail(run.stderr)}`);
  return target;
}

/** TABLE DATA entries of an archive, as `schema.table`, read with `pg_restore --list`. */
export async function archiveTableData(archive: string, log: Logger): Promise<Set<string>> {
  const run = await runTool('pg_restore', ['--list', archive], { log });
  if (run.exitCode !== 0) throw new BackupError(`pg_restore --list cannot read ${archive}: ${tail(run.stderr)}`);
  const tables = new Set<string>();
  for (const line of run.stdout.split('\n')) {
    const match = /^\d+;\s+\d+\s+\d+\s+TABLE DATA\s+(\S+)\s+(\S+)\s/.exec(line);
    if (match) tables.add(`${match[1]}.${match[2]}`);
  }
  return tables;
}

/**
 * Before anything is changed: the backup exists, is not empty, pg_restore reads it, and it holds
 * data for every table that has rows.
 */
export async function verifyBackup(archive: string, format: BackupFormat, tables: TableCounts, log: Logger): Promise<Backup> {
  if (!fs.existsSync(archive)) throw new BackupError(`backup ${archive} does not exist`);
  const bytes = sizeOf(archive);
  if (bytes === 0) throw new BackupError(`backup ${archive} is empty`);
  const withData = await archiveTableData(archive, log);
  const missing = Object.entries(tables)
    .filter(([name, rows]) => rows > 0 && !withData.has(name))
    .map(([name, rows]) => `${name} (${rows} rows)`);
  if (missing.length) throw new BackupError(`backup ${archive} has no data for ${missing.join(', ')}`);
  return { path: archive, format, bytes, tables };
}

export function formatOf(archive: string): BackupFormat {
  return fs.statSync(archive).isDirectory() ? 'directory' : 'custom';
}
