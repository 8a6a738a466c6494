import type { ActionManifest } from '../manifest.js';

export const manifest: ActionManifest = {
  name: 'rollback-database',
  command: 'database',
  description:
    'Back up PostgreSQL first (pg_dump, verified), downgrade with Alembic or Flyway, and restore the backup automatically if anything fails; or restore an earlier backup.',
  icon: 'database',
  color: 'orange',
  inputs: {
    'database-url': {
      description: 'postgres:// or postgresql:// URL of the database; sqlserver://user:password@host:1433/db with engine: sqlserver (secret).',
      required: true,
      secret: true,
    },
    engine: { description: '`postgres`, or `sqlserver` (Azure SQL: restore a .sql backup from restore-from with sqlcmd).', default: 'postgres' },
    tool: { description: '`alembic`, `flyway`, or `none` (backup and/or restore only).', default: 'alembic' },
    target: {
      description:
        'Alembic: a revision id, `-N` or `base`. Flyway: a version, or `-N` for N undos. Resolved to an absolute revision in the `plan` output; automation passes that plan instead.',
    },
    plan: {
      description:
        'The `plan` output of an earlier run (e.g. the dry run people approved): executes exactly it. At its target: `unchanged`, nothing written; at its start: runs; anywhere else: refuses.',
    },
    'expect-revision': { description: 'Refuse (nothing written) unless the database is at exactly this revision or version now.' },
    'lock-timeout': {
      description:
        'Longest wait for any lock, in every step (our queries, pg_dump, the downgrade, the restore); past it the step fails naming the sessions that held the lock.',
      default: '2m',
    },
    'working-directory': { description: 'Where alembic.ini / flyway.conf live; must stay inside the workspace.', default: '.' },
    backup: { description: 'Take a verified backup first. `false` only together with `i-accept-data-loss: true`.', default: 'true' },
    'i-accept-data-loss': { description: 'Required to run with `backup: false`.', default: 'false' },
    'backup-format': { description: '`custom` (one file) or `directory` (parallel dump and restore).', default: 'custom' },
    'backup-dir': {
      description: 'Where backups are written, mode 0700/0600 (default: $RUNNER_TEMP/keiko-rollback; a world-writable folder gets a private subfolder).',
    },
    jobs: {
      description:
        '1: every restore is one transaction (all or nothing). More: parallel pg_restore and directory dumps; a parallel restore that fails is undone from the safety backup.',
      default: '1',
    },
    'restore-on-failure': { description: 'Restore the backup when the downgrade fails.', default: 'true' },
    'restore-from': {
      description: 'Path of an earlier backup: restore-only mode. The archive is read whole first, and the database is backed up before it is overwritten.',
    },
    'upload-artifact': {
      description: 'Also keep the backup as a workflow artifact. It holds production data that everyone with read access to the repository can download.',
      default: 'false',
    },
    'artifact-retention-days': { description: 'Days the backup artifact is kept.', default: '1' },
    'dry-run': { description: 'Show the SQL that would run; change nothing, take no backup.', default: 'false' },
    timeout: { description: 'Limit for the whole run.', default: '30m' },
  },
  outputs: {
    status: '`rolled-back`, `restored`, `unchanged`, `backed-up`, `dry-run` or `failed`.',
    plan: 'JSON (`version` 1): from/to revision, the migrations run down, the data each removes; pass it as `plan` to execute exactly it.',
    'backup-path': 'Path of the backup taken (or restored from).',
    'safety-backup-path': 'Restore-only mode: the backup of the database taken just before it was overwritten.',
    'backup-bytes': 'Size of the backup in bytes.',
    'from-revision': 'Migration revision before.',
    'to-revision': 'Migration revision after.',
    restored: '`true` when the backup was restored.',
    result: 'JSON: status, phases with timings, table row counts, the restore comparison.',
  },
};
