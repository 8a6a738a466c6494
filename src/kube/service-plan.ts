import { z } from 'zod';
import { parseVersionedPlan } from '../core/plans.js';
import { comparableTemplate, currentRevision, type Revision, type RevisionHistory, versionsOf } from './history.js';
import { type EnvValues, withOverlay } from './reroute-state.js';
import { hashOf } from './rollback-record.js';

export const SERVICE_PLAN_KIND = 'keiko-rollback/service-plan';
export const SERVICE_PLAN_VERSION = 1;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const revisionRef = z.object({
  revision: z.number().int().nonnegative(),
  hash: z.string().regex(/^[a-z0-9]{0,20}$/, 'must be a pod-template-hash'),
  version: z.string().max(300),
  images: z.array(z.string().max(500)).max(50),
});
/** A deployment's name, or `statefulset/<name>`, `daemonset/<name>`. */
const WORKLOAD = /^((statefulset|daemonset)\/)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const entrySchema = z.object({
  service: z.string().regex(WORKLOAD, 'must be a deployment name, statefulset/<name> or daemonset/<name>'),
  from: revisionRef.nullable(),
  to: revisionRef.extend({ uid: z.string().max(64) }),
  /** Why the target is what runs already (e.g. put there by a rollback): nothing to write. */
  stay: z.string().max(1000).optional(),
  /** `on-managed: helm`: the Helm release and the revision `helm rollback` returns to. */
  helm: z.object({ release: z.string().max(53), revision: z.number().int().positive() }).optional(),
  /** The configuration of the target: restored from its snapshot before the template, or named as not rolled back. */
  config: z
    .object({
      snapshot: z.boolean(),
      restore: z
        .array(
          z.object({
            kind: z.enum(['ConfigMap', 'Secret']),
            name: z.string().max(253),
            snapshot: z.string().max(253),
            keys: z.array(z.object({ key: z.string().max(253), from: z.string().max(100), to: z.string().max(100) })).max(200),
          }),
        )
        .max(50),
      'changed-since': z.array(z.string().max(400)).max(50),
    })
    .optional(),
});
export type ConfigPlan = NonNullable<z.infer<typeof entrySchema>['config']>;
export const servicePlanSchema = z.object({
  version: z.literal(SERVICE_PLAN_VERSION),
  kind: z.literal(SERVICE_PLAN_KIND),
  namespace: z.string().regex(DNS_LABEL, 'must be a DNS-1123 label'),
  target: z.string().max(200),
  services: z.array(entrySchema).min(1).max(500),
  'created-at': z.string().max(40),
  /** The kubeconfig context of the cluster it was made for, when the run rolled back several (`contexts`). */
  context: z.string().min(1).max(253).optional(),
});
export type ServicePlanEntry = z.infer<typeof entrySchema>;
export type ServicePlanDocument = z.infer<typeof servicePlanSchema>;

export function revisionRefOf(revision: Revision, container?: string): z.infer<typeof revisionRef> {
  return {
    revision: revision.revision,
    hash: hashOf(revision),
    version: versionsOf(revision.replicaSet.spec.template, container).join('+') || `revision ${revision.revision}`,
    images: revision.images,
  };
}

export function planEntry(service: string, history: RevisionHistory, to: Revision, container?: string, stay?: string): ServicePlanEntry {
  const live = currentRevision(history);
  return {
    service,
    from: live ? revisionRefOf(live, container) : null,
    to: { ...revisionRefOf(to, container), uid: to.replicaSet.metadata.uid ?? '' },
    ...(stay ? { stay } : {}),
  };
}

/** Parses the `plan` input; returns the problem as text for the input's error. */
export function parseServicePlan(text: string): ServicePlanDocument | string {
  return parseVersionedPlan(text, SERVICE_PLAN_KIND, SERVICE_PLAN_VERSION, servicePlanSchema, 'rollback-service');
}

/**
 * The `plan` input: one cluster's plan, or the array a run with `contexts` made (one plan per cluster,
 * each naming its context, every context once). Returns the problem as text for the input's error.
 */
export function parseServicePlans(text: string): ServicePlanDocument[] | string {
  if (!text.trim().startsWith('[')) {
    const single = parseServicePlan(text);
    return typeof single === 'string' ? single : [single];
  }
  let items: unknown;
  try {
    items = JSON.parse(text);
  } catch {
    const problem = parseServicePlan(text);
    return typeof problem === 'string' ? problem : [problem];
  }
  if (!Array.isArray(items) || items.length === 0 || items.length > 20)
    return 'is an array of plans that is empty or holds more than 20: pass the `plan` output of a run with `contexts`';
  const plans: ServicePlanDocument[] = [];
  for (const [index, item] of items.entries()) {
    const plan = parseServicePlan(JSON.stringify(item));
    if (typeof plan === 'string') return `holds plan ${index + 1}, which ${plan}`;
    if (!plan.context)
      return `holds plan ${index + 1} without a context: a plan of several clusters names each one's context; make the plan again with \`contexts\``;
    if (plans.some((p) => p.context === plan.context)) return `holds two plans for context ${plan.context}: make the plan again instead of editing it`;
    plans.push(plan);
  }
  return plans;
}

export type Convergence = { action: 'at-target'; target: Revision } | { action: 'write'; target: Revision } | { action: 'refuse'; message: string };

/**
 * Converge one service to its plan entry, judged on a fresh read: the target template live → nothing
 * to write; the plan's `from` live → roll back; anything else (someone deployed in between) → refuse,
 * naming what is live and what the plan expected, unless `force`.
 */
export function converge(history: RevisionHistory, entry: ServicePlanEntry, force: boolean, overlay?: EnvValues): Convergence {
  const target = history.revisions.find((r) => r.replicaSet.metadata.uid === entry.to.uid);
  if (!target)
    return {
      action: 'refuse',
      message: `the plan's target, revision ${entry.to.revision} (${entry.to.version}), is no longer in the history (pruned by revisionHistoryLimit?); nothing written`,
    };
  const live = comparableTemplate(history.deployment.spec.template);
  // the target's template, or the target's template with an active reroute's variables kept
  if (
    live === comparableTemplate(target.replicaSet.spec.template) ||
    (overlay && live === comparableTemplate(withOverlay(target.replicaSet.spec.template, overlay)))
  )
    return { action: 'at-target', target };
  const current = currentRevision(history);
  if (force || (entry.from && hashOf(current) === entry.from.hash)) return { action: 'write', target };
  const now = current
    ? `${versionsOf(current.replicaSet.spec.template).join('+') || '?'} (revision ${current.revision}, template ${hashOf(current)})`
    : 'a template with no ReplicaSet yet';
  const expected = entry.from ? `${entry.from.version} (revision ${entry.from.revision}, template ${entry.from.hash})` : 'nothing';
  return {
    action: 'refuse',
    message: `live is ${now}, but the plan expected ${expected}: someone deployed in between; nothing written. Make a new plan, or set force: true`,
  };
}
