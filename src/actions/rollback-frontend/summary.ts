import { formatDuration } from '../../core/durations.js';
import { markdownTable } from '../../core/summary.js';
import type { VercelDeployment } from '../../vercel/types.js';

export interface FrontendReport {
  title: string;
  ok: boolean;
  mode: string;
  status: string;
  current: VercelDeployment;
  target: VercelDeployment;
  aliasJob: { status: string; ms: number } | undefined;
  pinned: boolean;
  failedAliases: string[];
}

function row(label: string, d: VercelDeployment): string[] {
  return [
    label,
    d.id,
    `https://${d.url}`,
    new Date(d.createdAt).toISOString().replace('.000Z', 'Z'),
    `${d.meta?.githubCommitRef ?? ''} ${d.meta?.githubCommitSha?.slice(0, 7) ?? ''}`.trim(),
  ];
}

export function frontendSummary(r: FrontendReport): string {
  const lines = [
    `## ${r.ok ? '✅' : '❌'} ${r.title}`,
    '',
    markdownTable(['', 'Deployment', 'URL', 'Created', 'Commit'], [row('Before', r.current), row('After', r.target)]),
    '',
  ];
  lines.push(`**Status:** ${r.status}${r.aliasJob ? ` · alias job \`${r.aliasJob.status}\` in ${formatDuration(r.aliasJob.ms)}` : ''}`);
  if (r.failedAliases.length) lines.push('', `**Aliases that failed to move:** ${r.failedAliases.join(', ')}`);
  if (r.pinned) {
    lines.push(
      '',
      '> ⚠️ **Production is pinned.** After a rollback Vercel stops assigning the production domains to new deployments, so your next deploy will build but **not go live**. When the fix is deployed, run this action with `mode: undo-rollback` (or `vercel promote <deployment>`) to re-enable automatic domain assignment.',
    );
  }
  return `${lines.join('\n')}\n`;
}
