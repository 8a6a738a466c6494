import { z } from 'zod';
import { booleanInput, durationInput, enumInput, integerInput, optionalPatternInput, optionalString, planInput } from '../../core/inputs.js';
import { urlProblem } from '../../core/url-inputs.js';
import { parsePlan } from '../../database/plan.js';

const SAFE_TARGET = /^(?:-[1-9]\d{0,5}|base|[A-Za-z0-9_.]{1,64})$/;
const REVISION = /^[A-Za-z0-9_.]{1,64}$/;

export const rollbackDatabaseSchema = z
  .object({
    'database-url': z
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
    engine: enumInput(['postgres', 'sqlserver'] as const, 'postgres'),
    tool: enumInput(['alembic', 'flyway', 'none'] as const, 'alembic'),
    target: optionalPatternInput(SAFE_TARGET, (text) => `must be a revision id, -N or base (letters, digits, '_' and '.'), got "${text}"`),
    'working-directory': z
      .string()
      .optional()
      .transform((v) => v?.trim() || '.'),
    backup: booleanInput(true),
    'i-accept-data-loss': booleanInput(false),
    'backup-format': enumInput(['custom', 'directory'] as const, 'custom'),
    'backup-dir': optionalString(),
    jobs: integerInput(1, 1, 64),
    'restore-on-failure': booleanInput(true),
    'restore-from': optionalString(),
    plan: planInput(parsePlan),
    'expect-revision': optionalPatternInput(
      REVISION,
      (text) => `must be the revision id or version the database must be at (letters, digits, '_' and '.'), got "${text}"`,
    ),
    'lock-timeout': durationInput('2m'),
    'upload-artifact': booleanInput(false),
    'artifact-retention-days': integerInput(1, 1, 90),
    'dry-run': booleanInput(false),
    timeout: durationInput('30m'),
  })
  .superRefine((inputs, ctx) => {
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
