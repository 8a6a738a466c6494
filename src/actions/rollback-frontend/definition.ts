import { defineAction } from '../../core/action.js';
import { VercelClient } from '../../vercel/client.js';
import { rollbackFrontendInputs, rollbackFrontendOutputs, rollbackFrontendSchema } from './inputs.js';
import { main } from './main.js';

export const rollbackFrontendAction = defineAction({
  name: 'rollback-frontend',
  command: 'frontend',
  title: 'Rollback frontend',
  description: 'Roll Vercel production back to an earlier deployment, wait until the domains serve it, and report the pin Vercel leaves behind.',
  icon: 'globe',
  color: 'orange',
  inputs: rollbackFrontendInputs,
  schema: rollbackFrontendSchema,
  outputs: rollbackFrontendOutputs,
  clients: async (inputs, context) => ({
    vercel: new VercelClient(inputs['api-url'], inputs['vercel-token'], inputs.team, context.log, context.clock.signal),
  }),
  main,
});
