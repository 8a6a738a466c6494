import { defineAction } from '../../core/action.js';
import { connectKube } from '../../kube/connection.js';
import { releaseLeftLeases } from '../../kube/lease-post.js';
import { rollbackServiceInputs, rollbackServiceOutputs, rollbackServiceSchema } from './inputs.js';
import { main } from './main.js';

export const rollbackServiceAction = defineAction({
  name: 'rollback-service',
  command: 'service',
  title: 'Rollback service',
  description:
    'Roll Kubernetes deployments back (previous revision, a revision number or a version tag) exactly as `kubectl rollout undo` would, wait for the rollouts and report.',
  icon: 'rotate-ccw',
  color: 'orange',
  inputs: rollbackServiceInputs,
  schema: rollbackServiceSchema,
  outputs: rollbackServiceOutputs,
  clients: async (inputs, context) => ({ kube: await connectKube(inputs, context) }),
  release: ({ kube }) => kube.close(),
  main,
  post: releaseLeftLeases,
});
