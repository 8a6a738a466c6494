import { quote } from 'shell-quote';
import { runTool, tail } from '../core/exec.js';
import type { Logger } from '../core/logger.js';
import type { ConnectionInfo, LibpqSession } from './libpq.js';

export class RestoreError extends Error {}

/**
 * The command a person runs when an automatic restore failed, shell-quoted. The password comes from
 * PGPASSWORD or ~/.pgpass; --single-transaction makes a second failure leave the database as it was.
 */
export function manualRestoreCommand(archive: string, info: ConnectionInfo): string {
  return quote([
    'pg_restore',
    '--clean',
    '--if-exists',
    '--no-owner',
    '--single-transaction',
    '-h',
    info.host,
    '-p',
    info.port,
    '-U',
    info.user,
    '-d',
    info.database,
    archive,
  ]);
}

export interface RestoreOptions {
  archive: string;
  /** 1: one transaction, all or nothing. More: parallel workers, each object in its own transaction. */
  jobs: number;
  libpq: LibpqSession;
  timeoutMs: number;
  log: Logger;
}

export function restoreMode(jobs: number): string {
  return jobs === 1 ? 'pg_restore --clean --if-exists --single-transaction' : `pg_restore --clean --if-exists --jobs=${jobs}`;
}

/**
 * pg_restore --clean --if-exists into the database. With one job the whole restore is one
 * transaction (a failure half-way rolls back every DROP); -j cannot be combined with that, so a
 * parallel restore that fails leaves the database changed and the caller puts the safety net back.
 */
export async function restoreArchive(options: RestoreOptions): Promise<void> {
  const mode = options.jobs === 1 ? ['--single-transaction'] : [`--jobs=${options.jobs}`];
  const args = ['--clean', '--if-exists', '--no-owner', '--exit-on-error', ...mode, '--no-password', '--dbname', options.libpq.dbname, options.archive];
  const run = await runTool('pg_restore', args, { env: options.libpq.env, timeoutMs: options.timeoutMs, log: options.log });
  if (run.timedOut) throw new RestoreError('pg_restore timed out');
  if (run.exitCode !== 0) throw new RestoreError(`pg_restore failed (exit ${run.exitCode}): ${tail(run.stderr)}`);
}
