import { runTool, tail } from '../core/exec.js';
import type { Logger } from '../core/logger.js';

export class RestoreError extends Error {}

/** The command a person runs when the automatic restore failed (the password comes from PGPASSWORD or ~/.pgpass). */
export function manualRestoreCommand(archive: string, host: string, port: string, user: string, database: string): string {
  return `pg_restore --clean --if-exists --no-owner --exit-on-error -h ${host} -p ${port} -U ${user} -d ${database} ${archive}`;
}

/**
 * pg_restore --clean --if-exists into the database, in parallel where allowed (-j cannot be
 * combined with --single-transaction, so each object is restored in its own).
 */
export async function restoreArchive(options: { archive: string; jobs: number; env: Record<string, string>; database: string; timeoutMs: number; log: Logger }): Promise<void> {
  const args = ['--clean', '--if-exists', '--no-owner', '--exit-on-error', `--jobs=${options.jobs}`, '--no-password', '--dbname', options.database, options.archive];
  const run = await runTool('pg_restore', args, { env: options.env, timeoutMs: options.timeoutMs, log: options.log });
  if (run.timedOut) throw new RestoreError('pg_restore timed out');
  if (run.exitCode !== 0) throw new RestoreError(`pg_restore failed (exit ${run.exitCode}): ${tail(run.stderr)}`);
}
