import fs from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from '../core/errors.js';
import { runTool, type ToolRun, tail } from '../core/exec.js';
import type { Logger } from '../core/logger.js';
import { type ConnectionInfo, jdbcUrl } from './libpq.js';
import { type Migration, MigrationError, type MigrationTool } from './migrations.js';

/** The parts of Flyway's `info -outputType=json` result (InfoResult) that matter here. */
interface FlywayInfo {
  schemaVersion?: string | null;
  migrations?: { category?: string; version?: string; description?: string; state?: string; undoable?: string }[];
}

interface FlywayError {
  error?: { errorCode?: string; message?: string };
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[._]/).map(Number);
  const pb = b.split(/[._]/).map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function parseJson<T>(run: ToolRun, what: string): T {
  try {
    const parsed = JSON.parse(run.stdout) as T & FlywayError;
    if (run.exitCode !== 0 || parsed.error) throw new MigrationError(`flyway ${what} failed: ${parsed.error?.message ?? tail(run.stderr)}`);
    return parsed;
  } catch (error) {
    if (error instanceof MigrationError) throw error;
    throw new MigrationError(`flyway ${what} failed (exit ${run.exitCode}): ${tail(run.stderr || run.stdout)}`);
  }
}

/** The folders of undo scripts: `flyway.locations` of flyway.conf (filesystem: entries), else ./sql. */
export function undoLocations(workingDirectory: string): string[] {
  const conf = path.join(workingDirectory, 'flyway.conf');
  const line = fs.existsSync(conf) ? /^\s*flyway\.locations\s*=\s*(.+)$/m.exec(fs.readFileSync(conf, 'utf8'))?.[1] : undefined;
  const entries = line
    ? line
        .split(',')
        .map((l) => l.trim())
        .filter((l) => l.startsWith('filesystem:'))
        .map((l) => l.slice('filesystem:'.length))
    : ['sql'];
  return entries.map((dir) => path.resolve(workingDirectory, dir));
}

function undoScript(locations: readonly string[], version: string): string | undefined {
  for (const dir of locations) {
    if (!fs.existsSync(dir)) continue;
    const name = fs.readdirSync(dir).find((f) => f.startsWith(`U${version}__`) && f.endsWith('.sql'));
    if (name) return fs.readFileSync(path.join(dir, name), 'utf8');
  }
  return undefined;
}

/**
 * Flyway through its CLI contract: `info`/`undo` with -outputType=json. The URL (with the TLS and
 * lock-timeout settings pgjdbc understands) and user are arguments; the password goes in
 * FLYWAY_PASSWORD, Flyway's own environment setting, never argv.
 */
export function flywayTool(options: { workingDirectory: string; connection: ConnectionInfo; lockTimeoutMs: number; log: Logger }): MigrationTool {
  const { user, password } = options.connection;
  const base = ['-outputType=json', `-url=${jdbcUrl(options.connection, options.lockTimeoutMs)}`, `-user=${user}`];
  const flyway = (command: string, timeoutMs?: number) =>
    runTool('flyway', [command, ...base], {
      cwd: options.workingDirectory,
      env: password ? { FLYWAY_PASSWORD: password } : {},
      log: options.log,
      ...(timeoutMs ? { timeoutMs } : {}),
    });
  const info = async (): Promise<FlywayInfo> => parseJson<FlywayInfo>(await flyway('info'), 'info');
  const applied = (result: FlywayInfo): string[] =>
    (result.migrations ?? [])
      .filter((m) => m.category === 'Versioned' && m.state === 'Success' && m.version)
      .map((m) => m.version ?? '')
      .sort(compareVersions);
  return {
    name: 'flyway',
    async current() {
      return (await info()).schemaVersion ?? 'base';
    },
    async resolveTarget(target, current) {
      const versions = applied(await info());
      const below = versions.filter((v) => compareVersions(v, current) < 0);
      const steps = /^-(\d+)$/.exec(target);
      if (steps) {
        const n = Number(steps[1]);
        if (n > versions.filter((v) => compareVersions(v, current) <= 0).length)
          throw new ConfigurationError(`is ${target}, but only ${versions.length} versioned migration(s) are applied`, 'target');
        return below[below.length - n] ?? 'base';
      }
      if (target === 'base') return 'base';
      if (!below.includes(target))
        throw new ConfigurationError(`"${target}" is not an applied version below ${current} (applied: ${versions.join(', ') || 'none'})`, 'target');
      return target;
    },
    async downgrade(target, current, timeoutMs) {
      // one `flyway undo` per version, so that each step is checked against the schema history
      const deadline = Date.now() + timeoutMs;
      let version = current;
      let last: ToolRun = { exitCode: 0, stdout: '', stderr: '', timedOut: false };
      while (version !== target && compareVersions(version, target === 'base' ? '0' : target) > 0) {
        last = await flyway('undo', Math.max(1000, deadline - Date.now()));
        if (last.exitCode !== 0 || last.timedOut) return last;
        const undone = parseJson<{ targetSchemaVersion?: string | null }>(last, 'undo');
        options.log.info(`  flyway undo: ${version} → ${undone.targetSchemaVersion ?? 'base'}`);
        const next = undone.targetSchemaVersion ?? 'base';
        if (next === version) return { ...last, exitCode: 1, stderr: `flyway undo did not change the schema version (${version})` };
        version = next;
      }
      return last;
    },
    async migrationsDown(current, target): Promise<Migration[]> {
      const result = await info();
      const locations = undoLocations(options.workingDirectory);
      return (result.migrations ?? [])
        .filter(
          (m) =>
            m.category === 'Versioned' &&
            m.state === 'Success' &&
            m.version &&
            compareVersions(m.version, current) <= 0 &&
            (target === 'base' || compareVersions(m.version, target) > 0),
        )
        .sort((a, b) => compareVersions(b.version ?? '0', a.version ?? '0'))
        .map((m) => {
          const sql = undoScript(locations, m.version ?? '');
          return {
            id: m.version ?? '',
            description: `${m.description ?? ''}${m.undoable === 'Yes' || sql ? '' : ' (NO undo migration)'}`,
            sql,
            ...(sql === undefined ? { sqlProblem: `no undo script U${m.version ?? ''}__*.sql in ${locations.join(', ')}` } : {}),
          };
        });
    },
  };
}
