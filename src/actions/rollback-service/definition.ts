import { defineAction } from '../../core/action.js';
import { connectClusters, connectKube } from '../../kube/connection.js';
import { releaseLeftLeases } from '../../kube/lease-post.js';
import { planContexts, rollbackServiceInputs, rollbackServiceOutputs, rollbackServiceSchema } from './inputs.js';
import { clusterTargets, main } from './main.js';

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
  // several clusters (`contexts`, or a plan made with them): a client per context, each checked first
  clients: async (inputs, context) => {
    const contexts = inputs.contexts.length ? inputs.contexts : planContexts(inputs.plan);
    return contexts.length ? { clusters: await connectClusters(inputs, contexts, context) } : { kube: await connectKube(inputs, context) };
  },
  release: async (clients) => {
    await Promise.all(clusterTargets(clients).map(({ kube }) => kube.close()));
  },
  main,
  post: releaseLeftLeases,
});
