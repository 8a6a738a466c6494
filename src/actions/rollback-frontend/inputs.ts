import { z } from 'zod';
import { input, inputShape } from '../../core/input-table.js';
import { booleanInput, durationInput, enumInput, optionalString, planInput, requiredString } from '../../core/inputs.js';
import { HTTP_SCHEMES, tokenInput, urlInput } from '../../core/url-inputs.js';
import { parseFrontendPlan } from '../../vercel/frontend-plan.js';

/** Every input of rollback-frontend, declared once. */
export const rollbackFrontendInputs = {
  'vercel-token': input(
    tokenInput(`pass a Vercel token as a secret, e.g. \`vercel-token: ${'${{'} secrets.VERCEL_TOKEN }}\``).transform((v) => v ?? ''),
    {
      description: 'Vercel bearer token (secret).',
      required: true,
      secret: true,
    },
  ),
  project: input(requiredString('set the Vercel project id (prj_…) or name'), { description: 'Project id (prj_…) or name.', required: true }),
  team: input(optionalString(), { description: 'Team id (team_…) or slug.' }),
  mode: input(enumInput(['rollback', 'undo-rollback', 'redeploy'] as const), {
    description: '`rollback`, `undo-rollback` (promote the newest production deployment again) or `redeploy` (build `git-ref` for production).',
    default: 'rollback',
  }),
  target: input(requiredString('write previous, a version tag, a deployment id or URL'), {
    description:
      "`previous` (never back to the deployment a rollback moved away from), a version tag or git ref matched against the deployments' git metadata (e.g. `v1.2.0`), a deployment id (dpl_…) or a deployment URL.",
    default: 'previous',
  }),
  plan: input(planInput(parseFrontendPlan), {
    description: 'The `plan` output of an earlier run: its target serving → `unchanged`; its start serving → move production; anything else → refuse.',
  }),
  force: input(booleanInput(), {
    description: 'Go back to (or re-promote) the deployment a rollback moved away from, or run a plan whose start is no longer live.',
    default: 'false',
  }),
  'git-ref': input(optionalString(), { description: 'Git ref to build with `mode: redeploy`.' }),
  'api-url': input(
    urlInput(HTTP_SCHEMES, 'https://api.vercel.com').transform((v) => v ?? ''),
    {
      description: 'Vercel API base URL.',
      default: 'https://api.vercel.com',
    },
  ),
  timeout: input(durationInput(), { description: 'Limit for the whole run.', default: '5m' }),
  'dry-run': input(booleanInput(), { description: 'Resolve and show current → target; change nothing.', default: 'false' }),
  reason: input(optionalString(), { description: 'Sent as the rollback description.' }),
};

/** Every output of rollback-frontend, declared once. */
export const rollbackFrontendOutputs = {
  'deployment-id': 'Deployment now serving production.',
  'deployment-url': 'Its URL.',
  'previous-deployment-id': 'Deployment that served production before.',
  pinned: '`true` when production no longer auto-assigns new deployments.',
  plan: 'JSON (`version` 1): mode, from and to deployment (id, URL, git ref); pass it as `plan` to execute exactly it.',
  result:
    'JSON report: mode, status (`<deployment> serves production`, `unchanged: <why>`, `dry run: …` or `failed`), from and to deployment, alias job, pinned, failed aliases.',
};
export type RollbackFrontendOutput = keyof typeof rollbackFrontendOutputs;

export const rollbackFrontendSchema = z.object(inputShape(rollbackFrontendInputs)).superRefine((inputs, ctx) => {
  if (inputs.plan && inputs.plan.mode !== inputs.mode) {
    ctx.addIssue({ code: 'custom', path: ['plan'], message: `was made for mode: ${inputs.plan.mode}, but mode is ${inputs.mode}` });
  }
  if (inputs.mode === 'redeploy' && !inputs['git-ref']) {
    ctx.addIssue({ code: 'custom', path: ['git-ref'], message: 'is required with mode: redeploy: the tag or branch to build, e.g. v1.2.0' });
  }
});

export type RollbackFrontendInputs = z.output<typeof rollbackFrontendSchema>;
