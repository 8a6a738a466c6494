import fs from 'node:fs';
import path from 'node:path';
import type { ActionContext, ActionResult } from '../../core/action.js';
import { formatDuration } from '../../core/durations.js';
import { ConfigurationError, StepFailure } from '../../core/errors.js';
import { tail } from '../../core/exec.js';
import { insideWorkspace } from '../../core/paths.js';
import { BackupError, dumpDatabase, formatOf, verifyBackup, type Backup } from '../../database/backup.js';
import { connectionInfo, libpqEnvironment, selectOne, tableCounts, withClient, type TableCounts } from '../../database/postgres.js';
import { uploadBackupArtifact } from './artifact.js';
import type { RollbackDatabaseInputs } from './inputs.js';
import { PhaseLog } from './phases.js';
import { restoreAndProve } from './restore-flow.js';
import { databaseSummary } from './summary.js';
import { restoreSqlServer } from './sqlserver-flow.js';
import { migrationTool } from './tools.js';

export async function main(inputs: RollbackDatabaseInputs, context: ActionContext): Promise<ActionResult> {
  if (inputs.engine === 'sqlserver') return restoreSqlServer(inputs, context);
  const { log } = context;
  const deadline = Date.now() + inputs.timeout;
  const connection = connectionInfo(inputs['database-url']);
  context.secrets.add(connection.password);
  const workingDirectory = inputs.tool === 'none' ? context.workspace : insideWorkspace(context.workspace, inputs['working-directory'], 'working-directory');
  const restoreFrom = inputs['restore-from'] ? path.resolve(context.workspace, inputs['restore-from']) : undefined;
  if (restoreFrom && !fs.existsSync(restoreFrom)) throw new ConfigurationError(`${restoreFrom} does not exist: give the path of a pg_dump archive (file or directory)`, 'restore-from');
  const tool = migrationTool(inputs, workingDirectory, connection, log);
  const phases = new PhaseLog(log);
  const libpq = libpqEnvironment(connection, context.tempDir);
  try {
    const before = await phases.run('Connect', async () => {
      const counts = await withClient(inputs['database-url'], async (client) => {
        await selectOne(client);
        return tableCounts(client);
      });
      const revision = tool ? await tool.current() : 'n/a';
      return { value: { counts, revision }, detail: `SELECT 1 ok; ${Object.keys(counts).length} tables; revision ${revision}` };
    });
    const restoreContext = { databaseUrl: inputs['database-url'], connection, env: libpq.env, jobs: inputs.jobs, deadline, log, phases, tool };
    const finish = (title: string, ok: boolean, toRevision: string, backup: Backup | undefined, after: TableCounts | undefined, restored: boolean, extra: { failure?: string; preview?: string; artifact?: string } = {}): ActionResult => {
      const result = { tool: inputs.tool, 'from-revision': before.revision, 'to-revision': toRevision, restored, backup: backup ? { path: backup.path, bytes: backup.bytes, format: backup.format, ...(extra.artifact ? { artifact: extra.artifact } : {}) } : null, phases: phases.phases, tables: { before: before.counts, after: after ?? null } };
      return {
        outputs: { 'backup-path': backup?.path ?? '', 'backup-bytes': String(backup?.bytes ?? 0), 'from-revision': before.revision, 'to-revision': toRevision, restored: String(restored), result: JSON.stringify(result) },
        summary: databaseSummary({ title, ok, fromRevision: before.revision, toRevision, backup: backup ? { path: backup.path, bytes: backup.bytes, ...(extra.artifact ? { artifact: extra.artifact } : {}) } : undefined, phases: phases.phases, tablesBefore: before.counts, tablesAfter: after, ...(extra.preview !== undefined ? { preview: extra.preview } : {}) }),
        ...(extra.failure ? { failure: extra.failure } : {}),
      };
    };

    if (restoreFrom) {
      const archive = await phases.run('Verify archive', async () => {
        let backup: Backup;
        try {
          backup = await verifyBackup(restoreFrom, formatOf(restoreFrom), {}, log);
        } catch (error) {
          throw new ConfigurationError(`${restoreFrom} is not a readable pg_dump archive (${error instanceof Error ? error.message : String(error)})`, 'restore-from');
        }
        return { value: backup, detail: `pg_restore --list reads it (${backup.bytes} bytes)` };
      });
      if (inputs['dry-run']) return finish('Database restore (dry run)', true, before.revision, archive, undefined, false, { preview: `pg_restore --clean --if-exists --jobs=${inputs.jobs} ${restoreFrom}` });
      const after = await restoreAndProve(archive, undefined, restoreContext, null);
      const revision = tool ? await tool.current() : 'n/a';
      return finish(`Database restored from ${path.basename(restoreFrom)}`, true, revision, archive, after, true);
    }

    if (!tool) {
      const backup = inputs.backup ? await takeBackup() : undefined;
      return finish('Database backup', true, before.revision, backup, undefined, false, await artifactOf(backup));
    }
    const target = await phases.run('Resolve target', async () => {
      const resolved = await tool.resolveTarget(inputs.target ?? '', before.revision);
      return { value: resolved, detail: `${inputs.target} → ${resolved}` };
    });
    if (target === before.revision) return finish('Database rollback: already at the target', true, target, undefined, undefined, false);
    if (inputs['dry-run']) {
      const preview = await phases.run('Preview', async () => ({ value: await tool.preview(before.revision, target), detail: `${tool.name} ${before.revision} → ${target}, nothing executed` }));
      log.info(preview);
      return finish(`Database rollback (dry run): ${before.revision} → ${target}`, true, before.revision, undefined, undefined, false, { preview });
    }

    let backup: Backup | undefined;
    if (inputs.backup) backup = await takeBackup();
    else phases.skip('Backup', 'backup: false with i-accept-data-loss: true');
    const artifact = await artifactOf(backup);

    const failure = await runDowngrade(target);
    if (!failure) {
      return finish(`Database rolled back: ${before.revision} → ${target}`, true, target, backup, undefined, false, artifact);
    }
    if (!backup || !inputs['restore-on-failure']) {
      const why = backup ? 'restore-on-failure is false' : 'no backup was taken';
      return finish('Database rollback failed', false, await currentOr(before.revision), backup, undefined, false, { ...artifact, failure: `the downgrade failed (${failure}) and the database was NOT restored (${why})${backup ? `; backup at ${backup.path}` : ''}` });
    }
    const after = await restoreAndProve(backup, before.revision, restoreContext, backup.tables);
    return finish('Database rollback failed; restored from the backup', false, before.revision, backup, after, true, {
      ...artifact,
      failure: `the downgrade to ${target} failed (${failure}); the database was restored to revision ${before.revision} from ${backup.path} and verified (${Object.keys(after).length} tables, row counts equal)`,
    });

    async function takeBackup(): Promise<Backup> {
      return phases.run('Backup', async () => {
        try {
          const file = await dumpDatabase({ dir: inputs['backup-dir'] ?? path.join(context.tempDir, 'keiko-rollback'), database: connection.database, format: inputs['backup-format'], jobs: inputs.jobs, env: libpq.env, timeoutMs: Math.max(1000, deadline - Date.now()), log });
          const verified = await verifyBackup(file, inputs['backup-format'], before.counts, log);
          return { value: verified, detail: `${inputs['backup-format']} format, ${verified.bytes} bytes, TABLE DATA present for every table with rows` };
        } catch (error) {
          if (error instanceof BackupError) throw new StepFailure('Backup', `${error.message}; nothing was changed in the database`);
          throw error;
        }
      });
    }

    async function artifactOf(taken: Backup | undefined): Promise<{ artifact?: string }> {
      if (!taken || !inputs['upload-artifact']) return {};
      const name = await uploadBackupArtifact(taken.path, inputs['artifact-retention-days'], context, phases);
      return name ? { artifact: name } : {};
    }

    async function currentOr(fallback: string): Promise<string> {
      return tool ? tool.current().catch(() => fallback) : fallback;
    }

    /** Returns why the downgrade failed, or undefined when the database is at the target. */
    async function runDowngrade(resolved: string): Promise<string | undefined> {
      try {
        return await phases.run(`Downgrade (${tool!.name})`, async () => {
          const run = await tool!.downgrade(resolved, before.revision, Math.max(1000, deadline - Date.now()));
          if (run.timedOut) throw new Error(`timed out after ${formatDuration(inputs.timeout)}`);
          if (run.exitCode !== 0) throw new Error(`${tool!.name} exited ${run.exitCode}: ${tail(run.stderr || run.stdout)}`);
          const now = await tool!.current();
          if (now !== resolved) throw new Error(`revision after the downgrade is ${now}, not ${resolved}`);
          return { value: undefined, detail: `${before.revision} → ${now}` };
        });
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
    }
  } finally {
    libpq.dispose();
  }
}
