import type { ActionManifest } from '../manifest.js';

export const manifest: ActionManifest = {
  name: 'rollback-database',
  command: 'database',
  description: 'Back up PostgreSQL first (pg_dump, verified), downgrade with Alembic or Flyway, and restore the backup automatically if anything fails; or restore an earlier backup.',
  icon: 'database',
  color: 'orange',
  inputs: {
    'database-url': { description: 'postgres:// or postgresql:// URL of the database (secret).', required: true, secret: true },
    tool: { description: '`alembic`, `flyway`, or `none` (backup and/or restore only).', default: 'alembic' },
    target: { description: 'Alembic: a revision id, `-N` or `base`. Flyway: a version, or `-N` for N undos.' },
    'working-directory': { description: 'Where alembic.ini / flyway.conf live; must stay inside the workspace.', default: '.' },
    backup: { description: 'Take a verified backup first. `false` only together with `i-accept-data-loss: true`.', default: 'true' },
    'i-accept-data-loss': { description: 'Required to run with `backup: false`.', default: 'false' },
    'backup-format': { description: '`custom` (one file) or `directory` (parallel dump and restore).', default: 'custom' },
    'backup-dir': { description: 'Where the backup is written (default: $RUNNER_TEMP/keiko-rollback).' },
    jobs: { description: 'Parallel workers for directory dumps and all restores (default: CPU count).' },
    'restore-on-failure': { description: 'Restore the backup when the downgrade fails.', default: 'true' },
    'restore-from': { description: 'Path of an earlier backup: restore-only mode.' },
    'upload-artifact': { description: 'Keep the backup as a workflow artifact (inside GitHub Actions).', default: 'true' },
    'artifact-retention-days': { description: 'Days the backup artifact is kept.', default: '14' },
    'dry-run': { description: 'Show the SQL that would run; change nothing, take no backup.', default: 'false' },
    timeout: { description: 'Limit for the whole run.', default: '30m' },
  },
  outputs: {
    'backup-path': 'Path of the backup taken (or restored from).',
    'backup-bytes': 'Size of the backup in bytes.',
    'from-revision': 'Migration revision before.',
    'to-revision': 'Migration revision after.',
    restored: '`true` when the backup was restored.',
    result: 'JSON: phases with status and timings, table row counts.',
  },
};
