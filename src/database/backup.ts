import fs from 'node:fs';
import path from 'node:path';
import { describeError } from '../core/errors.js';
import { runTool, tail } from '../core/exec.js';
import type { Logger } from '../core/logger.js';
import { type ArchiveContent, ArchiveError, type BackupFormat, type BackupRecord, missingData, readWholeArchive, writeRecord } from './archive.js';
import { countsOf, type Fingerprint, fingerprint } from './fingerprint.js';
import type { LibpqSession } from './libpq.js';
import { connect, type DatabaseTarget } from './postgres.js';

export type { BackupFormat } from './archive.js';

export interface Backup extends ArchiveContent {
  /** The database as the dump saw it (same snapshot). */
  fingerprint: Fingerprint;
}

export class BackupError extends Error {}

export function backupName(database: string, format: BackupFormat, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `db-backup-${database}-${stamp}${format === 'custom' ? '.dump' : ''}`;
}

/** Creates each missing level itself: Node's recursive mkdir spins forever on paths such as /proc/x. */
function makeDirectory(dir: string): void {
  const missing: string[] = [];
  let current = path.resolve(dir);
  while (!fs.existsSync(current)) {
    missing.unshift(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const level of missing) fs.mkdirSync(level, { mode: 0o700 });
}

/**
 * A directory only this user can read. A world-writable one (/tmp, a shared runner temp) gets a
 * fresh private subdirectory instead, so nobody else can read, replace or pre-create the backup.
 */
export function privateBackupDirectory(dir: string): string {
  try {
    makeDirectory(dir);
    let target = dir;
    if ((fs.statSync(dir).mode & 0o002) !== 0) target = fs.mkdtempSync(path.join(dir, 'keiko-rollback-'));
    fs.chmodSync(target, 0o700);
    const probe = path.join(target, `.keiko-write-test-${process.pid}`);
    fs.writeFileSync(probe, 'x', { mode: 0o600 });
    fs.rmSync(probe);
    return target;
  } catch (error) {
    throw new BackupError(`backup directory ${dir} cannot be used (${describeError(error)}): choose a writable local folder in backup-dir`);
  }
}

function makePrivate(target: string): void {
  if (fs.statSync(target).isDirectory()) {
    fs.chmodSync(target, 0o700);
    for (const file of fs.readdirSync(target)) fs.chmodSync(path.join(target, file), 0o600);
  } else fs.chmodSync(target, 0o600);
}

export interface DumpOptions {
  target: DatabaseTarget;
  libpq: LibpqSession;
  dir: string;
  format: BackupFormat;
  jobs: number;
  revision: string;
  timeoutMs: number;
  log: Logger;
  /** Called with the live fingerprint before anything is dumped; returning false skips the dump. */
  shouldDump?: (live: Fingerprint) => boolean;
}

/**
 * pg_dump of one exported snapshot, fingerprinted in that same snapshot, so the record says exactly
 * what the archive holds even while the application keeps writing. Files 0600 in a 0700 directory;
 * a failed dump leaves no partial file behind. Then the archive is read back whole.
 */
export async function takeBackup(options: DumpOptions): Promise<Backup | { skipped: Fingerprint }> {
  const dir = privateBackupDirectory(options.dir);
  const file = path.join(dir, backupName(options.target.info.database, options.format));
  const client = await connect(options.target);
  let print: Fingerprint;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = (await client.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0]?.s ?? '';
    print = await fingerprint(client);
    if (options.shouldDump && !options.shouldDump(print)) return { skipped: print };
    // level 1 compresses about as well as the default for table data at half the time: a rollback waits for this
    const format = options.format === 'custom' ? ['--format=custom'] : ['--format=directory', `--jobs=${options.jobs}`];
    const args = [
      ...format,
      '--compress=1',
      `--snapshot=${snapshot}`,
      `--lock-wait-timeout=${Math.round(options.target.lockTimeoutMs)}`,
      '--no-password',
      '--file',
      file,
      '--dbname',
      options.libpq.dbname,
    ];
    const run = await runTool('pg_dump', args, { env: options.libpq.env, timeoutMs: options.timeoutMs, log: options.log });
    if (run.timedOut || run.exitCode !== 0) {
      fs.rmSync(file, { recursive: true, force: true });
      const how = typeof run.exitCode === 'number' ? `exit ${run.exitCode}` : 'killed by a signal: a full disk or a file size limit?';
      const why = tail(run.stderr);
      throw new BackupError(
        run.timedOut ? 'pg_dump timed out (the partial file was removed)' : `pg_dump failed (${how}; the partial file was removed)${why ? `: ${why}` : ''}`,
      );
    }
  } finally {
    await client.query('COMMIT').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
  makePrivate(file);
  // read back whole before the record exists: the one read both proves the archive and gives its sha256
  const content = await verifyBackup(file, options.log, options.timeoutMs, print);
  const record: BackupRecord = {
    version: 1,
    kind: 'keiko-rollback/backup',
    format: options.format,
    database: { host: options.target.info.host, port: options.target.info.port, name: options.target.info.database },
    revision: options.revision,
    'created-at': new Date().toISOString(),
    sha256: content.sha256,
    fingerprint: print,
  };
  writeRecord(file, record);
  return { ...content, record, fingerprint: print };
}

/** Reads a backup we just wrote to the end and checks it holds every row the snapshot had. */
async function verifyBackup(file: string, log: Logger, timeoutMs: number, print: Fingerprint): Promise<ArchiveContent> {
  try {
    const content = await readWholeArchive(file, log, timeoutMs);
    const missing = missingData(content, countsOf(print));
    if (missing.length) throw new ArchiveError(`has no complete data for ${missing.join(', ')}`);
    return content;
  } catch (error) {
    if (error instanceof ArchiveError) throw new BackupError(`the backup ${file} ${error.message}`);
    throw error;
  }
}
