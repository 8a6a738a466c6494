import path from 'node:path';
import type { ActionContext } from '../../core/action.js';
import { formatDuration } from '../../core/durations.js';
import { ConfigurationError, describeError, StepFailure } from '../../core/errors.js';
import { insideWorkspace } from '../../core/paths.js';
import { PhaseLog } from '../../core/phase-log.js';
import { addUrlSecrets } from '../../core/secrets.js';
import { alembicTool } from '../../database/alembic.js';
import { type Backup, BackupError, takeBackup } from '../../database/backup.js';
import type { Fingerprint } from '../../database/fingerprint.js';
import { flywayTool } from '../../database/flyway.js';
import { alembicUrl, applicationName, connectionInfo, type LibpqSession, libpqSession } from '../../database/libpq.js';
import { describeSessions, isLockTimeout, startLockMonitor } from '../../database/locks.js';
import type { MigrationTool } from '../../database/migrations.js';
import { type DatabaseTarget, selectOne, withClient } from '../../database/postgres.js';
import type { RollbackDatabaseInputs } from './inputs.js';

/** Everything one rollback-database run shares between its phases. */
export interface DatabaseRun {
  inputs: RollbackDatabaseInputs;
  context: ActionContext;
  target: DatabaseTarget;
  libpq: LibpqSession;
  tool: MigrationTool | undefined;
  phases: PhaseLog;
  deadline: number;
  /** The revision before this run wrote anything ('n/a' with tool: none). */
  revision: string;
}

export function remaining(run: Pick<DatabaseRun, 'deadline'>): number {
  return Math.max(1000, run.deadline - Date.now());
}

function migrationTool(
  inputs: RollbackDatabaseInputs,
  target: DatabaseTarget,
  libpq: LibpqSession,
  workspace: string,
  log: ActionContext['log'],
): MigrationTool | undefined {
  if (inputs.tool === 'none') {
    if (inputs.target) throw new ConfigurationError('is set, but tool is none: choose tool: alembic or flyway to downgrade', 'target');
    return undefined;
  }
  const workingDirectory = insideWorkspace(workspace, inputs['working-directory'], 'working-directory');
  if (inputs.tool === 'alembic')
    return alembicTool({ workingDirectory, databaseUrl: alembicUrl(target.url, target.info, target.lockTimeoutMs), env: libpq.env, log });
  return flywayTool({ workingDirectory, connection: target.info, lockTimeoutMs: target.lockTimeoutMs, log });
}

/** What rollback-database talks to PostgreSQL through: the connection (node-postgres) and the libpq tools' session. */
export interface PostgresClients {
  target: DatabaseTarget;
  libpq: LibpqSession;
}

/** Parses the connection and masks its secrets; connects nothing yet. The caller disposes `libpq`. */
export function postgresClients(inputs: RollbackDatabaseInputs, context: ActionContext): PostgresClients {
  addUrlSecrets(context.secrets, inputs['database-url']);
  const info = connectionInfo(inputs['database-url']);
  context.secrets.add(info.password);
  const target: DatabaseTarget = { url: inputs['database-url'], info, lockTimeoutMs: inputs['lock-timeout'], deadline: context.clock.deadline };
  return { target, libpq: libpqSession(info, context.tempDir, inputs['lock-timeout']) };
}

/** Connects once (SELECT 1) and reads the live revision. */
export async function openRun(inputs: RollbackDatabaseInputs, context: ActionContext, { target, libpq }: PostgresClients): Promise<DatabaseRun> {
  const { info } = target;
  const run: DatabaseRun = {
    inputs,
    context,
    target,
    libpq,
    tool: undefined,
    phases: new PhaseLog(context.log),
    deadline: context.clock.deadline,
    revision: 'n/a',
  };
  run.tool = migrationTool(inputs, target, libpq, context.workspace, context.log);
  run.revision = await run.phases.run('Connect', async () => {
    await withClient(target, selectOne);
    const revision = run.tool ? await run.tool.current() : 'n/a';
    return {
      value: revision,
      detail: `SELECT 1 ok on ${info.database} (${info.host}:${info.port}${info.params.sslmode ? `, sslmode=${info.params.sslmode}` : ''}); revision ${revision}`,
    };
  });
  return run;
}

export function backupDirectory(run: DatabaseRun): string {
  return run.inputs['backup-dir'] ? path.resolve(run.context.workspace, run.inputs['backup-dir']) : path.join(run.context.tempDir, 'keiko-rollback');
}

/** A verified backup (read back whole) of the live database; `unchangedWhen` may skip it when the live content already is the goal. */
export async function backUp(run: DatabaseRun, phase: string, unchangedWhen?: (live: Fingerprint) => boolean): Promise<Backup | { skipped: Fingerprint }> {
  return run.phases.run<Backup | { skipped: Fingerprint }>(phase, async () => {
    try {
      const taken = await watchingLocks(run, phase, () =>
        takeBackup({
          target: run.target,
          libpq: run.libpq,
          dir: backupDirectory(run),
          format: run.inputs['backup-format'],
          jobs: run.inputs.jobs,
          revision: run.revision,
          timeoutMs: remaining(run),
          log: run.context.log,
          ...(unchangedWhen ? { shouldDump: (live: Fingerprint) => !unchangedWhen(live) } : {}),
        }),
      );
      if ('skipped' in taken) return { value: taken, detail: "not needed: the database already holds exactly the archive's content" };
      const tables = Object.keys(taken.fingerprint).length;
      return {
        value: taken,
        detail: `${taken.format} format, ${taken.bytes} bytes, read back whole: data of all ${tables} tables complete; 0600 in ${path.dirname(taken.path)}`,
      };
    } catch (error) {
      if (error instanceof BackupError || error instanceof StepFailure)
        throw new StepFailure(phase, `${error.message}; nothing was changed in the database`, { cause: error });
      throw error;
    }
  });
}

/**
 * Runs a step that may wait for locks with the lock monitor beside it: holders are named before it
 * starts and blockers every 5 s while it waits; a lock timeout names who held the lock.
 */
export async function watchingLocks<T>(run: DatabaseRun, step: string, body: () => Promise<T>): Promise<T> {
  const monitor = await startLockMonitor(run.target, applicationName(run.target.info), step, run.context.log);
  try {
    return await body();
  } catch (error) {
    const message = describeError(error);
    if (!isLockTimeout(message) && monitor.timedOutOn.length === 0) throw error;
    const holders = monitor.timedOutOn.length ? monitor.timedOutOn : await monitor.holders().catch(() => []);
    const who = holders.length ? `sessions holding locks now: ${describeSessions(holders)}` : 'the session that held it has let go since';
    throw new StepFailure(
      step,
      `gave up waiting for a lock after lock-timeout (${formatDuration(run.target.lockTimeoutMs)}; ${message.slice(0, 200)}); ${who}`,
      { cause: error },
    );
  } finally {
    await monitor.stop();
  }
}
