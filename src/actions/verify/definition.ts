import { defineAction } from '../../core/action.js';
import { secretInputsOf } from '../manifest.js';
import { verifySchema } from './inputs.js';
import { main } from './main.js';
import { manifest } from './manifest.js';

export const verifyAction = defineAction({
  name: 'verify',
  title: 'Verify',
  schema: verifySchema,
  secretInputs: secretInputsOf(manifest),
  main,
});
