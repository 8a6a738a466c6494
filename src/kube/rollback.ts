import { ConfigurationError } from '../core/errors.js';
import { comparableTemplate, currentRevision, type Revision, type RevisionHistory, versionsOf } from './history.js';
import { type EnvValues, withOverlay } from './reroute-state.js';
import { describeEntry, hashOf, movedAwayBy, putThereBy, ROLLED_BACK_FROM, type RollbackEntry, rollbackEntries, withEntry } from './rollback-record.js';
import { CHANGE_CAUSE_ANNOTATION, type Deployment, POD_TEMPLATE_HASH, type PodTemplate } from './types.js';
import { revisionPatch } from './workload.js';

export type RollbackTarget = { kind: 'previous' } | { kind: 'revision'; revision: number } | { kind: 'version'; version: string };

/** Annotations kubectl keeps from the deployment instead of copying them from the ReplicaSet. */
const ROLLOUT_SKIP_ANNOTATIONS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  'deployment.kubernetes.io/revision',
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
  // ours: kept on the deployment across rollbacks, never copied back from a ReplicaSet
  ROLLED_BACK_FROM,
]);

export function describeTarget(target: RollbackTarget): string {
  if (target.kind === 'previous') return 'previous';
  return target.kind === 'revision' ? `revision:${target.revision}` : target.version;
}

export type Resolution = { revision: Revision } | { stay: string };

function label(revision: Revision, container?: string): string {
  return versionsOf(revision.replicaSet.spec.template, container).join('+') || `revision ${revision.revision}`;
}

/**
 * The revision a target means, never a step back from a rollback. `previous`: when the live
 * template was put there by a rollback, stay; otherwise the newest older revision that no rollback
 * moved away from. `revision:N` must exist; a version tag picks the newest revision whose image tag
 * matches. An explicit target a rollback moved away from needs `force`.
 */
export function resolveTargetRevision(
  history: RevisionHistory,
  target: RollbackTarget,
  options: { container?: string | undefined; force?: boolean; sameRelease?: (a: Revision, b: Revision) => boolean } = {},
): Resolution {
  const name = history.deployment.metadata.name;
  const numbers = history.revisions.map((r) => r.revision);
  const entries = rollbackEntries(history.deployment);
  const live = currentRevision(history);
  if (target.kind === 'previous') {
    const by = putThereBy(entries, hashOf(live));
    if (live && by && !options.force)
      return {
        stay: `already at ${label(live, options.container)}, put there by a rollback (${describeEntry(by)}); previous never returns to a release a rollback moved away from`,
      };
    // a revision that differs from the live one only by an active reroute's variables is the same release
    const same = (r: Revision): boolean => Boolean(live && options.sameRelease?.(r, live));
    const older = history.revisions.filter(
      (r) => r.revision < (live?.revision ?? Number.POSITIVE_INFINITY) && (options.force || !movedAwayBy(entries, hashOf(r))),
    );
    const releases = older.filter((r) => !same(r));
    if (live && older.length > 0 && releases.length === 0)
      return {
        stay: `already at ${label(live, options.container)}: the older revisions differ from it only by the active reroute's variables, so previous is not a rollback`,
      };
    const previous = releases[releases.length - 1];
    if (!previous)
      throw new ConfigurationError(
        `has no previous revision for ${name}: its history holds ${numbers.join(', ') || 'nothing'}${entries.length ? ', and rollbacks moved away from the older ones' : ''}`,
        'target',
      );
    return { revision: previous };
  }
  const found = findExplicit(history, target, options.container);
  const away = movedAwayBy(entries, hashOf(found));
  if (away && !options.force && comparableTemplate(found.replicaSet.spec.template) !== comparableTemplate(history.deployment.spec.template)) {
    throw new ConfigurationError(
      `${describeTarget(target)} of ${name} is ${label(found, options.container)}, the release a rollback moved away from (${describeEntry(away)}): set force: true to go back to it anyway`,
      'target',
    );
  }
  return { revision: found };
}

function findExplicit(history: RevisionHistory, target: Exclude<RollbackTarget, { kind: 'previous' }>, container?: string): Revision {
  const name = history.deployment.metadata.name;
  if (target.kind === 'revision') {
    const found = history.revisions.find((r) => r.revision === target.revision);
    if (!found)
      throw new ConfigurationError(
        `revision:${target.revision} is not in the history of ${name} (revisions: ${history.revisions.map((r) => r.revision).join(', ')})`,
        'target',
      );
    return found;
  }
  const matching = history.revisions.filter((r) => versionsOf(r.replicaSet.spec.template, container).includes(target.version));
  const found = matching[matching.length - 1];
  if (!found) {
    const known = history.revisions
      .map((r) => `${versionsOf(r.replicaSet.spec.template, container).join('+') || '<no tag>'} (revision ${r.revision})`)
      .join(', ');
    throw new ConfigurationError(
      `${target.version} matches no revision of ${name}${container ? ` (container ${container})` : ''}; versions in its history: ${known}`,
      'target',
    );
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
export function rollbackAnnotations(deployment: Deployment, revision: Revision, changeCause?: string, entry?: RollbackEntry): Record<string, string> {
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(deployment.metadata.annotations ?? {})) if (ROLLOUT_SKIP_ANNOTATIONS.has(k)) annotations[k] = v;
  for (const [k, v] of Object.entries(revision.replicaSet.metadata.annotations ?? {})) if (!ROLLOUT_SKIP_ANNOTATIONS.has(k)) annotations[k] = v;
  return { ...annotations, ...recordAnnotations(deployment, changeCause, entry) };
}

/** What every rollback writes beside kubectl's change: the change-cause, and our record of what it moved away from. */
function recordAnnotations(workload: Deployment, changeCause?: string, entry?: RollbackEntry): Record<string, string> {
  return {
    ...(changeCause ? { [CHANGE_CAUSE_ANNOTATION]: changeCause } : {}),
    ...(entry ? { [ROLLED_BACK_FROM]: withEntry(rollbackEntries(workload), entry) } : {}),
  };
}

/**
 * kubectl's undo of a StatefulSet or DaemonSet: the ControllerRevision's template as a strategic merge patch,
 * carrying the resourceVersion it was decided on, with the change-cause and our record as annotations.
 */
export function controllerRevisionRollbackPatch(workload: Deployment, revision: Revision, changeCause?: string, entry?: RollbackEntry): object {
  return revisionPatch(workload, templateOfRevision(revision), recordAnnotations(workload, changeCause, entry));
}

/**
 * kubectl's JSON patch: replace the pod template and the annotations (plus our record of what it
 * moved away from). `overlay`: an active reroute's variables, kept in the new template.
 */
export function rollbackPatch(deployment: Deployment, revision: Revision, changeCause?: string, entry?: RollbackEntry, overlay?: EnvValues): object[] {
  return [
    { op: 'replace', path: '/spec/template', value: withOverlay(templateOfRevision(revision), overlay) },
    { op: 'replace', path: '/metadata/annotations', value: rollbackAnnotations(deployment, revision, changeCause, entry) },
  ];
}

export function pausedAdvice(deployment: Deployment): string {
  const { name, namespace } = deployment.metadata;
  return `deployment ${name} is paused: you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/${name} -n ${namespace}' and try again`;
}
