import { formatDuration } from '../../core/durations.js';
import { details, markdownTable } from '../../core/summary.js';
import type { ServiceResult, ServiceStatus } from './execute.js';
import type { ServicePlan } from './plan.js';

const ICONS: Record<ServiceStatus, string> = { 'rolled-back': '✅', unchanged: '➖', planned: '📝', failed: '❌', skipped: '⏭️', cancelled: '🛑' };

export function age(timestamp: string | undefined, now = Date.now()): string {
  const t = Date.parse(timestamp ?? '');
  if (Number.isNaN(t)) return '?';
  const seconds = Math.max(0, Math.round((now - t) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

function headline(results: ServiceResult[], namespace: string, dryRun: boolean): string {
  const count = (status: ServiceStatus): number => results.filter((r) => r.status === status).length;
  const failed = count('failed') + count('cancelled');
  const parts = dryRun
    ? [`${count('planned')} planned`, `${count('unchanged')} unchanged`]
    : [
        `${count('rolled-back')} rolled back`,
        `${count('unchanged')} unchanged`,
        `${failed} failed`,
        ...(count('skipped') ? [`${count('skipped')} skipped`] : []),
        ...(count('cancelled') ? [`${count('cancelled')} cancelled`] : []),
      ];
  return `## ${failed ? '❌' : '✅'} Service rollback${dryRun ? ' (dry run)' : ''} in \`${namespace}\`: ${parts.join(', ')}`;
}

function historyTable(plan: ServicePlan): string {
  const rows = [...plan.history.revisions]
    .reverse()
    .map((r) => [
      `${r.revision}${r.revision === plan.entry.from?.revision ? ' (live)' : ''}${r.revision === plan.entry.to.revision ? ' (target)' : ''}`,
      r.images.join(', '),
      r.changeCause ?? '',
      age(r.createdAt),
    ]);
  return details(`Revision history of ${plan.service}`, markdownTable(['Revision', 'Images', 'Change-cause', 'Age'], rows));
}

export function rollbackSummary(results: ServiceResult[], plans: ServicePlan[], namespace: string, dryRun: boolean): string {
  const rows = results.map((r) => [
    r.service,
    `${ICONS[r.status]} ${r.status}`,
    `${r['from-version']} → ${r['to-version']}`,
    `${r['from-revision'] ?? '?'} → ${r['to-revision'] ?? '?'}`,
    r['from-images'].join(', ') === r['to-images'].join(', ') ? r['to-images'].join(', ') : `${r['from-images'].join(', ')} → ${r['to-images'].join(', ')}`,
    formatDuration(r['duration-ms']),
    r.message,
  ]);
  const table = markdownTable(['Service', 'Status', 'Version', 'Revision', 'Images', 'Duration', 'Details'], rows);
  return `${[headline(results, namespace, dryRun), table, ...plans.flatMap(configSection), ...results.flatMap(failureMap), ...plans.map(historyTable)].join('\n\n')}\n`;
}

/** For a failed service: what is live (each ReplicaSet with pods) and the next steps, as commands. */
function failureMap(result: ServiceResult): string[] {
  if (!result.live) return [];
  const rows = result.live.map((r) => [`${r.revision}${r.current ? ' (current template)' : ''}`, r.version, `${r.ready}/${r.desired}`]);
  const next = (result.next ?? []).map((n) => `- ${n}`).join('\n');
  return [`### ❌ ${result.service}: what is live now\n\n${markdownTable(['Revision', 'Version', 'Ready/desired'], rows)}\n\n**Next steps:**\n${next}`];
}

export interface ClusterOutcome {
  context: string;
  namespace: string;
  results: ServiceResult[];
  plans: ServicePlan[];
  unplanned: string | undefined;
}

/** Several clusters: one line per cluster at the top, then each cluster's own summary under its name. */
export function clustersSummary(clusters: ClusterOutcome[], dryRun: boolean): string {
  const failedIn = (c: ClusterOutcome): boolean => c.results.some((r) => r.status === 'failed' || r.status === 'cancelled');
  const anyFailed = clusters.some(failedIn);
  const rows = clusters.map((c) => [
    `\`${c.context}\``,
    failedIn(c) ? '❌' : '✅',
    c.unplanned ??
      `${c.results.filter((r) => r.status === (dryRun ? 'planned' : 'rolled-back')).length} ${dryRun ? 'planned' : 'rolled back'}, ${c.results.filter((r) => r.status === 'unchanged').length} unchanged, ${c.results.filter((r) => r.status === 'failed' || r.status === 'cancelled').length} failed`,
  ]);
  const head = `## ${anyFailed ? '❌' : '✅'} Service rollback${dryRun ? ' (dry run)' : ''} in ${clusters.length} clusters\n\n${markdownTable(['Cluster', '', 'Outcome'], rows)}`;
  const parts = clusters.map((c) => `### Cluster \`${c.context}\`\n\n${rollbackSummary(c.results, c.plans, c.namespace, dryRun).replace(/^## /, '#### ')}`);
  return `${[head, ...parts].join('\n\n')}\n`;
}

/** What the rollback does to a service's configuration: the keys a snapshot restores (a Secret's values as a hash only), or that it is not rolled back. */
function configSection(plan: ServicePlan): string[] {
  const config = plan.entry.config;
  if (!config) return [];
  if (!config.snapshot)
    return [
      `⚠️ **${plan.service}: configuration is not rolled back** (no snapshot of the target's template; take them with \`mode: snapshot\` before each deploy)${config['changed-since'].length ? `. Changed since the target revision was made: ${config['changed-since'].join(', ')}` : ''}`,
    ];
  if (config.restore.length === 0) return [`${plan.service}: the snapshot of the target's configuration matches what is live; nothing to restore.`];
  const rows = config.restore.flatMap((r) => r.keys.map((k) => [`${r.kind}/${r.name}`, k.key, k.from, k.to]));
  return [`**${plan.service}: configuration its snapshot restores before the template**\n\n${markdownTable(['Object', 'Key', 'Live', 'Restored'], rows)}`];
}
