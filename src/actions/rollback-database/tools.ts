import { ConfigurationError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { alembicTool } from '../../database/alembic.js';
import { flywayTool } from '../../database/flyway.js';
import type { MigrationTool } from '../../database/migrations.js';
import type { ConnectionInfo } from '../../database/postgres.js';
import type { RollbackDatabaseInputs } from './inputs.js';

/** The migration tool the inputs ask for, or undefined for `tool: none`. */
export function migrationTool(inputs: RollbackDatabaseInputs, workingDirectory: string, connection: ConnectionInfo, log: Logger): MigrationTool | undefined {
  if (inputs.tool === 'alembic') return alembicTool({ workingDirectory, databaseUrl: inputs['database-url'], log });
  if (inputs.tool === 'flyway') return flywayTool({ workingDirectory, connection, log });
  if (inputs.target && !inputs['restore-from']) throw new ConfigurationError('is set, but tool is none: choose tool: alembic or flyway to downgrade', 'target');
  return undefined;
}
