import type { ToolRun } from '../core/exec.js';

/** What rollback-database needs from a migration tool (Alembic, Flyway). */
export interface MigrationTool {
  name: 'alembic' | 'flyway';
  /** The applied revision or version; `base` when none is. */
  current(): Promise<string>;
  /** `-N` and `base` made concrete; throws ConfigurationError for a target that is not below `current`. */
  resolveTarget(target: string, current: string): Promise<string>;
  downgrade(target: string, current: string, timeoutMs: number): Promise<ToolRun>;
  /** What a downgrade would do, without doing it. */
  preview(current: string, target: string): Promise<string>;
}

export class MigrationError extends Error {}
