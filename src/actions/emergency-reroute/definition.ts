import { defineAction } from '../../core/action.js';
import { secretInputsOf } from '../manifest.js';
import { emergencyRerouteSchema } from './inputs.js';
import { main } from './main.js';
import { manifest } from './manifest.js';

export const emergencyRerouteAction = defineAction({
  name: 'emergency-reroute',
  title: 'Emergency reroute',
  schema: emergencyRerouteSchema,
  secretInputs: secretInputsOf(manifest),
  main,
});
