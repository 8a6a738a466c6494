import { defineAction } from '../../core/action.js';
import { verifyKubeClient } from './checks.js';
import { verifyInputs, verifyOutputs, verifySchema } from './inputs.js';
import { main } from './main.js';

export const verifyAction = defineAction({
  name: 'verify',
  command: 'verify',
  title: 'Verify',
  description:
    'Check health URLs, PostgreSQL, Redis, TCP dependencies, pods, Prometheus alerts and queries and smoke commands; say whether the platform is healthy and how bad it is.',
  icon: 'check-circle',
  color: 'green',
  inputs: verifyInputs,
  schema: verifySchema,
  outputs: verifyOutputs,
  clients: async (inputs, context) => ({ kube: await verifyKubeClient(inputs, context) }),
  release: ({ kube }) => kube?.close(),
  main,
});
