import { defineAction } from '../../core/action.js';
import { secretInputsOf } from '../manifest.js';
import { rollbackDatabaseSchema } from './inputs.js';
import { main } from './main.js';
import { manifest } from './manifest.js';

export const rollbackDatabaseAction = defineAction({
  name: 'rollback-database',
  title: 'Rollback database',
  schema: rollbackDatabaseSchema,
  secretInputs: secretInputsOf(manifest),
  main,
});
