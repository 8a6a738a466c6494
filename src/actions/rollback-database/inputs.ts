import { z } from 'zod';
import { input, inputShape } from '../../core/input-table.js';
import { booleanInput, durationInput, enumInput, integerInput, optionalPatternInput, optionalString, planInput, requiredString } from '../../core/inputs.js';
import { urlProblem } from '../../core/url-inputs.js';
import { parsePlan } from '../../database/plan.js';

const SAFE_TARGET = /^(?:-[1-9]\d{0,5}|base|[A-Za-z0-9_.]{1,64})$/;
const REVISION = /^[A-Za-z0-9_.]{1,64}$/;

/** Every input of rollback-database, declared once. */
export const rollbackDatabaseInputs = {
  'database-url': input(
    z
      .string({ error: () => `is required: pass the PostgreSQL URL as a secret, e.g. \`database-url: ${'${{'} secrets.DATABASE_URL }}\`` })
      .transform((value, ctx) => {
        const problem = urlProblem(value.trim(), ['postgres:', 'postgresql:', 'sqlserver:', 'mssql:'], 'postgresql://app@db.internal:5432/keiko');
        if (!problem) return new URL(value.trim()).toString();
        ctx.addIssue({
          code: 'custom',
          message: problem.startsWith('has') ? problem : 'must be a postgres:// or postgresql:// URL such as postgresql://app@db.internal:5432/keiko',
        });
        return z.NEVER;
      }),
    {
      description: 'postgres:// or postgresql:// URL of the database; sqlserver://user:password@host:1433/db with engine: sqlserver (secret).',
      required: true,
      secret: true,
    },
  ),
  engine: input(enumInput(['postgres', 'sqlserver'] as const), {
    description: '`postgres`, or `sqlserver` (Azure SQL: restore a .sql backup from restore-from with sqlcmd).',
    default: 'postgres',
  }),
  tool: input(enumInput(['alembic', 'flyway', 'none'] as const), {
    description: '`alembic`, `flyway`, or `none` (backup and/or restore only).',
    default: 'alembic',
  }),
  target: input(
    optionalPatternInput(SAFE_TARGET, (text) => `must be a revision id, -N or base (letters, digits, '_' and '.'), got "${text}"`),
    {
      description:
        'Alembic: a revision id, `-N` or `base`. Flyway: a version, or `-N` for N undos. Resolved to an absolute revision in the `plan` output; automation passes that plan instead.',
    },
  ),
  plan: input(planInput(parsePlan), {
    description:
      'The `plan` output of an earlier run (e.g. the dry run people approved): executes exactly it. At its target: `unchanged`, nothing written; at its start: runs; anywhere else: refuses.',
  }),
  'expect-revision': input(
    optionalPatternInput(REVISION, (text) => `must be the revision id or version the database must be at (letters, digits, '_' and '.'), got "${text}"`),
    { description: 'Refuse (nothing written) unless the database is at exactly this revision or version now.' },
  ),
  'lock-timeout': input(durationInput(), {
    description:
      'Longest wait for any lock, in every step (our queries, pg_dump, the downgrade, the restore); past it the step fails naming the sessions that held the lock.',
    default: '2m',
  }),
  'working-directory': input(requiredString('write a folder inside the workspace, e.g. .'), {
    description: 'Where alembic.ini / flyway.conf live; must stay inside the workspace.',
    default: '.',
  }),
  backup: input(booleanInput(), { description: 'Take a verified backup first. `false` only together with `i-accept-data-loss: true`.', default: 'true' }),
  'i-accept-data-loss': input(booleanInput(), { description: 'Required to run with `backup: false`.', default: 'false' }),
  'backup-format': input(enumInput(['custom', 'directory'] as const), {
    description: '`custom` (one file) or `directory` (parallel dump and restore).',
    default: 'custom',
  }),
  'backup-dir': input(optionalString(), {
    description: 'Where backups are written, mode 0700/0600 (default: $RUNNER_TEMP/keiko-rollback; a world-writable folder gets a private subfolder).',
  }),
  jobs: input(integerInput(1, 64), {
    description:
      '1: every restore is one transaction (all or nothing). More: parallel pg_restore and directory dumps; a parallel restore that fails is undone from the safety backup.',
    default: '1',
  }),
  'restore-on-failure': input(booleanInput(), { description: 'Restore the backup when the downgrade fails.', default: 'true' }),
  'restore-from': input(optionalString(), {
    description: 'Path of an earlier backup: restore-only mode. The archive is read whole first, and the database is backed up before it is overwritten.',
  }),
  'upload-artifact': input(booleanInput(), {
    description: 'Also keep the backup as a workflow artifact. It holds production data that everyone with read access to the repository can download.',
    default: 'false',
  }),
  'artifact-retention-days': input(integerInput(1, 90), { description: 'Days the backup artifact is kept.', default: '1' }),
  'dry-run': input(booleanInput(), { description: 'Show the SQL that would run; change nothing, take no backup.', default: 'false' }),
  timeout: input(durationInput(), { description: 'Limit for the whole run.', default: '30m' }),
};

/** Every output of rollback-database, declared once. */
export const rollbackDatabaseOutputs = {
  status: '`rolled-back`, `restored`, `unchanged`, `backed-up`, `dry-run` or `failed`.',
  plan: 'JSON (`version` 1): from/to revision, the migrations run down, the data each removes; pass it as `plan` to execute exactly it.',
  'backup-path': 'Path of the backup taken (or restored from).',
  'safety-backup-path': 'Restore-only mode: the backup of the database taken just before it was overwritten.',
  'backup-bytes': 'Size of the backup in bytes.',
  'from-revision': 'Migration revision before.',
  'to-revision': 'Migration revision after.',
  restored: '`true` when the backup was restored.',
  result: 'JSON: status, phases with timings, table row counts, the restore comparison.',
};
export type RollbackDatabaseOutput = keyof typeof rollbackDatabaseOutputs;

export const rollbackDatabaseSchema = z.object(inputShape(rollbackDatabaseInputs)).superRefine((inputs, ctx) => {
  const sqlServerUrl = /^(sqlserver|mssql):/.test(inputs['database-url']);
  if (inputs.engine === 'postgres' && sqlServerUrl) {
    ctx.addIssue({ code: 'custom', path: ['database-url'], message: 'is a SQL Server URL: set engine: sqlserver, or pass a postgres:// URL' });
    return;
  }
  if (inputs.engine === 'sqlserver') {
    if (!sqlServerUrl)
      ctx.addIssue({
        code: 'custom',
        path: ['database-url'],
        message: 'must be sqlserver://app@sql.internal:1433/keiko (password in the URL) with engine: sqlserver',
      });
    else if (!inputs['restore-from'])
      ctx.addIssue({ code: 'custom', path: ['restore-from'], message: 'is required with engine: sqlserver: the .sql backup to restore with sqlcmd' });
    return;
  }
  const plan = inputs.plan;
  if (plan && inputs.target) {
    ctx.addIssue({ code: 'custom', path: ['target'], message: 'is set together with plan: a plan already names its target; pass one of them' });
    return;
  }
  if (plan?.operation === 'restore' && inputs['restore-from'] && inputs['restore-from'] !== plan.archive.path) {
    ctx.addIssue({
      code: 'custom',
      path: ['plan'],
      message: `restores ${plan.archive.path}, but restore-from is ${inputs['restore-from']}: pass one of them`,
    });
    return;
  }
  if (plan?.operation === 'downgrade' && inputs.tool !== plan.tool) {
    ctx.addIssue({ code: 'custom', path: ['plan'], message: `was made with tool: ${plan.tool}, but tool is ${inputs.tool}: set tool: ${plan.tool}` });
    return;
  }
  if (inputs.tool !== 'none' && !inputs.target && !inputs['restore-from'] && !plan) {
    ctx.addIssue({
      code: 'custom',
      path: ['target'],
      message: `is required with tool: ${inputs.tool}: a revision id, -1 for one step, or base (or pass the plan of a dry run in plan)`,
    });
  }
  if (!inputs.backup && !inputs['i-accept-data-loss']) {
    ctx.addIssue({
      code: 'custom',
      path: ['backup'],
      message: 'is false, which risks data loss: keep `backup: true`, or also set `i-accept-data-loss: true`',
    });
  }
});

export type RollbackDatabaseInputs = z.output<typeof rollbackDatabaseSchema>;
