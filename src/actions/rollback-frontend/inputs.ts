import { z } from 'zod';
import { booleanInput, durationInput, enumInput, httpUrl, optionalString, planInput, requiredString } from '../../core/inputs.js';
import { tokenInput } from '../../core/url-inputs.js';
import { parseFrontendPlan } from '../../vercel/frontend-plan.js';

export const rollbackFrontendSchema = z
  .object({
    'vercel-token': tokenInput(`pass a Vercel token as a secret, e.g. \`vercel-token: ${'${{'} secrets.VERCEL_TOKEN }}\``).transform((v) => v ?? ''),
    project: requiredString('set the Vercel project id (prj_…) or name'),
    team: optionalString(),
    mode: enumInput(['rollback', 'undo-rollback', 'redeploy'] as const, 'rollback'),
    target: z
      .string()
      .optional()
      .transform((v) => v?.trim() || 'previous'),
    'git-ref': optionalString(),
    'api-url': z
      .string()
      .optional()
      .transform((value, ctx) => {
        const text = value?.trim() || 'https://api.vercel.com';
        const url = httpUrl(text);
        if (url) return text.replace(/\/+$/, '');
        ctx.addIssue({ code: 'custom', message: `must be an http(s) URL such as https://api.vercel.com, got "${text}"` });
        return z.NEVER;
      }),
    timeout: durationInput('5m'),
    'dry-run': booleanInput(false),
    reason: optionalString(),
    plan: planInput(parseFrontendPlan),
    force: booleanInput(false),
  })
  .superRefine((inputs, ctx) => {
    if (inputs.plan && inputs.plan.mode !== inputs.mode) {
      ctx.addIssue({ code: 'custom', path: ['plan'], message: `was made for mode: ${inputs.plan.mode}, but mode is ${inputs.mode}` });
    }
    if (inputs.mode === 'redeploy' && !inputs['git-ref']) {
      ctx.addIssue({ code: 'custom', path: ['git-ref'], message: 'is required with mode: redeploy: the tag or branch to build, e.g. v1.2.0' });
    }
  });

export type RollbackFrontendInputs = z.output<typeof rollbackFrontendSchema>;
