import { formatDuration } from '../../core/durations.js';
import { details, markdownTable } from '../../core/summary.js';
import type { TableCounts } from '../../database/postgres.js';
import type { PhaseRecord } from './phases.js';

const ICON = { ok: '✅', failed: '❌', skipped: '➖' } as const;

export interface DatabaseReport {
  title: string;
  ok: boolean;
  fromRevision: string;
  toRevision: string;
  backup: { path: string; bytes: number; artifact?: string } | undefined;
  phases: PhaseRecord[];
  tablesBefore: TableCounts;
  tablesAfter: TableCounts | undefined;
  preview?: string;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

export function databaseSummary(report: DatabaseReport): string {
  const lines = [`## ${report.ok ? '✅' : '❌'} ${report.title}`, '', `**Revision:** \`${report.fromRevision}\` → \`${report.toRevision}\``];
  if (report.backup) {
    lines.push(`**Backup:** \`${report.backup.path}\` (${formatBytes(report.backup.bytes)})${report.backup.artifact ? `, artifact \`${report.backup.artifact}\`` : ''}`);
  }
  lines.push('', markdownTable(['Phase', 'Status', 'Time', 'Detail'], report.phases.map((p) => [p.phase, `${ICON[p.status]} ${p.status}`, formatDuration(p['duration-ms']), p.detail])));
  const names = [...new Set([...Object.keys(report.tablesBefore), ...Object.keys(report.tablesAfter ?? {})])].sort();
  if (names.length) {
    const rows = names.map((n) => [n, String(report.tablesBefore[n] ?? '—'), report.tablesAfter ? String(report.tablesAfter[n] ?? '—') : '']);
    lines.push('', details('Table row counts (before → after)', markdownTable(['Table', 'Before', 'After'], rows)));
  }
  if (report.preview !== undefined) lines.push('', details('SQL / steps that would run', `\`\`\`sql\n${report.preview.trim() || '(nothing)'}\n\`\`\``));
  return `${lines.join('\n')}\n`;
}
