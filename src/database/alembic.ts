import fs from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from '../core/errors.js';
import { runTool, tail } from '../core/exec.js';
import type { Logger } from '../core/logger.js';
import { type Migration, MigrationError, type MigrationTool } from './migrations.js';

const REVISION = /^([0-9A-Za-z_]+)(?: \(.*\))?\s*$/;
const HISTORY_LINE = /^(<base>|[0-9A-Za-z_, ()]+?) -> ([0-9A-Za-z_]+)\b[^,]*(?:, (.*))?$/;
const RUNNING = /^-- Running downgrade (\S+) -> /;

export interface AlembicRevision {
  parent: string;
  message: string;
}

/** Parent and message of every revision, from `alembic history` lines such as `a1 -> b2 (head), message`. */
export function parseAlembicHistory(text: string): Map<string, AlembicRevision> {
  const revisions = new Map<string, AlembicRevision>();
  for (const line of text.split('\n')) {
    const match = HISTORY_LINE.exec(line.trim());
    if (match)
      revisions.set(match[2] ?? '', {
        parent: match[1] === '<base>' ? 'base' : ((match[1] ?? '').split(',')[0]?.trim() ?? 'base'),
        message: match[3]?.trim() ?? '',
      });
  }
  return revisions;
}

/** `alembic downgrade a:b --sql` split by its `-- Running downgrade X -> Y` comments: the SQL of each revision. */
export function splitOfflineSql(text: string): Map<string, string> {
  const sections = new Map<string, string>();
  let revision: string | undefined;
  for (const line of text.split('\n')) {
    const running = RUNNING.exec(line);
    if (running) revision = running[1];
    else if (revision) sections.set(revision, `${sections.get(revision) ?? ''}${line}\n`);
  }
  return sections;
}

export function parseAlembicCurrent(text: string): string {
  for (const line of text.split('\n')) {
    const match = REVISION.exec(line.trim());
    if (match) return match[1] ?? 'base';
  }
  return 'base';
}

/**
 * Alembic through its CLI, in `workingDirectory`, with DATABASE_URL in the environment (env.py reads
 * it) beside the libpq variables psycopg2 honours (TLS files, lock timeout, application_name).
 */
export function alembicTool(options: { workingDirectory: string; databaseUrl: string; env: Record<string, string>; log: Logger }): MigrationTool {
  if (!fs.existsSync(path.join(options.workingDirectory, 'alembic.ini'))) {
    throw new ConfigurationError(`has no alembic.ini (${options.workingDirectory}): point it at the folder of your Alembic project`, 'working-directory');
  }
  const alembic = async (args: string[], timeoutMs?: number, echo = false) =>
    runTool('alembic', args, {
      cwd: options.workingDirectory,
      env: { ...options.env, DATABASE_URL: options.databaseUrl },
      log: options.log,
      echo,
      ...(timeoutMs ? { timeoutMs } : {}),
    });
  // the history is read once per run: it is the project's files, not the database's state
  let known: Promise<Map<string, AlembicRevision>> | undefined;
  const history = async (): Promise<Map<string, AlembicRevision>> => {
    known ??= alembic(['history']).then((run) => {
      if (run.exitCode !== 0) throw new MigrationError(`alembic history failed: ${tail(run.stderr)}`);
      return parseAlembicHistory(run.stdout);
    });
    return known;
  };
  return {
    name: 'alembic',
    async current() {
      const run = await alembic(['current']);
      if (run.exitCode !== 0) throw new MigrationError(`alembic current failed: ${tail(run.stderr)}`);
      return parseAlembicCurrent(run.stdout);
    },
    async resolveTarget(target, current) {
      const parents = await history();
      const ancestors: string[] = [];
      for (let rev = current; rev !== 'base'; ) {
        const parent = parents.get(rev)?.parent;
        if (parent === undefined) break;
        ancestors.push(parent);
        rev = parent;
      }
      if (target === 'base') return 'base';
      const steps = /^-(\d+)$/.exec(target);
      if (steps) {
        const n = Number(steps[1]);
        const resolved = ancestors[n - 1];
        if (!resolved) throw new ConfigurationError(`is ${target}, but ${current} has only ${ancestors.length} revision(s) below it`, 'target');
        return resolved;
      }
      if (!parents.has(target))
        throw new ConfigurationError(`"${target}" is not a revision of this Alembic project (known: ${[...parents.keys()].join(', ')})`, 'target');
      if (!ancestors.includes(target))
        throw new ConfigurationError(`"${target}" is not below the current revision ${current}: a rollback only goes down`, 'target');
      return target;
    },
    async downgrade(target, _current, timeoutMs) {
      return alembic(['downgrade', target], timeoutMs, true);
    },
    async migrationsDown(current, target) {
      const revisions = await history();
      const run = await alembic(['downgrade', `${current}:${target}`, '--sql']);
      // a downgrade that cannot run offline still runs online: the plan then says its effect is unknown
      const sql = run.exitCode === 0 ? splitOfflineSql(run.stdout) : new Map<string, string>();
      const problem = run.exitCode === 0 ? 'alembic showed no SQL for it' : `alembic downgrade --sql failed: ${tail(run.stderr, 1)}`;
      const down: Migration[] = [];
      for (let rev = current; rev !== target && rev !== 'base'; rev = revisions.get(rev)?.parent ?? 'base') {
        const text = sql.get(rev);
        down.push({ id: rev, description: revisions.get(rev)?.message ?? '', sql: text, ...(text === undefined ? { sqlProblem: problem } : {}) });
      }
      return down;
    },
  };
}
