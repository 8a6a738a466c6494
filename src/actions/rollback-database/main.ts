import fs from 'node:fs';
import path from 'node:path';
import type { ActionContext, ActionResult } from '../../core/action.js';
import { ConfigurationError } from '../../core/errors.js';
import { downgrade } from './downgrade-flow.js';
import type { RollbackDatabaseInputs, RollbackDatabaseOutput } from './inputs.js';
import { finish } from './outcome.js';
import { restoreOnly } from './restore-flow.js';
import { backUp, openRun, type PostgresClients } from './run.js';
import { restoreSqlServer } from './sqlserver-flow.js';

/** The archive restore-only mode restores (from `restore-from` or a restore plan), checked to exist before anything connects. */
function archiveToRestore(inputs: RollbackDatabaseInputs, workspace: string): string | undefined {
  const given = inputs.plan?.operation === 'restore' ? inputs.plan.archive.path : inputs['restore-from'];
  if (!given) return undefined;
  const file = path.resolve(workspace, given);
  const input = inputs.plan?.operation === 'restore' ? 'plan' : 'restore-from';
  if (!fs.existsSync(file)) throw new ConfigurationError(`${file} does not exist: give the path of a pg_dump archive (file or directory)`, input);
  return file;
}

/** PostgreSQL for engine: postgres; SQL Server restores talk through sqlcmd alone. */
export interface RollbackDatabaseClients {
  postgres: PostgresClients | undefined;
}

export async function main(
  inputs: RollbackDatabaseInputs,
  context: ActionContext,
  { postgres }: RollbackDatabaseClients,
): Promise<ActionResult<RollbackDatabaseOutput>> {
  if (inputs.engine === 'sqlserver' || !postgres) return restoreSqlServer(inputs, context);
  const archive = archiveToRestore(inputs, context.workspace);
  const run = await openRun(inputs, context, postgres);
  if (archive) return restoreOnly(run, archive);
  if (run.tool) return downgrade(run, run.tool);
  if (!inputs.backup) return finish(run, { status: 'unchanged', title: 'Nothing to do: tool none, no restore-from, backup false', toRevision: run.revision });
  const taken = await backUp(run, 'Backup');
  return finish(run, { status: 'backed-up', title: 'Database backup', toRevision: run.revision, backup: 'skipped' in taken ? undefined : taken });
}
