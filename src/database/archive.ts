import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { describeError } from '../core/errors.js';
import { runTool, streamTool, tail } from '../core/exec.js';
import type { Logger } from '../core/logger.js';
import { fingerprintSchema } from './fingerprint.js';
import { type TableCounts, tableKey } from './postgres.js';

export type BackupFormat = 'custom' | 'directory';

/** Raised when an archive cannot be trusted; the caller decides whether that is the user's input or our own dump. */
export class ArchiveError extends Error {}

/** What we record beside every backup we take (`<backup>.keiko.json`), so a later restore can prove it. */
export const backupRecordSchema = z.object({
  version: z.literal(1),
  kind: z.literal('keiko-rollback/backup'),
  format: z.enum(['custom', 'directory']),
  database: z.object({ host: z.string(), port: z.string(), name: z.string() }),
  revision: z.string(),
  'created-at': z.string(),
  /** sha256 of every file of the archive, by path relative to it ('' for a one-file archive). */
  sha256: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)),
  fingerprint: fingerprintSchema,
});
export type BackupRecord = z.infer<typeof backupRecordSchema>;

export function recordPath(archive: string): string {
  return `${archive.replace(/\/+$/, '')}.keiko.json`;
}

function filesOf(archive: string): string[] {
  if (!fs.statSync(archive).isDirectory()) return [''];
  return fs.readdirSync(archive).sort();
}

export function sizeOf(archive: string): number {
  return filesOf(archive).reduce((sum, file) => sum + fs.statSync(path.join(archive, file)).size, 0);
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function sha256Of(archive: string): Promise<Record<string, string>> {
  const sums: Record<string, string> = {};
  for (const file of filesOf(archive)) sums[file] = await sha256File(file ? path.join(archive, file) : archive);
  return sums;
}

/** The record beside an archive, checked against its schema; undefined when there is none. */
export function readRecord(archive: string): BackupRecord | undefined {
  const file = recordPath(archive);
  if (!fs.existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ArchiveError(`its record ${file} is not JSON (${describeError(error)})`);
  }
  const record = backupRecordSchema.safeParse(parsed);
  if (!record.success) {
    const version = (parsed as { version?: unknown } | null)?.version;
    throw new ArchiveError(
      version !== 1
        ? `its record ${file} has version ${JSON.stringify(version)}; this keiko-rollback reads version 1`
        : `its record ${file} is malformed (${record.error.issues[0]?.message ?? 'invalid'})`,
    );
  }
  return record.data;
}

export function writeRecord(archive: string, record: BackupRecord): void {
  fs.writeFileSync(recordPath(archive), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
}

/** TABLE DATA entries of an archive, as `schema.table`, from its table of contents (`pg_restore --list`). */
export async function tableOfContents(archive: string, log: Logger): Promise<Set<string>> {
  const run = await runTool('pg_restore', ['--list', archive], { log });
  if (run.exitCode !== 0) throw new ArchiveError(`pg_restore --list cannot read it: ${tail(run.stderr)}`);
  const tables = new Set<string>();
  for (const line of run.stdout.split('\n')) {
    const match = /^\d+;\s+\d+\s+\d+\s+TABLE DATA\s+(\S+)\s+(\S+)\s/.exec(line);
    if (match) tables.add(`${match[1]}.${match[2]}`);
  }
  return tables;
}

export interface ArchiveContent {
  path: string;
  format: BackupFormat;
  bytes: number;
  /** Rows of every table, counted in the archive's own COPY data. */
  rows: TableCounts;
  sha256: Record<string, string>;
  record: BackupRecord | undefined;
}

const COPY = /^COPY ((?:"(?:[^"]|"")+"|[^\s."]+)\.(?:"(?:[^"]|"")+"|[^\s."]+)) .*FROM stdin;$/;

/**
 * Reads the whole archive before anything is dropped: `pg_restore --file=-` decompresses and emits
 * every entry (a truncated or corrupted archive fails here, where `--list` alone only reads the table
 * of contents), and the COPY blocks are counted so every TABLE DATA entry is proven complete.
 * A scratch database would prove more but needs CREATEDB and the archive's size again on the server.
 */
export async function readWholeArchive(archive: string, log: Logger, timeoutMs: number): Promise<ArchiveContent> {
  if (!fs.existsSync(archive)) throw new ArchiveError('does not exist');
  const format: BackupFormat = fs.statSync(archive).isDirectory() ? 'directory' : 'custom';
  const bytes = sizeOf(archive);
  if (bytes === 0) throw new ArchiveError('is empty');
  const record = readRecord(archive);
  const sums = await sha256Of(archive);
  if (record) {
    const damaged = Object.keys({ ...record.sha256, ...sums }).filter((file) => record.sha256[file] !== sums[file]);
    if (damaged.length)
      throw new ArchiveError(`differs from what was written at backup time (sha256 of ${damaged.map((f) => f || path.basename(archive)).join(', ')})`);
  }
  const toc = await tableOfContents(archive, log);
  const rows: TableCounts = {};
  let open: string | undefined;
  const run = await streamTool(
    'pg_restore',
    ['--file=-', archive],
    (line) => {
      if (open !== undefined) {
        if (line === '\\.') open = undefined;
        else rows[open] = (rows[open] ?? 0) + 1;
        return;
      }
      const copy = COPY.exec(line);
      if (copy) {
        open = tableKey(copy[1] ?? '');
        rows[open] = 0;
      }
    },
    { log, timeoutMs },
  );
  if (run.timedOut) throw new ArchiveError('could not be read in time');
  if (run.exitCode !== 0) throw new ArchiveError(`cannot be read to the end (pg_restore exit ${run.exitCode}): ${tail(run.stderr)}`);
  if (open !== undefined) throw new ArchiveError(`ends inside the data of ${open}`);
  const incomplete = [...toc].filter((table) => rows[table] === undefined);
  if (incomplete.length) throw new ArchiveError(`has no readable data for ${incomplete.join(', ')}`);
  return { path: archive, format, bytes, rows, sha256: sums, record };
}

/** The archive holds data for every table that has rows in `expected` (and as many rows, when known). */
export function missingData(content: ArchiveContent, expected: TableCounts): string[] {
  return Object.entries(expected)
    .filter(([name, rows]) => rows > 0 && content.rows[name] !== rows)
    .map(([name, rows]) => `${name} (${rows} rows expected, ${content.rows[name] ?? 'no'} in the archive)`);
}
