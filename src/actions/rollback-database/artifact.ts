import fs from 'node:fs';
import path from 'node:path';
import type { ActionContext } from '../../core/action.js';
import type { PhaseLog } from './phases.js';

function filesOf(target: string): string[] {
  if (!fs.statSync(target).isDirectory()) return [target];
  return fs.readdirSync(target).flatMap((entry) => filesOf(path.join(target, entry)));
}

/**
 * Keeps the backup as a workflow artifact. Only inside GitHub Actions (the artifact service needs
 * the runner's ACTIONS_RUNTIME_TOKEN); elsewhere the phase is skipped and the file stays on disk.
 */
export async function uploadBackupArtifact(backupPath: string, retentionDays: number, context: ActionContext, phases: PhaseLog): Promise<string | undefined> {
  if (!context.env.ACTIONS_RUNTIME_TOKEN || !context.env.ACTIONS_RESULTS_URL) {
    phases.skip('Upload artifact', `not inside GitHub Actions; the backup stays at ${backupPath}`);
    return undefined;
  }
  const name = path.basename(backupPath);
  return phases.run('Upload artifact', async () => {
    const root = fs.statSync(backupPath).isDirectory() ? backupPath : path.dirname(backupPath);
    const { DefaultArtifactClient } = await import('@actions/artifact');
    const upload = await new DefaultArtifactClient().uploadArtifact(name, filesOf(backupPath), root, { retentionDays });
    return { value: name, detail: `artifact ${name} (id ${upload.id ?? '?'}, ${upload.size ?? 0} bytes, kept ${retentionDays} days)` };
  });
}
