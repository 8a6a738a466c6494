import type { Deployment } from './types.js';

export interface ManagedBy {
  tool: 'Helm' | 'Argo CD';
  detail: string;
  consequence: string;
  /** Argo CD: the Application that tracks the workload (`<namespace>_<name>` in apps-in-any-namespace form gives both). */
  application?: { name: string; namespace?: string };
}

/** Helm or Argo CD would revert or drift from a rollback done behind their back. */
export function detectManager(deployment: Deployment): ManagedBy | undefined {
  const labels = deployment.metadata.labels ?? {};
  const annotations = deployment.metadata.annotations ?? {};
  const release = annotations['meta.helm.sh/release-name'];
  if (labels['app.kubernetes.io/managed-by'] === 'Helm' || Object.keys(annotations).some((k) => k.startsWith('meta.helm.sh/'))) {
    return {
      tool: 'Helm',
      detail: release ? `release ${release}` : 'a Helm release',
      consequence: `the Helm release record still describes the rolled-back-from version, and the next \`helm upgrade\` reverts this rollback; prefer \`helm rollback${release ? ` ${release}` : ''}\``,
    };
  }
  const tracking = annotations['argocd.argoproj.io/tracking-id'] ?? labels['argocd.argoproj.io/instance'] ?? annotations['argocd.argoproj.io/instance'];
  if (tracking) {
    const id = tracking.split(':')[0] ?? '';
    const [first, second] = id.split('_');
    const application = second ? { name: second, namespace: first ?? '' } : { name: id };
    return {
      tool: 'Argo CD',
      application,
      detail: `application ${id}`,
      consequence: 'Argo CD auto-sync puts the Git version back (or reports the app OutOfSync); disable auto-sync or roll back in Git',
    };
  }
  return undefined;
}
