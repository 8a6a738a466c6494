import path from 'node:path';
import type { ActionResult } from '../../core/action.js';
import { ConfigurationError, describeError, StepFailure } from '../../core/errors.js';
import { type ArchiveContent, ArchiveError, readWholeArchive } from '../../database/archive.js';
import type { Backup } from '../../database/backup.js';
import {
  compareCounts,
  compareFingerprints,
  countsOf,
  differences,
  type Fingerprint,
  fingerprint,
  type TableComparison,
  tablesNotInBackup,
} from '../../database/fingerprint.js';
import { identityOf, PLAN_KIND, PLAN_VERSION, type RestorePlan } from '../../database/plan.js';
import { quoteTable, type TableCounts, withClient } from '../../database/postgres.js';
import { manualRestoreCommand, restoreArchive, restoreMode } from '../../database/restore.js';
import { uploadBackupArtifact } from './artifact.js';
import type { RollbackDatabaseOutput } from './inputs.js';
import { finish } from './outcome.js';
import { backUp, type DatabaseRun, remaining, watchingLocks } from './run.js';

/** What a restored database must equal: our record's fingerprint, or at least the archive's own row counts. */
export interface RestoreExpectation {
  fingerprint?: Fingerprint | undefined;
  rows: TableCounts;
  revision?: string | undefined;
}

export interface ProvenRestore {
  comparison: TableComparison[];
  counts: TableCounts;
  notes: string[];
}

async function compareWithLive(run: DatabaseRun, expected: RestoreExpectation): Promise<{ comparison: TableComparison[]; live: Fingerprint }> {
  const live = await withClient(run.target, fingerprint);
  return { comparison: expected.fingerprint ? compareFingerprints(expected.fingerprint, live) : compareCounts(expected.rows, live), live };
}

/**
 * Restores the archive and proves it: per table rows, content checksum, columns and indexes equal
 * the backup's (row counts only for an archive without our record), and the revision is the expected one.
 */
export async function restoreAndProve(
  run: DatabaseRun,
  archive: string,
  expected: RestoreExpectation,
  jobs: number,
  phase = 'Restore',
): Promise<ProvenRestore> {
  await run.phases.run(phase, async () => {
    await watchingLocks(run, phase, () => restoreArchive({ archive, jobs, libpq: run.libpq, timeoutMs: remaining(run), log: run.context.log }));
    return { value: undefined, detail: `${restoreMode(jobs)} from ${archive}` };
  });
  return run.phases.run(`Verify ${phase.toLowerCase()}`, async () => {
    const { comparison, live } = await compareWithLive(run, expected);
    const problems = differences(comparison);
    const revision = run.tool ? await run.tool.current() : undefined;
    if (expected.revision !== undefined && revision !== undefined && revision !== expected.revision)
      problems.unshift(`revision is ${revision}, expected ${expected.revision}`);
    if (problems.length)
      throw new StepFailure(`Verify ${phase.toLowerCase()}`, `the restored database differs from the backup ${archive}: ${problems.join('; ')}`);
    const extra = tablesNotInBackup(comparison);
    const notes = extra.length ? [`Tables the backup does not hold were left as they are: ${extra.join(', ')}.`] : [];
    const what = expected.fingerprint
      ? 'rows, content checksums, columns and indexes equal the backup'
      : "row counts equal the archive's data (no keiko-rollback record beside it, so no checksums)";
    return {
      value: { comparison, counts: countsOf(live), notes },
      detail: `${comparison.length - extra.length} tables: ${what}${revision ? `; revision ${revision}` : ''}`,
    };
  });
}

async function readArchive(run: DatabaseRun, file: string, input: 'restore-from' | 'plan'): Promise<ArchiveContent> {
  return run.phases.run('Read archive', async () => {
    try {
      const content = await readWholeArchive(file, run.context.log, remaining(run));
      const tables = Object.keys(content.rows).length;
      return {
        value: content,
        detail: `read whole with pg_restore: ${tables} tables of data complete, ${content.bytes} bytes${content.record ? ', sha256 as recorded at backup time' : ''}`,
      };
    } catch (error) {
      if (error instanceof ArchiveError)
        throw new ConfigurationError(`${file} ${error.message}: nothing was restored or changed. Give an intact pg_dump archive`, input);
      throw error;
    }
  });
}

function restorePlanOf(run: DatabaseRun, archive: ArchiveContent): RestorePlan {
  return {
    version: PLAN_VERSION,
    kind: PLAN_KIND,
    operation: 'restore',
    engine: 'postgres',
    database: identityOf(run.target.info),
    archive: { path: archive.path, bytes: archive.bytes, sha256: archive.sha256 },
    'from-revision': run.revision,
    'created-at': new Date().toISOString(),
  };
}

/** Restore-only mode: read the archive whole, back up what it overwrites, restore, prove. */
export async function restoreOnly(run: DatabaseRun, file: string): Promise<ActionResult<RollbackDatabaseOutput>> {
  const given = run.inputs.plan?.operation === 'restore' ? run.inputs.plan : undefined;
  const archive = await readArchive(run, file, given ? 'plan' : 'restore-from');
  if (given && JSON.stringify(given.archive.sha256) !== JSON.stringify(archive.sha256)) {
    throw new ConfigurationError(
      `names ${file}, but that archive changed since the plan was made (sha256 differs): nothing was restored. Make a new plan`,
      'plan',
    );
  }
  const plan = restorePlanOf(run, archive);
  const expected: RestoreExpectation = {
    fingerprint: archive.record?.fingerprint,
    rows: archive.rows,
    revision: archive.record?.revision !== 'n/a' ? archive.record?.revision : undefined,
  };
  const title = path.basename(file);
  if (run.inputs['dry-run']) {
    return finish(run, {
      status: 'dry-run',
      title: `Database restore from ${title} (dry run)`,
      toRevision: run.revision,
      plan,
      backup: archive,
      preview: manualRestoreCommand(archive.path, run.target.info),
    });
  }
  const isArchive = (live: Fingerprint): boolean =>
    Boolean(archive.record) && differences(compareFingerprints(archive.record?.fingerprint ?? {}, live)).length === 0;
  let safety: Backup | undefined;
  if (run.inputs.backup) {
    const taken = await backUp(run, 'Safety backup', isArchive);
    if ('skipped' in taken)
      return finish(run, { status: 'unchanged', title: `Database already holds ${title}: nothing written`, toRevision: run.revision, plan, backup: archive });
    safety = taken;
  } else {
    run.phases.skip('Safety backup', 'backup: false with i-accept-data-loss: true');
    if (archive.record && isArchive(await withClient(run.target, fingerprint))) {
      return finish(run, { status: 'unchanged', title: `Database already holds ${title}: nothing written`, toRevision: run.revision, plan, backup: archive });
    }
  }
  const artifact = safety ? await uploadBackupArtifact(run, safety.path) : undefined;
  try {
    const proven = await restoreAndProve(run, archive.path, expected, run.inputs.jobs);
    return finish(run, {
      status: 'restored',
      title: `Database restored from ${title}`,
      toRevision: run.tool ? await run.tool.current() : run.revision,
      plan,
      backup: archive,
      safetyBackup: safety,
      artifact,
      restored: true,
      tablesAfter: proven.counts,
      comparison: proven.comparison,
      notes: proven.notes,
    });
  } catch (error) {
    const failure = describeError(error);
    const fallback = await putBack(run, safety, failure, archive);
    return finish(run, {
      status: 'failed',
      title: `Database restore from ${title} failed`,
      toRevision: run.tool ? await run.tool.current().catch(() => run.revision) : run.revision,
      plan,
      backup: archive,
      safetyBackup: safety,
      artifact,
      restored: fallback.restored,
      comparison: fallback.comparison,
      failure: fallback.message,
    });
  }
}

/**
 * After a failed restore: one transaction left the database as it was (proven against the safety
 * backup's fingerprint); a parallel one changed it, so the safety backup goes back in one transaction.
 */
async function putBack(
  run: DatabaseRun,
  safety: Backup | undefined,
  failure: string,
  archive: ArchiveContent,
): Promise<{ message: string; restored: boolean; comparison?: TableComparison[] }> {
  if (!safety)
    return {
      message: `${failure}. No safety backup was taken (backup: false): the database may be partly restored; to restore the archive by hand: ${manualRestoreCommand(archive.path, run.target.info)}`,
      restored: false,
    };
  const byHand = `If you need the database as it was, the safety backup ${safety.path} brings it back: ${manualRestoreCommand(safety.path, run.target.info)}`;
  if (run.inputs.jobs === 1) {
    const { comparison } = await compareWithLive(run, { fingerprint: safety.fingerprint, rows: countsOf(safety.fingerprint) });
    const problems = differences(comparison);
    if (!problems.length)
      return {
        message: `${failure}. The restore ran as one transaction and was rolled back: the database is exactly as before (verified against the safety backup). ${byHand}`,
        restored: false,
        comparison,
      };
  }
  try {
    // tables only the failed archive has were created by it: pg_restore --clean of the safety backup would leave them
    const created = Object.keys(archive.rows).filter((table) => !(table in safety.fingerprint));
    if (created.length)
      await withClient(run.target, (client) => client.query(`DROP TABLE IF EXISTS ${created.map((t) => quoteTable(client, t)).join(', ')} CASCADE`));
    const proven = await restoreAndProve(
      run,
      safety.path,
      { fingerprint: safety.fingerprint, rows: countsOf(safety.fingerprint), revision: run.tool ? run.revision : undefined },
      1,
      'Restore safety backup',
    );
    return {
      message: `${failure}. The database was put back from the safety backup ${safety.path} and verified equal to before. ${byHand}`,
      restored: true,
      comparison: proven.comparison,
    };
  } catch (again) {
    return {
      message: `${failure}. Putting the safety backup back failed too (${describeError(again)}). THE DATABASE MAY BE INCONSISTENT; restore by hand: ${manualRestoreCommand(safety.path, run.target.info)}`,
      restored: false,
    };
  }
}
