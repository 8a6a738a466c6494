import { type ActionManifest, KUBE_CONNECTION_INPUTS } from '../manifest.js';

export const manifest: ActionManifest = {
  name: 'rollback-service',
  command: 'service',
  description:
    'Roll Kubernetes deployments back (previous revision, a revision number or a version tag) exactly as `kubectl rollout undo` would, wait for the rollouts and report.',
  icon: 'rotate-ccw',
  color: 'orange',
  post: true,
  inputs: {
    services: { description: 'Deployment names, separated by commas or newlines (DNS-1123 labels). May be empty with `plan` (then the whole plan runs).' },
    target: {
      description:
        '`previous` (never back to a release a rollback moved away from), `revision:N`, or a version tag such as `v1.2.0` matched against the image tags in the revision history.',
      default: 'previous',
    },
    plan: {
      description:
        "The `plan` output of an earlier run (e.g. the approved dry run): converge to exactly it. Target live: `unchanged` if healthy; the plan's from live: roll back; anything else: that service fails, nothing written.",
    },
    force: { description: "Roll back even when the live template is not the plan's `from`, or to a release a rollback moved away from.", default: 'false' },
    'fail-after': {
      description:
        'Fail a service when its new pods wait in ImagePullBackOff/ErrImagePull/InvalidImageName/CreateContainerConfigError this long (CrashLoopBackOff: after 3 restarts).',
      default: '60s',
    },
    'only-from': {
      description:
        'A version tag (the release that failed): services whose live pods do not run it are left as they are and reported `unchanged`, so an automatic rollback never takes a service that was already rolled back or redeployed further back.',
    },
    container: { description: 'Container whose image tag identifies the version (default: any container of the pod template).' },
    ...KUBE_CONNECTION_INPUTS,
    timeout: { description: 'Limit for the whole rollback, e.g. `10m`.', default: '10m' },
    'max-parallel': { description: 'Services rolled back at once.', default: '10' },
    'fail-fast': { description: 'Stop starting new services after a failure.', default: 'false' },
    'dry-run': { description: 'Resolve and show the plan, send the patch with dryRun=All, change nothing.', default: 'false' },
    reason: { description: 'Recorded in the kubernetes.io/change-cause annotation with the actor and run URL.' },
    'on-managed': { description: '`warn` or `fail` when a deployment is managed by Helm or Argo CD.', default: 'warn' },
  },
  outputs: {
    result:
      'JSON array, one object per service: service, namespace, status (rolled-back | unchanged | planned | failed | skipped | cancelled), from-revision, to-revision, from-version, to-version, from-images, to-images, duration-ms, message; after a failure live (ReplicaSets) and next (commands).',
    plan: 'JSON (`version` 1): per service the absolute from and to (revision, pod-template-hash, version, images, ReplicaSet uid); pass it as `plan` to execute exactly it.',
    'rolled-back': 'Comma-separated names of the services rolled back.',
    failed: 'Comma-separated names of the services that failed.',
  },
};
