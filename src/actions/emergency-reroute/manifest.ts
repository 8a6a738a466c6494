import { KUBE_CONNECTION_INPUTS, type ActionManifest } from '../manifest.js';

export const manifest: ActionManifest = {
  name: 'emergency-reroute',
  command: 'reroute',
  description: 'Apply the backup ingress and the gateway circuit breaker with a snapshot first, and restore both exactly.',
  icon: 'shuffle',
  color: 'red',
  post: true,
  inputs: {
    mode: { description: '`activate` or `restore`.', default: 'activate' },
    ...KUBE_CONNECTION_INPUTS,
    'ingress-manifest': { description: 'Backup ingress manifest (Ingress and Service objects); set empty to skip.', default: 'infra/kubernetes/emergency/backup-ingress.yaml' },
    'circuit-breaker': { description: 'Enable the gateway circuit breaker.', default: 'true' },
    'gateway-deployment': { description: 'Gateway deployment name.', default: 'gateway-bff' },
    'failure-threshold': { description: 'FAILURE_THRESHOLD for the circuit breaker, 1–1000.', default: '5' },
    force: { description: 'Take over fields another field manager owns (server-side apply force).', default: 'false' },
    timeout: { description: 'Limit for the whole run.', default: '5m' },
    'dry-run': { description: 'Validate, diff and server-side dry-run; change nothing.', default: 'false' },
  },
  outputs: {
    applied: 'Kind/name of every object applied or restored.',
    state: 'JSON snapshot of what was there before.',
    result: 'JSON report.',
  },
};
