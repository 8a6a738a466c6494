import { StepFailure } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Backup } from '../../database/backup.js';
import type { MigrationTool } from '../../database/migrations.js';
import { diffCounts, selectOne, tableCounts, withClient, type ConnectionInfo, type TableCounts } from '../../database/postgres.js';
import { manualRestoreCommand, restoreArchive } from '../../database/restore.js';
import type { PhaseLog } from './phases.js';

export interface RestoreContext {
  databaseUrl: string;
  connection: ConnectionInfo;
  env: Record<string, string>;
  jobs: number;
  deadline: number;
  log: Logger;
  phases: PhaseLog;
  tool: MigrationTool | undefined;
}

/**
 * Restores the archive and proves it: the migration revision is the expected one, every table
 * has the recorded row count, and SELECT 1 answers. Returns the counts after.
 */
export async function restoreAndProve(backup: Backup, expectedRevision: string | undefined, context: RestoreContext, expectedCounts: TableCounts | null): Promise<TableCounts> {
  const manual = manualRestoreCommand(backup.path, context.connection.host, context.connection.port, context.connection.user, context.connection.database);
  await context.phases.run('Restore', async () => {
    try {
      await restoreArchive({ archive: backup.path, jobs: context.jobs, env: context.env, database: context.connection.database, timeoutMs: Math.max(60_000, context.deadline - Date.now()), log: context.log });
    } catch (error) {
      throw new StepFailure('Restore', `${error instanceof Error ? error.message : String(error)}. THE DATABASE MAY BE INCONSISTENT. The backup is at ${backup.path}; restore it by hand with: ${manual}`);
    }
    return { value: undefined, detail: `pg_restore --clean --if-exists --jobs=${context.jobs} from ${backup.path}` };
  });
  return context.phases.run('Verify restore', async () => {
    const counts = await withClient(context.databaseUrl, async (client) => {
      await selectOne(client);
      return tableCounts(client);
    });
    const problems = expectedCounts ? diffCounts(expectedCounts, counts) : [];
    const revision = context.tool ? await context.tool.current() : undefined;
    if (expectedRevision !== undefined && revision !== expectedRevision) problems.unshift(`revision is ${revision}, expected ${expectedRevision}`);
    if (problems.length) throw new StepFailure('Verify restore', `the restored database differs from the backup: ${problems.join('; ')}. Backup: ${backup.path}; manual restore: ${manual}`);
    return { value: counts, detail: `${Object.keys(counts).length} tables${expectedCounts ? ' with the recorded row counts' : ''}${revision ? `, revision ${revision}` : ''}, SELECT 1 ok` };
  });
}
