import { z } from 'zod';
import { input, inputShape } from '../../core/input-table.js';
import {
  booleanInput,
  dnsLabelInput,
  dnsLabelListInput,
  durationInput,
  enumInput,
  integerInput,
  optionalPatternInput,
  optionalString,
  planInput,
  requiredString,
} from '../../core/inputs.js';
import { KUBE_CONNECTION_INPUTS, namespaceProblem, resolveNamespace } from '../../kube/connection.js';
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

/** Every input of rollback-service, declared once. */
export const rollbackServiceInputs = {
  services: input(dnsLabelListInput({ required: false, hint: 'name the deployments to roll back, e.g. `services: chat-service,search-service`' }), {
    description: 'Deployment names, separated by commas or newlines (DNS-1123 labels). May be empty with `plan` (then the whole plan runs).',
  }),
  target: input(
    requiredString('write previous, revision:N or a version tag').transform((text, ctx) => {
      const target = parseRollbackTarget(text);
      if (target) return target;
      ctx.addIssue({
        code: 'custom',
        message: `must be \`previous\`, \`revision:N\` (N a revision number ≥ 1) or a version tag such as v1.2.0, got "${text}"`,
      });
      return z.NEVER;
    }),
    {
      description:
        '`previous` (never back to a release a rollback moved away from), `revision:N`, or a version tag such as `v1.2.0` matched against the image tags in the revision history.',
      default: 'previous',
    },
  ),
  plan: input(planInput(parseServicePlan), {
    description:
      "The `plan` output of an earlier run (e.g. the approved dry run): converge to exactly it. Target live: `unchanged` if healthy; the plan's from live: roll back; anything else: that service fails, nothing written.",
  }),
  force: input(booleanInput(), {
    description: "Roll back even when the live template is not the plan's `from`, or to a release a rollback moved away from.",
    default: 'false',
  }),
  'fail-after': input(durationInput(), {
    description:
      'Fail a service when its new pods wait in ImagePullBackOff/ErrImagePull/InvalidImageName/CreateContainerConfigError this long (CrashLoopBackOff: after 3 restarts).',
    default: '60s',
  }),
  'only-from': input(
    optionalPatternInput(VERSION_TAG, (text) => `must be a version tag such as v1.2.0 (the release that failed), got "${text}"`),
    {
      description:
        'A version tag (the release that failed): services whose live pods do not run it are left as they are and reported `unchanged`, so an automatic rollback never takes a service that was already rolled back or redeployed further back.',
    },
  ),
  container: input(dnsLabelInput(), { description: 'Container whose image tag identifies the version (default: any container of the pod template).' }),
  ...KUBE_CONNECTION_INPUTS,
  timeout: input(durationInput(), { description: 'Limit for the whole rollback, e.g. `10m`.', default: '10m' }),
  'max-parallel': input(integerInput(1, 100), { description: 'Services rolled back at once.', default: '10' }),
  'fail-fast': input(booleanInput(), { description: 'Stop starting new services after a failure.', default: 'false' }),
  'dry-run': input(booleanInput(), { description: 'Resolve and show the plan, send the patch with dryRun=All, change nothing.', default: 'false' }),
  reason: input(optionalString(), { description: 'Recorded in the kubernetes.io/change-cause annotation with the actor and run URL.' }),
  'on-managed': input(enumInput(['warn', 'fail'] as const), {
    description: '`warn` or `fail` when a deployment is managed by Helm or Argo CD.',
    default: 'warn',
  }),
};

/** Every output of rollback-service, declared once. */
export const rollbackServiceOutputs = {
  result:
    'JSON array, one object per service: service, namespace, status (rolled-back | unchanged | planned | failed | skipped | cancelled), from-revision, to-revision, from-version, to-version, from-images, to-images, duration-ms, message; after a failure live (ReplicaSets) and next (commands).',
  plan: 'JSON (`version` 1): per service the absolute from and to (revision, pod-template-hash, version, images, ReplicaSet uid); pass it as `plan` to execute exactly it.',
  'rolled-back': 'Comma-separated names of the services rolled back.',
  failed: 'Comma-separated names of the services that failed.',
};
export type RollbackServiceOutput = keyof typeof rollbackServiceOutputs;

export const rollbackServiceSchema = z.object(inputShape(rollbackServiceInputs)).superRefine((inputs, ctx) => {
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
