import type { ActionResult } from '../../core/action.js';
import { formatDuration } from '../../core/durations.js';
import { ConfigurationError, describeError } from '../../core/errors.js';
import { tail } from '../../core/exec.js';
import type { Backup } from '../../database/backup.js';
import { estimateLoss, lossStatements, lossTotal } from '../../database/data-loss.js';
import { compareFingerprints, countsOf, differences, fingerprint } from '../../database/fingerprint.js';
import { lockTimeoutLine } from '../../database/locks.js';
import type { MigrationTool } from '../../database/migrations.js';
import { type DowngradePlan, decideDowngrade, foreignPlanProblem, identityOf, PLAN_KIND, PLAN_VERSION } from '../../database/plan.js';
import { withClient } from '../../database/postgres.js';
import { manualRestoreCommand } from '../../database/restore.js';
import { uploadBackupArtifact } from './artifact.js';
import type { RollbackDatabaseOutput } from './inputs.js';
import { finish } from './outcome.js';
import { restoreAndProve } from './restore-flow.js';
import { backUp, type DatabaseRun, remaining, watchingLocks } from './run.js';

/** Resolves `target` against the live database into an absolute plan: migrations, their SQL, the data each removes. */
async function makePlan(run: DatabaseRun, tool: MigrationTool, target: string): Promise<{ plan: DowngradePlan; sql: string }> {
  return run.phases.run('Plan', async () => {
    const to = await tool.resolveTarget(target, run.revision);
    const migrations = to === run.revision ? [] : await tool.migrationsDown(run.revision, to);
    const unseen = migrations
      .filter((m) => m.sql === undefined)
      .map((m) => ({ migration: m.id, statement: 'UNKNOWN' as const, table: '—', sql: m.sqlProblem ?? 'no SQL shown' }));
    const statements = [...migrations.flatMap((m) => lossStatements(m.id, m.sql ?? '')), ...unseen];
    const losses = statements.length ? await withClient(run.target, (client) => estimateLoss(client, statements)) : [];
    const plan: DowngradePlan = {
      version: PLAN_VERSION,
      kind: PLAN_KIND,
      operation: 'downgrade',
      engine: 'postgres',
      tool: tool.name,
      database: identityOf(run.target.info),
      'from-revision': run.revision,
      'to-revision': to,
      migrations: migrations.map((m) => ({ id: m.id, description: m.description })),
      'data-loss': losses,
      'created-at': new Date().toISOString(),
    };
    const total = lossTotal(losses);
    const unknown = losses.filter((l) => l.rows === null).length;
    if (total > 0)
      run.context.log.warning(
        `The downgrade ${run.revision} → ${to} removes data: ${losses.map((l) => `${l.statement} ${l.column ? `${l.table}.${l.column}` : l.table} (${l.statement === 'DROP COLUMN' ? `${l.values ?? 0} values` : `${l.rows ?? '?'} rows`})`).join(', ')}`,
      );
    if (unknown > 0)
      run.context.log.warning(
        `${unknown} statement(s) of the downgrade remove data in a way that cannot be estimated: ${losses
          .filter((l) => l.rows === null)
          .map((l) => l.note)
          .join('; ')}`,
      );
    const sql = migrations.map((m) => `-- ${m.id}: ${m.description}\n${(m.sql ?? `-- (${m.sqlProblem ?? 'no SQL shown by the tool'})`).trim()}`).join('\n\n');
    const noted = unseen.map((m) => m.migration);
    return {
      value: { plan, sql },
      detail: `${target} → ${to}: ${migrations.length} migration(s) down${losses.length ? `, removes ${total} row(s)/value(s)${unknown ? ` + ${unknown} not estimated` : ''}` : ', no data removed'}${noted.length ? `; no SQL shown for ${noted.join(', ')}` : ''}`,
    };
  });
}

/** The plan to converge to: the given one checked against the live revision, or a new one from `target`. */
async function planFor(run: DatabaseRun, tool: MigrationTool): Promise<{ plan: DowngradePlan; sql?: string } | 'unchanged'> {
  const given = run.inputs.plan;
  if (given?.operation !== 'downgrade') return makePlan(run, tool, run.inputs.target ?? '');
  const foreign = foreignPlanProblem(given, run.target.info, tool.name);
  if (foreign) throw new ConfigurationError(`${foreign}: nothing was written`, 'plan');
  const decision = decideDowngrade(given, run.revision);
  if (decision.action === 'refuse') throw new ConfigurationError(decision.message, 'plan');
  run.phases.skip(
    'Plan',
    `given: ${given['from-revision']} → ${given['to-revision']} (made ${given['created-at']})${decision.action === 'unchanged' ? '; the database is already at its target' : ''}`,
  );
  return decision.action === 'unchanged' ? 'unchanged' : { plan: given };
}

/** Runs the tool down to the plan's target; returns why it failed, or undefined when the database is there. */
async function runDowngrade(run: DatabaseRun, tool: MigrationTool, to: string): Promise<string | undefined> {
  const phase = `Downgrade (${tool.name})`;
  try {
    return await run.phases.run(phase, async () => {
      const result = await watchingLocks(run, phase, async () => {
        const done = await tool.downgrade(to, run.revision, remaining(run));
        if (done.timedOut) throw new Error(`timed out after ${formatDuration(run.inputs.timeout)}`);
        if (done.exitCode !== 0) throw new Error(`${tool.name} exited ${done.exitCode}: ${lockTimeoutLine(done.stderr) ?? tail(done.stderr || done.stdout)}`);
        return done;
      });
      const now = await tool.current();
      if (now !== to) throw new Error(`revision after the downgrade is ${now}, not ${to} (${tail(result.stdout)})`);
      return { value: undefined, detail: `${run.revision} → ${now}` };
    });
  } catch (error) {
    return describeError(error);
  }
}

export async function downgrade(run: DatabaseRun, tool: MigrationTool): Promise<ActionResult<RollbackDatabaseOutput>> {
  const expect = run.inputs['expect-revision'];
  if (expect !== undefined && expect !== run.revision) {
    throw new ConfigurationError(
      `is ${expect}, but the database is at ${run.revision}: nothing was written. Check what migrated it, then make a new plan`,
      'expect-revision',
    );
  }
  const planned = await planFor(run, tool);
  if (planned === 'unchanged' || planned.plan['to-revision'] === run.revision) {
    const plan = planned === 'unchanged' ? run.inputs.plan : planned.plan;
    return finish(run, { status: 'unchanged', title: `Database already at ${run.revision}: nothing written`, toRevision: run.revision, plan });
  }
  const { plan } = planned;
  const to = plan['to-revision'];
  if (run.inputs['dry-run']) {
    if (planned.sql) run.context.log.info(planned.sql);
    return finish(run, {
      status: 'dry-run',
      title: `Database rollback (dry run): ${run.revision} → ${to}`,
      toRevision: run.revision,
      plan,
      preview: planned.sql ?? '',
    });
  }
  let backup: Backup | undefined;
  if (run.inputs.backup) {
    const taken = await backUp(run, 'Backup');
    if (!('skipped' in taken)) backup = taken;
  } else run.phases.skip('Backup', 'backup: false with i-accept-data-loss: true');
  const artifact = backup ? await uploadBackupArtifact(run, backup.path) : undefined;
  const failure = await runDowngrade(run, tool, to);
  const base = { plan, backup, artifact };
  if (!failure) return finish(run, { ...base, status: 'rolled-back', title: `Database rolled back: ${run.revision} → ${to}`, toRevision: to });
  const now = await tool.current().catch(() => run.revision);
  if (!backup) {
    return finish(run, {
      ...base,
      status: 'failed',
      title: 'Database rollback failed',
      toRevision: now,
      failure: `the downgrade to ${to} failed (${failure}); no backup was taken, so the database was NOT restored: it is at revision ${now}`,
    });
  }
  const live = await withClient(run.target, fingerprint);
  const comparison = compareFingerprints(backup.fingerprint, live);
  if (now === run.revision && differences(comparison).length === 0) {
    return finish(run, {
      ...base,
      status: 'failed',
      title: 'Database rollback failed before changing anything',
      toRevision: now,
      comparison,
      failure: `the downgrade to ${to} failed (${failure}) before changing anything: the database equals the backup (rows, checksums, columns, indexes) and is still at ${now}; nothing to restore`,
    });
  }
  if (!run.inputs['restore-on-failure']) {
    return finish(run, {
      ...base,
      status: 'failed',
      title: 'Database rollback failed',
      toRevision: now,
      failure: `the downgrade failed (${failure}) and the database was NOT restored (restore-on-failure is false); it is at revision ${now}; backup at ${backup.path}`,
    });
  }
  const expected = { fingerprint: backup.fingerprint, rows: countsOf(backup.fingerprint), revision: run.revision };
  try {
    // a parallel restore that fails half-way is followed by the same archive in one transaction
    const proven = await restoreAndProve(run, backup.path, expected, run.inputs.jobs).catch((error: unknown) => {
      if (run.inputs.jobs === 1) throw error;
      return restoreAndProve(run, backup.path, expected, 1, 'Restore in one transaction');
    });
    return finish(run, {
      ...base,
      status: 'failed',
      title: 'Database rollback failed; restored from the backup',
      toRevision: run.revision,
      restored: true,
      tablesAfter: proven.counts,
      comparison: proven.comparison,
      failure: `the downgrade to ${to} failed (${failure}); the database was restored to revision ${run.revision} from ${backup.path} and verified (${proven.comparison.length} tables: rows, checksums, columns and indexes equal)`,
    });
  } catch (error) {
    const manual = manualRestoreCommand(backup.path, run.target.info);
    return finish(run, {
      ...base,
      status: 'failed',
      title: 'Database rollback failed and the restore failed',
      toRevision: await tool.current().catch(() => now),
      failure: `the downgrade to ${to} failed (${failure}), and the restore failed too: ${describeError(error)}. THE DATABASE MAY BE INCONSISTENT. The backup ${backup.path} holds it as it was; restore it by hand: ${manual}`,
    });
  }
}
