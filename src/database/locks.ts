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
    .map((s) => `pid ${s.pid} (user ${s.user || '?'}, application ${s.application || '-'}, ${s.state || 'active'} for ${formatDuration(s.seconds * 1000)}): ${s.query.replace(/\s+/g, ' ').trim() || '(no query)'}`)
    .join('; ');
}

async function rows(client: pg.Client, sql: string, params: string[]): Promise<BlockingSession[]> {
  const result = await client.query<BlockingSession>(sql, params);
  return result.rows.map((r) => ({ ...r, pid: Number(r.pid), seconds: Number(r.seconds) }));
}

export interface LockMonitor {
  /** Who holds locks on this database's tables right now (our own sessions excluded). */
  holders(): Promise<BlockingSession[]>;
  stop(): Promise<void>;
}

/**
 * Watches the sessions of `application` while a step runs: reports who holds locks before it starts
 * and, every `intervalMs`, who blocks it. Its own session carries another application_name.
 */
export async function startLockMonitor(target: DatabaseTarget, application: string, step: string, log: Logger, intervalMs = 5000): Promise<LockMonitor> {
  const client = await connect(target, MONITOR_APPLICATION_NAME);
  const holders = (): Promise<BlockingSession[]> => rows(client, HOLDERS, [application, MONITOR_APPLICATION_NAME]);
  const before = await holders();
  if (before.length) log.warning(`${step}: ${before.length} other session(s) hold locks on tables of this database and may make it wait (up to lock-timeout): ${describeSessions(before)}`);
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    rows(client, BLOCKERS, [application])
      .then((blockers) => {
        if (blockers.length) log.warning(`${step} is waiting for a lock held by: ${describeSessions(blockers)}`);
      })
      .catch((error: unknown) => log.debug(`lock monitor: ${describeError(error)}`))
      .finally(() => {
        busy = false;
      });
  }, intervalMs);
  return {
    holders,
    async stop() {
      clearInterval(timer);
      await client.end().catch(() => undefined);
    },
  };
}

/** True when a tool's error says it gave up waiting for a lock (lock_timeout, pg_dump --lock-wait-timeout). */
export function isLockTimeout(message: string): boolean {
  return /lock timeout|could not obtain lock|LockNotAvailable/i.test(message);
}
