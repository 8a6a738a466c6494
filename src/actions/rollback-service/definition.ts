import { defineAction } from '../../core/action.js';
import { secretInputsOf } from '../manifest.js';
import { rollbackServiceSchema } from './inputs.js';
import { main } from './main.js';
import { manifest } from './manifest.js';

export const rollbackServiceAction = defineAction({
  name: 'rollback-service',
  title: 'Rollback service',
  schema: rollbackServiceSchema,
  secretInputs: secretInputsOf(manifest),
  main,
});
