import fs from 'node:fs';
import path from 'node:path';
import { recordPath } from '../../database/archive.js';
import type { DatabaseRun } from './run.js';

function filesOf(target: string): string[] {
  if (!fs.statSync(target).isDirectory()) return [target];
  return fs.readdirSync(target).flatMap((entry) => filesOf(path.join(target, entry)));
}

/**
 * Keeps the backup as a workflow artifact when `upload-artifact: true`. Only inside GitHub Actions
 * (the artifact service needs the runner's ACTIONS_RUNTIME_TOKEN); elsewhere the phase is skipped
 * and the file stays on disk. Off by default: an artifact is readable by everyone who can read the repository.
 */
export async function uploadBackupArtifact(run: DatabaseRun, backupPath: string): Promise<string | undefined> {
  if (!run.inputs['upload-artifact']) return undefined;
  const { env } = run.context;
  if (!env.ACTIONS_RUNTIME_TOKEN || !env.ACTIONS_RESULTS_URL) {
    run.phases.skip('Upload artifact', `not inside GitHub Actions; the backup stays at ${backupPath}`);
    return undefined;
  }
  const name = path.basename(backupPath);
  const days = run.inputs['artifact-retention-days'];
  return run.phases.run('Upload artifact', async () => {
    const { DefaultArtifactClient } = await import('@actions/artifact');
    const upload = await new DefaultArtifactClient().uploadArtifact(name, [...filesOf(backupPath), recordPath(backupPath)], path.dirname(backupPath), {
      retentionDays: days,
    });
    return {
      value: name,
      detail: `artifact ${name} (id ${upload.id ?? '?'}, ${upload.size ?? 0} bytes, kept ${days} day(s)): production data, readable by everyone with read access to the repository`,
    };
  });
}
