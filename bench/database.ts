import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createMemoryLogger } from '../src/core/logger.js';
import { readWholeArchive } from '../src/database/archive.js';
import { takeBackup } from '../src/database/backup.js';
import { countsOf, fingerprint } from '../src/database/fingerprint.js';
import { connectionInfo, libpqSession } from '../src/database/libpq.js';
import { restoreArchive } from '../src/database/restore.js';
import { type Measurement, repeat, run } from './measure.js';

const ADMIN = process.env.KEIKO_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const SOURCE = 'keiko_bench_src';
const TARGET = 'keiko_bench_dst';

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function urlOf(database: string): string {
  const url = new URL(ADMIN);
  url.pathname = `/${database}`;
  return url.toString();
}

/** About 200 MB over three tables with indexes, generated in PostgreSQL itself. */
async function generate(log: (line: string) => void): Promise<{ bytes: number; counts: Record<string, number> }> {
  await admin(`DROP DATABASE IF EXISTS ${SOURCE} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${SOURCE}`);
  const client = new pg.Client({ connectionString: urlOf(SOURCE) });
  await client.connect();
  try {
    await client.query(`CREATE TABLE accounts (id int PRIMARY KEY, name text NOT NULL, plan text NOT NULL)`);
    await client.query(`INSERT INTO accounts SELECT g, 'account-' || g, (ARRAY['free','pro','enterprise'])[1 + g % 3] FROM generate_series(1, 50000) g`);
    await client.query(
      `CREATE TABLE events (id bigserial PRIMARY KEY, account_id int NOT NULL REFERENCES accounts(id), kind text NOT NULL, payload text NOT NULL, created_at timestamptz NOT NULL)`,
    );
    await client.query(`INSERT INTO events (account_id, kind, payload, created_at)
      SELECT 1 + g % 50000, (ARRAY['login','search','chat','upload'])[1 + g % 4], md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text), now() - (g || ' seconds')::interval
      FROM generate_series(1, 1000000) g`);
    await client.query(`CREATE INDEX events_account ON events (account_id)`);
    await client.query(`CREATE INDEX events_created ON events (created_at)`);
    await client.query(`CREATE TABLE documents (id int PRIMARY KEY, body text NOT NULL)`);
    await client.query(`INSERT INTO documents SELECT g, repeat(md5(g::text), 20) FROM generate_series(1, 60000) g`);
    await client.query('ANALYZE');
    const bytes = Number((await client.query<{ n: string }>(`SELECT pg_database_size('${SOURCE}') AS n`)).rows[0]?.n);
    const counts = countsOf(await fingerprint(client));
    log(`  database: generated ${Math.round(bytes / 1e6)} MB`);
    return { bytes, counts };
  } finally {
    await client.end();
  }
}

export interface DatabaseResult {
  bytes: number;
  measurements: Measurement[];
  /** One directory-format restore split by section: where the time goes. */
  sections: Measurement[];
  backupMs: number;
  verifyMs: number;
}

const REPS = 3;

export async function databaseBenchmark(log: (line: string) => void): Promise<DatabaseResult> {
  const { bytes } = await generate(log);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-bench-db-'));
  const quiet = createMemoryLogger();
  const lockTimeoutMs = 120_000;
  const source = { url: urlOf(SOURCE), info: connectionInfo(urlOf(SOURCE)), lockTimeoutMs };
  const libpq = libpqSession(source.info, dir, lockTimeoutMs);
  const targetLibpq = libpqSession(connectionInfo(urlOf(TARGET)), dir, lockTimeoutMs);
  const env = libpq.env;
  const fresh = async (): Promise<void> => {
    await admin(`DROP DATABASE IF EXISTS ${TARGET} WITH (FORCE)`);
    await admin(`CREATE DATABASE ${TARGET}`);
  };
  const clean = (): void => {
    for (const e of fs.readdirSync(dir)) fs.rmSync(path.join(dir, e), { recursive: true, force: true });
  };
  let lastCustom = '';
  let lastDirectory = '';
  const verifySamples: number[] = [];
  const dump = async (into: string, format: 'custom' | 'directory'): Promise<string> => {
    const taken = await takeBackup({ target: source, libpq, dir: into, format, jobs: 2, revision: 'n/a', timeoutMs: 600_000, log: quiet });
    if ('skipped' in taken) throw new Error('backup skipped');
    return taken.path;
  };
  const backup = await repeat('keiko backup (snapshot fingerprint + pg_dump -Fc + whole read-back)', REPS, async () => {
    clean();
    lastCustom = await dump(dir, 'custom');
  });
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    await readWholeArchive(lastCustom, quiet, 600_000);
    verifySamples.push(performance.now() - t0);
  }
  const verify: Measurement = { label: 'keiko archive verification (sha256 + whole pg_restore read + COPY row counts)', samples: verifySamples };
  log('  database: custom format done');
  const customDir = path.join(dir, 'directory');
  const dumpDirectory = await repeat('keiko backup, directory format (pg_dump -Fd -j 2)', REPS, async () => {
    fs.rmSync(customDir, { recursive: true, force: true });
    fs.mkdirSync(customDir);
    lastDirectory = await dump(customDir, 'directory');
  });
  const sql = path.join(dir, 'dump.sql');
  const plainDump = await repeat('runbook: pg_dump > dump.sql', REPS, () => run('pg_dump', ['--file', sql, SOURCE], { env: { ...process.env, ...env } }));
  // the three restores take turns, round after round: a slow minute of the machine weighs on all three alike,
  // so their ratio is the restores' own, not the moment's
  const restoreCustom: Measurement = { label: 'keiko restore, custom format (pg_restore --single-transaction)', samples: [] };
  const restoreDirectory: Measurement = { label: 'keiko restore, directory format (pg_restore -j 2)', samples: [] };
  const plainRestore: Measurement = { label: 'runbook: psql < dump.sql', samples: [] };
  const timed = async (into: Measurement, work: () => Promise<unknown>): Promise<void> => {
    await fresh();
    const t0 = performance.now();
    await work();
    into.samples.push(performance.now() - t0);
  };
  for (let round = 0; round <= REPS; round++) {
    const warmUp = round === 0;
    const scratch: Measurement = { label: 'warm-up', samples: [] };
    await timed(warmUp ? scratch : restoreCustom, () => restoreArchive({ archive: lastCustom, jobs: 1, libpq: targetLibpq, timeoutMs: 600_000, log: quiet }));
    await timed(warmUp ? scratch : restoreDirectory, () =>
      restoreArchive({ archive: lastDirectory, jobs: 2, libpq: targetLibpq, timeoutMs: 600_000, log: quiet }),
    );
    await timed(warmUp ? scratch : plainRestore, async () => {
      const result = await run('psql', ['--quiet', '--file', sql, '--dbname', TARGET], { env: { ...process.env, ...env } });
      if (result.code !== 0) throw new Error(`psql < dump.sql: ${result.stderr.slice(-300)}`);
    });
  }
  // where a parallel restore spends its time: tables (pre-data), rows (data), indexes and constraints (post-data)
  const sections: Measurement[] = [];
  await fresh();
  for (const section of ['pre-data', 'data', 'post-data']) {
    const t0 = performance.now();
    const result = await run('pg_restore', ['--section', section, '--jobs', '2', '--dbname', TARGET, lastDirectory], { env: { ...process.env, ...env } });
    if (result.code !== 0) throw new Error(`pg_restore --section ${section}: ${result.stderr.slice(-300)}`);
    sections.push({ label: `pg_restore -j 2 --section ${section}`, samples: [performance.now() - t0] });
  }
  log('  database: restores done');
  await admin(`DROP DATABASE IF EXISTS ${TARGET} WITH (FORCE)`);
  fs.rmSync(dir, { recursive: true, force: true });
  const median = (m: Measurement): number => [...m.samples].sort((a, b) => a - b)[Math.floor(m.samples.length / 2)] ?? 0;
  return {
    bytes,
    sections,
    measurements: [backup, verify, restoreCustom, dumpDirectory, restoreDirectory, plainDump, plainRestore],
    backupMs: median(backup),
    verifyMs: median(verify),
  };
}
