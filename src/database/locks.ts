import type pg from 'pg';
import { formatDuration } from '../core/durations.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { connect, type DatabaseTarget } from './postgres.js';

export interface BlockingSession {
  pid: number;
  user: string;
  application: string;
  state: string;
  seconds: number;
  query: string;
}

const COLUMNS = `a.pid, coalesce(a.usename, '') AS "user", coalesce(a.application_name, '') AS application, coalesce(a.state, '') AS state,
  extract(epoch FROM now() - coalesce(a.xact_start, a.state_change, a.backend_start))::float AS seconds, left(coalesce(a.query, ''), 80) AS query`;

/** Sessions that block any session of ours (found by application_name) in this database. */
const BLOCKERS = `SELECT DISTINCT ${COLUMNS} FROM pg_stat_activity a
  WHERE a.pid IN (SELECT unnest(pg_blocking_pids(b.pid)) FROM pg_stat_activity b WHERE b.datname = current_database() AND b.application_name = $1)
  ORDER BY a.pid`;

/** Sessions of others holding a lock on a table of this database: a DROP or ALTER would wait for them. */
const HOLDERS = `SELECT DISTINCT ${COLUMNS} FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
  WHERE l.granted AND l.locktype = 'relation' AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND a.pid <> pg_backend_pid() AND a.application_name IS DISTINCT FROM $1 AND a.application_name IS DISTINCT FROM $2
  ORDER BY a.pid`;

export const MONITOR_APPLICATION_NAME = 'keiko-rollback-lock-monitor';

export function describeSessions(sessions: readonly BlockingSession[]): string {
  return sessions
    .map(
      (s) =>
        `pid ${s.pid} (user ${s.user || '?'}, application ${s.application || '-'}, ${s.state || 'active'} for ${formatDuration(s.seconds * 1000)}): ${s.query.replace(/\s+/g, ' ').trim() || '(no query)'}`,
    )
    .join('; ');
}

async function rows(client: pg.Client, sql: string, params: string[]): Promise<BlockingSession[]> {
  const result = await client.query<BlockingSession>(sql, params);
  return result.rows.map((r) => ({ ...r, pid: Number(r.pid), seconds: Number(r.seconds) }));
}

/** Our sessions (this step's, by application_name and start time) that have waited for a lock longer than allowed. */
const OVERDUE = `SELECT DISTINCT a.pid FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
  WHERE NOT l.granted AND a.datname = current_database() AND a.application_name = $1 AND a.backend_start >= $2::timestamptz
    AND a.usename = current_user AND l.waitstart < now() - make_interval(secs => $3::float / 1000)`;

export interface LockMonitor {
  /** Who holds locks on this database's tables right now (our own sessions excluded). */
  holders(): Promise<BlockingSession[]>;
  /** Sessions that blocked ours past lock-timeout, when the monitor cancelled the wait; empty otherwise. */
  readonly timedOutOn: BlockingSession[];
  stop(): Promise<void>;
}

/**
 * Watches the sessions of `application` while a step runs: names who holds locks before it starts,
 * who blocks it every `reportMs` while it waits, and cancels a wait that outlasts `lockTimeoutMs`.
 * The last is needed because pg_restore and pg_dump's scripts begin with `SET lock_timeout = 0`,
 * which overrides the PGOPTIONS setting. The monitor's own session carries another application_name.
 */
export async function startLockMonitor(target: DatabaseTarget, application: string, step: string, log: Logger, reportMs = 5000): Promise<LockMonitor> {
  const client = await connect(target, MONITOR_APPLICATION_NAME);
  const started = (await client.query<{ t: string }>('SELECT now()::text AS t')).rows[0]?.t ?? 'now';
  const holders = (): Promise<BlockingSession[]> => rows(client, HOLDERS, [application, MONITOR_APPLICATION_NAME]);
  const before = await holders();
  if (before.length)
    log.warning(
      `${step}: ${before.length} other session(s) hold locks on tables of this database and may make it wait (up to lock-timeout): ${describeSessions(before)}`,
    );
  const timedOutOn: BlockingSession[] = [];
  let lastReport = 0;
  const check = async (): Promise<void> => {
    const blockers = await rows(client, BLOCKERS, [application]);
    if (blockers.length && Date.now() - lastReport >= reportMs) {
      lastReport = Date.now();
      log.warning(`${step} is waiting for a lock held by: ${describeSessions(blockers)}`);
    }
    const overdue = await client.query<{ pid: number }>(OVERDUE, [application, started, String(target.lockTimeoutMs)]);
    if (overdue.rows.length === 0) return;
    if (timedOutOn.length === 0) timedOutOn.push(...blockers);
    for (const { pid } of overdue.rows) await client.query('SELECT pg_cancel_backend($1)', [pid]);
  };
  // polled often enough to hold lock-timeout to a fraction of itself; reported every reportMs
  const pollMs = Math.min(reportMs, Math.max(200, target.lockTimeoutMs / 10));
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(check).catch((error: unknown) => log.debug(`lock monitor: ${describeError(error)}`));
  }, pollMs);
  return {
    holders,
    timedOutOn,
    async stop() {
      clearInterval(timer);
      await running;
      await client.end().catch(() => undefined);
    },
  };
}

/** True when a tool's error says it gave up waiting for a lock (lock_timeout, pg_dump --lock-wait-timeout). */
export function isLockTimeout(message: string): boolean {
  return /lock timeout|could not obtain lock|LockNotAvailable/i.test(message);
}

/** The line of a tool's error output that says it gave up on a lock, when one does (Alembic's traceback hides it above its last lines). */
export function lockTimeoutLine(output: string): string | undefined {
  return output
    .split('\n')
    .find((line) => isLockTimeout(line))
    ?.trim();
}
