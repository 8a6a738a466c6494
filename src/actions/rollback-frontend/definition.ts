import { defineAction } from '../../core/action.js';
import { secretInputsOf } from '../manifest.js';
import { rollbackFrontendSchema } from './inputs.js';
import { main } from './main.js';
import { manifest } from './manifest.js';

export const rollbackFrontendAction = defineAction({
  name: 'rollback-frontend',
  title: 'Rollback frontend',
  schema: rollbackFrontendSchema,
  secretInputs: secretInputsOf(manifest),
  main,
});
