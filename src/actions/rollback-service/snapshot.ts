import type { ActionContext, ActionResult } from '../../core/action.js';
import { markdownTable } from '../../core/summary.js';
import type { KubeClient } from '../../kube/client.js';
import { pruneSnapshots, referencedConfig, type SnapshotOutcome, snapshotConfig } from '../../kube/config-snapshot.js';
import { resolveNamespace } from '../../kube/connection.js';
import { currentRevision, readRevisionHistory } from '../../kube/history.js';
import { hashOf } from '../../kube/rollback-record.js';
import { missingWorkload } from '../../kube/workload.js';
import { type ClusterTarget, eachClusterService, modeResult } from './each-service.js';
import type { RollbackServiceInputs, RollbackServiceOutput } from './inputs.js';

/** One deployment's snapshot: the template it belongs to, each object copied, and the stale snapshots removed. */
export interface SnapshotResult {
  service: string;
  namespace: string;
  context?: string | undefined;
  status: 'snapshotted' | 'failed';
  'template-hash': string;
  objects: { kind: string; name: string; snapshot: string; status: SnapshotOutcome['status'] }[];
  pruned: string[];
  message: string;
}

async function snapshotService(client: KubeClient, namespace: string, service: string, signal: AbortSignal): Promise<SnapshotResult> {
  const base = { service, namespace, 'template-hash': '', objects: [], pruned: [] };
  const history = await readRevisionHistory(client, namespace, service, signal).catch(missingWorkload(service, namespace, 'services'));
  const live = currentRevision(history);
  if (!live) return { ...base, status: 'failed', message: 'its live template has no ReplicaSet yet (a rollout is starting): run again once it has one' };
  const hash = hashOf(live);
  const outcomes = await snapshotConfig(client, namespace, service, hash, referencedConfig(history.deployment.spec.template), signal);
  // snapshots of templates whose ReplicaSets revisionHistoryLimit pruned go with them
  const pruned = await pruneSnapshots(client, namespace, service, new Set(history.revisions.map(hashOf)), signal);
  const objects = outcomes.map((o) => ({ kind: o.ref.kind, name: o.ref.name, snapshot: o.snapshot, status: o.status }));
  const missing = objects.filter((o) => o.status === 'missing').map((o) => `${o.kind}/${o.name}`);
  const message = objects.length
    ? `${objects.filter((o) => o.status !== 'missing').length} object(s) stored for template ${hash}${missing.length ? `; referenced but missing: ${missing.join(', ')}` : ''}`
    : `its template reads no ConfigMap or Secret; nothing to store`;
  return { ...base, status: 'snapshotted', 'template-hash': hash, objects, pruned, message };
}

/**
 * mode: snapshot — before a deploy, the configuration of each deployment's live template is stored, so a later
 * rollback to that template brings it back. Writes only the snapshots (and removes stale ones); never a workload.
 */
export async function snapshotMain(
  inputs: RollbackServiceInputs,
  context: ActionContext,
  clusters: ClusterTarget[],
): Promise<ActionResult<RollbackServiceOutput>> {
  const namespace = resolveNamespace(inputs) ?? '';
  const results = await eachClusterService(
    { name: 'Snapshot', title: `Snapshot: the configuration of ${inputs.services.length} deployment(s) in ${namespace}` },
    inputs,
    context,
    clusters,
    (kube, service) => snapshotService(kube, namespace, service, context.clock.signal),
    (service, message): SnapshotResult => ({ service, namespace, status: 'failed', 'template-hash': '', objects: [], pruned: [], message }),
  );
  return modeResult('snapshot', results, snapshotSummary(results, namespace));
}

function snapshotSummary(results: SnapshotResult[], namespace: string): string {
  const failed = results.some((r) => r.status === 'failed');
  const rows = results.flatMap((r) =>
    r.objects.length
      ? r.objects.map((o) => [r.context ? `${r.service} (${r.context})` : r.service, r['template-hash'], `${o.kind}/${o.name}`, o.snapshot, o.status])
      : [[r.service, r['template-hash'], '—', '—', r.message]],
  );
  const pruned = results.flatMap((r) => r.pruned);
  return `${[
    `## ${failed ? '❌' : '📸'} Configuration snapshot in \`${namespace}\`: ${results.length} deployment(s)`,
    markdownTable(['Deployment', 'Template', 'Object', 'Snapshot', 'Status'], rows),
    ...(pruned.length ? [`Removed with their pruned ReplicaSets: ${pruned.join(', ')}`] : []),
  ].join('\n\n')}\n`;
}
