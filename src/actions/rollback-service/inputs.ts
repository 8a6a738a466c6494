import { z } from 'zod';
import { input, inputShape } from '../../core/input-table.js';
import {
  booleanInput,
  dnsLabelInput,
  dnsLabelProblem,
  durationInput,
  enumInput,
  integerInput,
  optionalPatternInput,
  optionalString,
  planInput,
  requiredString,
  splitList,
} from '../../core/inputs.js';
import { contextListInput, KUBE_CONNECTION_INPUTS, namespaceProblem, resolveNamespace } from '../../kube/connection.js';
import type { RollbackTarget } from '../../kube/rollback.js';
import { parseServicePlans, type ServicePlanDocument } from '../../kube/service-plan.js';
import { workloadProblem } from '../../kube/workload.js';

const VERSION_TAG = /^[A-Za-z0-9_][A-Za-z0-9._+-]{0,127}$/;

/** Deployments by name, StatefulSets and DaemonSets as kubectl names them (`statefulset/vector-db`). */
function workloadListInput() {
  return z
    .string()
    .optional()
    .transform((value, ctx) => {
      const items = splitList(value);
      for (const item of items) {
        const problem = workloadProblem(item, dnsLabelProblem);
        if (problem) {
          ctx.addIssue({ code: 'custom', message: `has ${problem}` });
          return z.NEVER;
        }
      }
      return [...new Set(items)];
    });
}

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
  services: input(workloadListInput(), {
    description:
      'Deployment names, separated by commas or newlines (DNS-1123 labels); `statefulset/<name>` and `daemonset/<name>` roll those back from their ControllerRevisions. May be empty with `plan` (then the whole plan runs).',
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
  plan: input(planInput(parseServicePlans), {
    description:
      "The `plan` output of an earlier run (e.g. the approved dry run): converge to exactly it. Target live: `unchanged` if healthy; the plan's from live: roll back; anything else: that service fails, nothing written. A plan made with `contexts` holds one plan per cluster and runs in those clusters.",
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
  contexts: input(contextListInput(), {
    description:
      'Kubeconfig contexts, separated by commas: the same rollback in each of these clusters at once, one Lease per cluster and service, results and summary per cluster; a failure in one cluster never stops the others. Instead of `context`.',
  }),
  timeout: input(durationInput(), { description: 'Limit for the whole rollback, e.g. `10m`.', default: '10m' }),
  'max-parallel': input(integerInput(1, 100), { description: 'Services rolled back at once.', default: '10' }),
  'fail-fast': input(booleanInput(), { description: 'Stop starting new services after a failure.', default: 'false' }),
  'dry-run': input(booleanInput(), { description: 'Resolve and show the plan, send the patch with dryRun=All, change nothing.', default: 'false' }),
  reason: input(optionalString(), { description: 'Recorded in the kubernetes.io/change-cause annotation with the actor and run URL.' }),
  mode: input(enumInput(['rollback', 'snapshot', 'resume-sync'] as const), {
    description:
      '`rollback`; `snapshot` in a deploy workflow before the deploy: store the content of every ConfigMap and Secret the live pod template reads as immutable copies labelled with the deployment and its pod-template-hash, so a later rollback to that template brings its configuration back; `resume-sync`: put back exactly the Argo CD automated-sync policy `on-managed: suspend-sync` turned off for `services`.',
    default: 'rollback',
  }),
  'on-managed': input(enumInput(['warn', 'fail', 'suspend-sync', 'helm'] as const), {
    description:
      "When a workload is managed by Helm or Argo CD: `warn` (roll back, say so), `fail`, `suspend-sync` (Argo CD: turn off the automated sync of its Application first, remembering the policy for `mode: resume-sync`, so the rollback stays) or `helm` (roll the Helm release back to the revision whose manifest carries the target images, with the `helm` binary on PATH, so Helm's record and the cluster agree).",
    default: 'warn',
  }),
  'argocd-namespace': input(dnsLabelInput(), {
    description: 'Namespace of the Argo CD Applications (for `on-managed: suspend-sync`, `mode: resume-sync`).',
    default: 'argocd',
  }),
};

/** Every output of rollback-service, declared once. */
export const rollbackServiceOutputs = {
  result:
    'JSON array, one object per service: service, namespace, status (rolled-back | unchanged | planned | failed | skipped | cancelled), from-revision, to-revision, from-version, to-version, from-images, to-images, duration-ms, message; after a failure live (ReplicaSets) and next (commands); with `contexts` also context.',
  plan: 'JSON (`version` 1): per service the absolute from and to (revision, pod-template-hash, version, images, ReplicaSet uid); pass it as `plan` to execute exactly it. With `contexts`: a JSON array, one such plan per cluster, each naming its context.',
  'rolled-back': 'Comma-separated names of the services rolled back (with `contexts`: service@context).',
  failed: 'Comma-separated names of the services that failed (with `contexts`: service@context).',
};
export type RollbackServiceOutput = keyof typeof rollbackServiceOutputs;

/** The clusters a plan was made for: none for a one-cluster plan. */
export function planContexts(plans: ServicePlanDocument[] | undefined): string[] {
  return (plans ?? []).flatMap((p) => (p.context ? [p.context] : []));
}

type Issue = { path: string; message: string };

/** `contexts` beside `context`, or beside a plan made for other clusters. */
function contextProblem(inputs: { contexts: string[]; context?: string | undefined; plan?: ServicePlanDocument[] | undefined }): Issue | undefined {
  if (inputs.contexts.length && inputs.context) return { path: 'contexts', message: 'cannot be combined with `context`: list every cluster in `contexts`' };
  if (!inputs.plan) return undefined;
  const made = planContexts(inputs.plan);
  if (made.length === 0 && inputs.contexts.length)
    return { path: 'plan', message: 'was made for one cluster: to roll back several, make the plan with the same `contexts`' };
  const outside = inputs.contexts.filter((c) => !made.includes(c));
  if (outside.length) return { path: 'contexts', message: `names ${outside.join(', ')}, which the plan does not hold (it holds ${made.join(', ')})` };
  if (made.length && inputs.context)
    return { path: 'context', message: `cannot be used with a plan of several clusters (${made.join(', ')}): use \`contexts\`` };
  return undefined;
}

export const rollbackServiceSchema = z.object(inputShape(rollbackServiceInputs)).superRefine((inputs, ctx) => {
  const clusters = contextProblem(inputs);
  if (clusters) {
    ctx.addIssue({ code: 'custom', path: [clusters.path], message: clusters.message });
    return;
  }
  if (inputs.mode === 'resume-sync' && inputs.plan)
    ctx.addIssue({ code: 'custom', path: ['plan'], message: 'is for mode: rollback; mode: resume-sync takes `services`' });
  if (inputs.mode === 'snapshot') {
    const other = inputs.services.find((s) => s.includes('/'));
    if (inputs.plan)
      ctx.addIssue({ code: 'custom', path: ['plan'], message: 'is for mode: rollback; mode: snapshot stores the live configuration of `services`' });
    else if (other) ctx.addIssue({ code: 'custom', path: ['services'], message: `names ${other}: mode: snapshot stores the configuration of deployments` });
  }
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
    const held = [...new Set(plan.flatMap((p) => p.services.map((e) => e.service)))];
    const outside = inputs.services.filter((s) => !held.includes(s));
    if (outside.length)
      ctx.addIssue({
        code: 'custom',
        path: ['services'],
        message: `names ${outside.join(', ')}, which the plan does not hold (it holds ${held.join(', ')}): leave services empty to run the whole plan`,
      });
    const other = plan.find((p) => p.namespace !== resolveNamespace(inputs));
    if ((inputs.namespace || inputs.environment) && other) {
      ctx.addIssue({
        code: 'custom',
        path: ['plan'],
        message: `was made for namespace ${other.namespace}, but this run targets ${resolveNamespace(inputs)}: make the plan for this namespace`,
      });
    }
    return;
  }
  const problem = namespaceProblem(inputs);
  if (problem) ctx.addIssue({ code: 'custom', path: [problem.input], message: problem.message });
});

export type RollbackServiceInputs = z.output<typeof rollbackServiceSchema>;
