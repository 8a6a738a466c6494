import type { ActionResult } from '../../core/action.js';
import type { Backup } from '../../database/backup.js';
import { countsOf, type TableComparison } from '../../database/fingerprint.js';
import type { DatabasePlan } from '../../database/plan.js';
import type { TableCounts } from '../../database/postgres.js';
import type { RollbackDatabaseOutput } from './inputs.js';
import type { DatabaseRun } from './run.js';
import { type DatabaseStatus, databaseSummary } from './summary.js';

/** What a run did, in the terms of its outputs and summary. */
export interface DatabaseOutcome {
  status: DatabaseStatus;
  title: string;
  toRevision: string;
  plan?: DatabasePlan | undefined;
  backup?: (Pick<Backup, 'path' | 'bytes' | 'format'> & { fingerprint?: Backup['fingerprint'] }) | undefined;
  safetyBackup?: Backup | undefined;
  artifact?: string | undefined;
  restored?: boolean;
  tablesAfter?: TableCounts | undefined;
  comparison?: TableComparison[] | undefined;
  preview?: string | undefined;
  notes?: string[];
  failure?: string | undefined;
}

export function finish(run: DatabaseRun, outcome: DatabaseOutcome): ActionResult<RollbackDatabaseOutput> {
  const ok = outcome.status !== 'failed';
  const before = outcome.safetyBackup?.fingerprint ?? outcome.backup?.fingerprint;
  const tablesBefore = before ? countsOf(before) : undefined;
  const backup = outcome.backup
    ? { path: outcome.backup.path, bytes: outcome.backup.bytes, format: outcome.backup.format, ...(outcome.artifact ? { artifact: outcome.artifact } : {}) }
    : null;
  const result = {
    status: outcome.status,
    tool: run.inputs.tool,
    'from-revision': run.revision,
    'to-revision': outcome.toRevision,
    restored: outcome.restored ?? false,
    backup,
    'safety-backup': outcome.safetyBackup ? { path: outcome.safetyBackup.path, bytes: outcome.safetyBackup.bytes } : null,
    phases: run.phases.phases,
    tables: { before: tablesBefore ?? null, after: outcome.tablesAfter ?? null },
    comparison: outcome.comparison ?? null,
  };
  const repository = run.context.env.GITHUB_REPOSITORY ?? 'this repository';
  return {
    outputs: {
      status: outcome.status,
      plan: outcome.plan ? JSON.stringify(outcome.plan) : '',
      'backup-path': outcome.backup?.path ?? '',
      'backup-bytes': String(outcome.backup?.bytes ?? 0),
      'safety-backup-path': outcome.safetyBackup?.path ?? '',
      'from-revision': run.revision,
      'to-revision': outcome.toRevision,
      restored: String(outcome.restored ?? false),
      result: JSON.stringify(result),
    },
    summary: databaseSummary({
      title: outcome.title,
      ok,
      status: outcome.status,
      fromRevision: run.revision,
      toRevision: outcome.toRevision,
      plan: outcome.plan,
      backup: outcome.backup,
      safetyBackup: outcome.safetyBackup,
      artifact: outcome.artifact ? { name: outcome.artifact, repository, days: run.inputs['artifact-retention-days'] } : undefined,
      phases: run.phases.phases,
      tablesBefore,
      tablesAfter: outcome.tablesAfter,
      comparison: outcome.comparison,
      preview: outcome.preview,
      notes: outcome.notes ?? [],
    }),
    ...(outcome.failure ? { failure: outcome.failure } : {}),
  };
}
