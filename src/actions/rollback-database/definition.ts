import { defineAction } from '../../core/action.js';
import { rollbackDatabaseInputs, rollbackDatabaseOutputs, rollbackDatabaseSchema } from './inputs.js';
import { main } from './main.js';
import { postgresClients } from './run.js';

export const rollbackDatabaseAction = defineAction({
  name: 'rollback-database',
  command: 'database',
  title: 'Rollback database',
  description:
    'Back up PostgreSQL first (pg_dump, verified), downgrade with Alembic or Flyway, and restore the backup automatically if anything fails; or restore an earlier backup.',
  icon: 'database',
  color: 'orange',
  inputs: rollbackDatabaseInputs,
  schema: rollbackDatabaseSchema,
  outputs: rollbackDatabaseOutputs,
  clients: async (inputs, context) => ({ postgres: inputs.engine === 'postgres' ? postgresClients(inputs, context) : undefined }),
  release: ({ postgres }) => postgres?.libpq.dispose(),
  main,
});
