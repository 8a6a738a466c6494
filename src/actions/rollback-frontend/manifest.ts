import type { ActionManifest } from '../manifest.js';

export const manifest: ActionManifest = {
  name: 'rollback-frontend',
  command: 'frontend',
  description: 'Roll Vercel production back to an earlier deployment, wait until the domains serve it, and report the pin Vercel leaves behind.',
  icon: 'globe',
  color: 'orange',
  inputs: {
    'vercel-token': { description: 'Vercel bearer token (secret).', required: true, secret: true },
    project: { description: 'Project id (prj_…) or name.', required: true },
    team: { description: 'Team id (team_…) or slug.' },
    mode: {
      description: '`rollback`, `undo-rollback` (promote the newest production deployment again) or `redeploy` (build `git-ref` for production).',
      default: 'rollback',
    },
    target: {
      description:
        "`previous` (never back to the deployment a rollback moved away from), a version tag or git ref matched against the deployments' git metadata (e.g. `v1.2.0`), a deployment id (dpl_…) or a deployment URL.",
      default: 'previous',
    },
    plan: {
      description: 'The `plan` output of an earlier run: its target serving → `unchanged`; its start serving → move production; anything else → refuse.',
    },
    force: {
      description: 'Go back to (or re-promote) the deployment a rollback moved away from, or run a plan whose start is no longer live.',
      default: 'false',
    },
    'git-ref': { description: 'Git ref to build with `mode: redeploy`.' },
    'api-url': { description: 'Vercel API base URL.', default: 'https://api.vercel.com' },
    timeout: { description: 'Limit for the whole run.', default: '5m' },
    'dry-run': { description: 'Resolve and show current → target; change nothing.', default: 'false' },
    reason: { description: 'Sent as the rollback description.' },
  },
  outputs: {
    'deployment-id': 'Deployment now serving production.',
    'deployment-url': 'Its URL.',
    'previous-deployment-id': 'Deployment that served production before.',
    pinned: '`true` when production no longer auto-assigns new deployments.',
    plan: 'JSON (`version` 1): mode, from and to deployment (id, URL, git ref); pass it as `plan` to execute exactly it.',
    result: 'JSON report.',
  },
};
