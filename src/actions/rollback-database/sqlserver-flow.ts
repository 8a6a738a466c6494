import path from 'node:path';
import type { ActionContext, ActionResult } from '../../core/action.js';
import { StepFailure } from '../../core/errors.js';
import { PhaseLog } from '../../core/phase-log.js';
import { diffCounts } from '../../database/postgres.js';
import { checkSqlBackup, sqlcmd, sqlServerConnection, sqlServerCounts } from '../../database/sqlserver.js';
import type { RollbackDatabaseInputs, RollbackDatabaseOutput } from './inputs.js';
import { databaseSummary } from './summary.js';

/**
 * The runbook's Azure SQL restore (`sqlcmd -S … -d … -i db-backup.sql`) with the same discipline as
 * PostgreSQL: the backup and the connection are checked before anything runs, the result after.
 */
export async function restoreSqlServer(inputs: RollbackDatabaseInputs, context: ActionContext): Promise<ActionResult<RollbackDatabaseOutput>> {
  const connection = sqlServerConnection(inputs['database-url']);
  context.secrets.add(connection.password);
  const file = path.resolve(context.workspace, inputs['restore-from'] ?? '');
  const phases = new PhaseLog(context.log);
  const client = sqlcmd(connection, context.log);
  const bytes = await phases.run('Check backup', async () => ({ value: checkSqlBackup(file), detail: `${file} is a readable T-SQL script` }));
  const before = await phases.run('Connect', async () => {
    await client.query('SELECT 1');
    const counts = await sqlServerCounts(client);
    return { value: counts, detail: `SELECT 1 ok on ${connection.server}/${connection.database}; ${Object.keys(counts).length} tables` };
  });
  const result = (ok: boolean, after: Record<string, number> | undefined, failure?: string): ActionResult<RollbackDatabaseOutput> => ({
    outputs: {
      status: inputs['dry-run'] ? 'dry-run' : ok ? 'restored' : 'failed',
      plan: '',
      'safety-backup-path': '',
      'backup-path': file,
      'backup-bytes': String(bytes),
      'from-revision': 'n/a',
      'to-revision': 'n/a',
      restored: String(ok && !inputs['dry-run']),
      result: JSON.stringify({ engine: 'sqlserver', phases: phases.phases, tables: { before, after: after ?? null } }),
    },
    summary: databaseSummary({
      title: inputs['dry-run'] ? 'Azure SQL restore (dry run)' : ok ? `Azure SQL restored from ${path.basename(file)}` : 'Azure SQL restore failed',
      ok,
      status: inputs['dry-run'] ? 'dry-run' : ok ? 'restored' : 'failed',
      fromRevision: 'n/a',
      toRevision: 'n/a',
      backup: { path: file, bytes },
      phases: phases.phases,
      tablesBefore: before,
      tablesAfter: after,
      ...(inputs['dry-run'] ? { preview: `sqlcmd -S ${connection.server} -d ${connection.database} -b -i ${file}` } : {}),
    }),
    ...(failure ? { failure } : {}),
  });
  if (inputs['dry-run']) return result(true, undefined);
  try {
    await phases.run('Restore (sqlcmd -i)', async () => {
      await client.runFile(file, inputs.timeout);
      return { value: undefined, detail: `sqlcmd -i ${path.basename(file)}` };
    });
  } catch (error) {
    return result(
      false,
      undefined,
      `the restore of ${file} failed (${error instanceof Error ? error.message : String(error)}); the database may be partly restored. Run by hand: sqlcmd -S ${connection.server} -d ${connection.database} -b -i ${file}`,
    );
  }
  const after = await phases.run('Verify restore', async () => {
    await client.query('SELECT 1');
    const counts = await sqlServerCounts(client);
    if (Object.keys(counts).length === 0) throw new StepFailure('Verify restore', 'no tables after the restore');
    const changed = diffCounts(before, counts);
    return { value: counts, detail: `SELECT 1 ok; ${Object.keys(counts).length} tables${changed.length ? `; changed: ${changed.join('; ')}` : ''}` };
  });
  return result(true, after);
}
