import type { ToolRun } from '../core/exec.js';

export interface Migration {
  /** Alembic revision id or Flyway version. */
  id: string;
  description: string;
  /** The SQL its downgrade runs, as the tool shows it offline; undefined when the tool cannot show it. */
  sql: string | undefined;
  /** Why the tool could not show the SQL (e.g. the downgrade needs a live connection). */
  sqlProblem?: string;
}

/** What rollback-database needs from a migration tool (Alembic, Flyway). */
export interface MigrationTool {
  name: 'alembic' | 'flyway';
  /** The applied revision or version; `base` when none is. */
  current(): Promise<string>;
  /** `-N` and `base` made concrete; throws ConfigurationError for a target that is not below `current`. */
  resolveTarget(target: string, current: string): Promise<string>;
  /** The migrations a downgrade from `current` to `target` runs, newest first, with their SQL. */
  migrationsDown(current: string, target: string): Promise<Migration[]>;
  downgrade(target: string, current: string, timeoutMs: number): Promise<ToolRun>;
}

export class MigrationError extends Error {}
