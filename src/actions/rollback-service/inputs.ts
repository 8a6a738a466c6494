import { z } from 'zod';
import { booleanInput, dnsLabelInput, dnsLabelListInput, durationInput, enumInput, integerInput, optionalString, planInput } from '../../core/inputs.js';
import { kubeTargetFields, namespaceProblem, resolveNamespace } from '../../kube/connection.js';
import type { RollbackTarget } from '../../kube/rollback.js';
import { parseServicePlan } from '../../kube/service-plan.js';

const VERSION_TAG = /^[A-Za-z0-9_][A-Za-z0-9._+-]{0,127}$/;

export function parseRollbackTarget(text: string): RollbackTarget | undefined {
  if (text === 'previous') return { kind: 'previous' };
  const revision = /^revision:(.*)$/.exec(text);
  if (revision) {
    const n = revision[1] ?? '';
    return /^[1-9]\d{0,17}$/.test(n) ? { kind: 'revision', revision: Number(n) } : undefined;
  }
  return VERSION_TAG.test(text) ? { kind: 'version', version: text } : undefined;
}

export const rollbackServiceSchema = z
  .object({
    services: dnsLabelListInput({ required: false, hint: 'name the deployments to roll back, e.g. `services: chat-service,search-service`' }),
    plan: planInput(parseServicePlan),
    force: booleanInput(false),
    'fail-after': durationInput('60s'),
    target: z
      .string()
      .optional()
      .transform((value, ctx) => {
        const text = (value ?? 'previous').trim();
        const target = parseRollbackTarget(text);
        if (target) return target;
        ctx.addIssue({
          code: 'custom',
          message: `must be \`previous\`, \`revision:N\` (N a revision number ≥ 1) or a version tag such as v1.2.0, got "${text}"`,
        });
        return z.NEVER;
      }),
    'only-from': z
      .string()
      .optional()
      .transform((value, ctx) => {
        const text = (value ?? '').trim();
        if (!text || VERSION_TAG.test(text)) return text || undefined;
        ctx.addIssue({ code: 'custom', message: `must be a version tag such as v1.2.0 (the release that failed), got "${text}"` });
        return z.NEVER;
      }),
    container: dnsLabelInput(),
    ...kubeTargetFields(),
    timeout: durationInput('10m'),
    'max-parallel': integerInput(10, 1, 100),
    'fail-fast': booleanInput(false),
    'dry-run': booleanInput(false),
    reason: optionalString(),
    'on-managed': enumInput(['warn', 'fail'] as const, 'warn'),
  })
  .superRefine((inputs, ctx) => {
    const plan = inputs.plan;
    if (!plan && inputs.services.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['services'],
        message: 'is required: name the deployments to roll back, e.g. `services: chat-service,search-service` (or pass the `plan` of a dry run)',
      });
      return;
    }
    if (plan) {
      const outside = inputs.services.filter((s) => !plan.services.some((e) => e.service === s));
      if (outside.length)
        ctx.addIssue({
          code: 'custom',
          path: ['services'],
          message: `names ${outside.join(', ')}, which the plan does not hold (it holds ${plan.services.map((e) => e.service).join(', ')}): leave services empty to run the whole plan`,
        });
      if ((inputs.namespace || inputs.environment) && resolveNamespace(inputs) !== plan.namespace) {
        ctx.addIssue({
          code: 'custom',
          path: ['plan'],
          message: `was made for namespace ${plan.namespace}, but this run targets ${resolveNamespace(inputs)}: make the plan for this namespace`,
        });
      }
      return;
    }
    const problem = namespaceProblem(inputs);
    if (problem) ctx.addIssue({ code: 'custom', path: [problem.input], message: problem.message });
  });

export type RollbackServiceInputs = z.output<typeof rollbackServiceSchema>;
