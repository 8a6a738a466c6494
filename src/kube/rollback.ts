import { ConfigurationError } from '../core/errors.js';
import { comparableTemplate, versionsOf, type Revision, type RevisionHistory } from './history.js';
import { CHANGE_CAUSE_ANNOTATION, POD_TEMPLATE_HASH, type Deployment, type PodTemplate } from './types.js';

export type RollbackTarget = { kind: 'previous' } | { kind: 'revision'; revision: number } | { kind: 'version'; version: string };

/** Annotations kubectl keeps from the deployment instead of copying them from the ReplicaSet. */
const ROLLOUT_SKIP_ANNOTATIONS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  'deployment.kubernetes.io/revision',
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

export function describeTarget(target: RollbackTarget): string {
  if (target.kind === 'previous') return 'previous';
  return target.kind === 'revision' ? `revision:${target.revision}` : target.version;
}

/**
 * kubectl's choice of revision: `previous` is the second-highest revision, `revision:N` must
 * exist, a version tag picks the newest revision whose image tag matches.
 */
export function resolveTargetRevision(history: RevisionHistory, target: RollbackTarget, container?: string): Revision {
  const name = history.deployment.metadata.name;
  const numbers = history.revisions.map((r) => r.revision);
  if (target.kind === 'previous') {
    const previous = history.revisions[history.revisions.length - 2];
    if (!previous) throw new ConfigurationError(`has no previous revision for ${name}: its history holds only ${numbers.join(', ') || 'nothing'}`, 'target');
    return previous;
  }
  if (target.kind === 'revision') {
    const found = history.revisions.find((r) => r.revision === target.revision);
    if (!found) throw new ConfigurationError(`revision:${target.revision} is not in the history of ${name} (revisions: ${numbers.join(', ')})`, 'target');
    return found;
  }
  const matching = history.revisions.filter((r) => versionsOf(r.replicaSet.spec.template, container).includes(target.version));
  const found = matching[matching.length - 1];
  if (!found) {
    const known = history.revisions.map((r) => `${versionsOf(r.replicaSet.spec.template, container).join('+') || '<no tag>'} (revision ${r.revision})`).join(', ');
    throw new ConfigurationError(`${target.version} matches no revision of ${name}${container ? ` (container ${container})` : ''}; versions in its history: ${known}`, 'target');
  }
  return found;
}

export function templateOfRevision(revision: Revision): PodTemplate {
  const template = structuredClone(revision.replicaSet.spec.template);
  if (template.metadata?.labels) delete template.metadata.labels[POD_TEMPLATE_HASH];
  return template;
}

export function isAlreadyAt(deployment: Deployment, revision: Revision): boolean {
  return comparableTemplate(deployment.spec.template) === comparableTemplate(revision.replicaSet.spec.template);
}

/** The annotations `kubectl rollout undo` writes: rollout bookkeeping from the deployment, the rest from the ReplicaSet. */
export function rollbackAnnotations(deployment: Deployment, revision: Revision, changeCause?: string): Record<string, string> {
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(deployment.metadata.annotations ?? {})) if (ROLLOUT_SKIP_ANNOTATIONS.has(k)) annotations[k] = v;
  for (const [k, v] of Object.entries(revision.replicaSet.metadata.annotations ?? {})) if (!ROLLOUT_SKIP_ANNOTATIONS.has(k)) annotations[k] = v;
  if (changeCause) annotations[CHANGE_CAUSE_ANNOTATION] = changeCause;
  return annotations;
}

/** kubectl's JSON patch: replace the pod template and the annotations. */
export function rollbackPatch(deployment: Deployment, revision: Revision, changeCause?: string): object[] {
  return [
    { op: 'replace', path: '/spec/template', value: templateOfRevision(revision) },
    { op: 'replace', path: '/metadata/annotations', value: rollbackAnnotations(deployment, revision, changeCause) },
  ];
}

export function pausedAdvice(deployment: Deployment): string {
  const { name, namespace } = deployment.metadata;
  return `deployment ${name} is paused: you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/${name} -n ${namespace}' and try again`;
}

