import { KUBE_CONNECTION_INPUTS, type ActionManifest } from '../manifest.js';

export const manifest: ActionManifest = {
  name: 'rollback-service',
  command: 'service',
  description: 'Roll Kubernetes deployments back (previous revision, a revision number or a version tag) exactly as `kubectl rollout undo` would, wait for the rollouts and report.',
  icon: 'rotate-ccw',
  color: 'orange',
  post: true,
  inputs: {
    services: { description: 'Deployment names, separated by commas or newlines (DNS-1123 labels).', required: true },
    target: { description: '`previous`, `revision:N`, or a version tag such as `v1.2.0` matched against the image tags in the revision history.', default: 'previous' },
    container: { description: "Container whose image tag identifies the version (default: any container of the pod template)." },
    ...KUBE_CONNECTION_INPUTS,
    timeout: { description: 'Limit for the whole rollback, e.g. `10m`.', default: '10m' },
    'max-parallel': { description: 'Services rolled back at once.', default: '10' },
    'fail-fast': { description: 'Stop starting new services after a failure.', default: 'false' },
    'dry-run': { description: 'Resolve and show the plan, send the patch with dryRun=All, change nothing.', default: 'false' },
    reason: { description: 'Recorded in the kubernetes.io/change-cause annotation with the actor and run URL.' },
    'on-managed': { description: '`warn` or `fail` when a deployment is managed by Helm or Argo CD.', default: 'warn' },
  },
  outputs: {
    result: 'JSON array, one object per service: service, namespace, status (rolled-back | unchanged | planned | failed), from-revision, to-revision, from-images, to-images, duration-ms, message.',
    'rolled-back': 'Comma-separated names of the services rolled back.',
    failed: 'Comma-separated names of the services that failed.',
  },
};
