import { formatDuration } from '../../core/durations.js';
import type { PhaseRecord } from '../../core/phase-log.js';
import { details, markdownTable } from '../../core/summary.js';
import { lossTotal } from '../../database/data-loss.js';
import type { TableComparison } from '../../database/fingerprint.js';
import { type DatabasePlan, lossRows } from '../../database/plan.js';
import type { TableCounts } from '../../database/postgres.js';

const ICON = { ok: '✅', failed: '❌', skipped: '➖' } as const;

export type DatabaseStatus = 'rolled-back' | 'restored' | 'unchanged' | 'backed-up' | 'dry-run' | 'failed';

export interface BackupNote {
  path: string;
  bytes: number;
}

export interface DatabaseReport {
  title: string;
  ok: boolean;
  status: DatabaseStatus;
  fromRevision: string;
  toRevision: string;
  plan?: DatabasePlan | undefined;
  backup?: BackupNote | undefined;
  safetyBackup?: BackupNote | undefined;
  artifact?: { name: string; repository: string; days: number } | undefined;
  phases: PhaseRecord[];
  tablesBefore?: TableCounts | undefined;
  tablesAfter?: TableCounts | undefined;
  comparison?: TableComparison[] | undefined;
  preview?: string | undefined;
  notes?: string[];
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

function lossSection(plan: DatabasePlan | undefined): string[] {
  if (plan?.operation !== 'downgrade' || plan['data-loss'].length === 0) return [];
  const total = lossTotal(plan['data-loss']);
  const unknown = plan['data-loss'].some((l) => l.rows === null);
  const headline = `### ${total > 0 || unknown ? '⚠️' : 'ℹ️'} Data this downgrade removes: ${total} row(s)/value(s)${unknown ? ', and statements whose effect cannot be estimated' : ''}`;
  return [headline, '', markdownTable(['Migration', 'Statement', 'Table / column', 'Rows', 'Note'], lossRows(plan['data-loss'])), ''];
}

function comparisonSection(comparison: TableComparison[] | undefined): string[] {
  if (!comparison?.length) return [];
  const rows = comparison.map((c) => [
    c.table,
    String(c.rowsBefore ?? '—'),
    String(c.rowsAfter ?? '—'),
    c.checksum === 'not compared' ? 'not compared' : `${c.checksum} (${c.scope})`,
    c.columns,
    c.indexes,
    c.equal ? '✅' : '❌',
  ]);
  const equal = comparison.every((c) => c.equal);
  return [
    '',
    `### ${equal ? '✅' : '❌'} Restored database compared with the backup`,
    '',
    markdownTable(['Table', 'Rows expected', 'Rows now', 'Checksum', 'Columns', 'Indexes', 'Equal'], rows),
  ];
}

export function databaseSummary(report: DatabaseReport): string {
  const lines = [
    `## ${report.ok ? '✅' : '❌'} ${report.title}`,
    '',
    `**Status:** \`${report.status}\` · **Revision:** \`${report.fromRevision}\` → \`${report.toRevision}\``,
    '',
    ...lossSection(report.plan),
  ];
  for (const note of report.notes ?? []) lines.push(`> ${note}`, '');
  if (report.backup) lines.push(`**Backup:** \`${report.backup.path}\` (${formatBytes(report.backup.bytes)})  `);
  if (report.safetyBackup)
    lines.push(`**Safety backup of what was overwritten:** \`${report.safetyBackup.path}\` (${formatBytes(report.safetyBackup.bytes)})  `);
  if (report.artifact) {
    lines.push(
      `⚠️ **Artifact \`${report.artifact.name}\` holds production data**: everyone with read access to ${report.artifact.repository} can download it for ${report.artifact.days} day(s). Delete it when the incident is over.`,
    );
  }
  lines.push(
    '',
    markdownTable(
      ['Phase', 'Status', 'Time', 'Detail'],
      report.phases.map((p) => [p.phase, `${ICON[p.status]} ${p.status}`, formatDuration(p['duration-ms']), p.detail]),
    ),
  );
  lines.push(...comparisonSection(report.comparison));
  if (report.plan?.operation === 'downgrade' && report.plan.migrations.length) {
    lines.push(
      '',
      details(
        'Migrations run down',
        markdownTable(
          ['Migration', 'Description'],
          report.plan.migrations.map((m) => [m.id, m.description]),
        ),
      ),
    );
  }
  const names = [...new Set([...Object.keys(report.tablesBefore ?? {}), ...Object.keys(report.tablesAfter ?? {})])].sort();
  if (names.length && !report.comparison?.length) {
    const rows = names.map((n) => [n, String(report.tablesBefore?.[n] ?? '—'), report.tablesAfter ? String(report.tablesAfter[n] ?? '—') : '']);
    lines.push('', details('Table row counts (before → after)', markdownTable(['Table', 'Before', 'After'], rows)));
  }
  if (report.preview !== undefined) lines.push('', details('SQL / steps that would run', `\`\`\`sql\n${report.preview.trim() || '(nothing)'}\n\`\`\``));
  return `${lines.join('\n')}\n`;
}
