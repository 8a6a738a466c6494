import { defineAction } from '../../core/action.js';
import { connectKube } from '../../kube/connection.js';
import { releaseLeftLeases } from '../../kube/lease-post.js';
import { dnsProvider } from './dns.js';
import { emergencyRerouteInputs, emergencyRerouteOutputs, emergencyRerouteSchema } from './inputs.js';
import { main } from './main.js';

export const emergencyRerouteAction = defineAction({
  name: 'emergency-reroute',
  command: 'reroute',
  title: 'Emergency reroute',
  description: 'Apply the backup ingress and the gateway circuit breaker with a snapshot first, and restore both exactly.',
  icon: 'shuffle',
  color: 'red',
  inputs: emergencyRerouteInputs,
  schema: emergencyRerouteSchema,
  outputs: emergencyRerouteOutputs,
  clients: async (inputs, context) => ({ kube: await connectKube(inputs, context), dns: await dnsProvider(inputs, context) }),
  release: ({ kube }) => kube.close(),
  main,
  post: releaseLeftLeases,
});
