import { z } from 'zod';
import { parseVersionedPlan } from '../core/plans.js';
import { type DataLoss, dataLossSchema } from './data-loss.js';
import type { ConnectionInfo } from './libpq.js';

export const PLAN_KIND = 'keiko-rollback/database-plan';
export const PLAN_VERSION = 1;

const revision = z.string().regex(/^[A-Za-z0-9_.]{1,64}$/, 'must be a revision id or version (letters, digits, _ and .)');
const databaseIdentity = z.object({ host: z.string(), port: z.string(), name: z.string() });

const downgradePlan = z.object({
  version: z.literal(PLAN_VERSION),
  kind: z.literal(PLAN_KIND),
  operation: z.literal('downgrade'),
  engine: z.literal('postgres'),
  tool: z.enum(['alembic', 'flyway']),
  database: databaseIdentity,
  'from-revision': revision,
  'to-revision': revision,
  migrations: z.array(z.object({ id: revision, description: z.string() })),
  'data-loss': z.array(dataLossSchema),
  'created-at': z.string(),
});

const restorePlan = z.object({
  version: z.literal(PLAN_VERSION),
  kind: z.literal(PLAN_KIND),
  operation: z.literal('restore'),
  engine: z.literal('postgres'),
  database: databaseIdentity,
  archive: z.object({ path: z.string().min(1), bytes: z.number().int().nonnegative(), sha256: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)) }),
  'from-revision': z.string(),
  'created-at': z.string(),
});

export const databasePlanSchema = z.discriminatedUnion('operation', [downgradePlan, restorePlan]);
export type DatabasePlan = z.infer<typeof databasePlanSchema>;
export type DowngradePlan = z.infer<typeof downgradePlan>;
export type RestorePlan = z.infer<typeof restorePlan>;

export function identityOf(info: ConnectionInfo): DatabasePlan['database'] {
  return { host: info.host, port: info.port, name: info.database };
}

/** Parses the `plan` input; the message says what is wrong and what to pass instead. */
export function parsePlan(text: string): DatabasePlan | string {
  return parseVersionedPlan(text, PLAN_KIND, PLAN_VERSION, databasePlanSchema, 'rollback-database');
}

/** The plan belongs to this database; otherwise why not (a plan is made for one database only). */
export function foreignPlanProblem(plan: DatabasePlan, info: ConnectionInfo, tool: string): string | undefined {
  const here = identityOf(info);
  if (plan.database.host !== here.host || plan.database.port !== here.port || plan.database.name !== here.name) {
    return `was made for database ${plan.database.name} on ${plan.database.host}:${plan.database.port}, not for ${here.name} on ${here.host}:${here.port} (database-url)`;
  }
  if (plan.operation === 'downgrade' && plan.tool !== tool) return `was made with tool ${plan.tool}, but tool is ${tool}`;
  return undefined;
}

export type PlanDecision = { action: 'unchanged' } | { action: 'run' } | { action: 'refuse'; message: string };

/** Converge: at the plan's target nothing is written; at its start it runs; anywhere else it refuses. */
export function decideDowngrade(plan: DowngradePlan, live: string): PlanDecision {
  if (live === plan['to-revision']) return { action: 'unchanged' };
  if (live === plan['from-revision']) return { action: 'run' };
  return {
    action: 'refuse',
    message: `expects the database at ${plan['from-revision']} (to go to ${plan['to-revision']}), but it is at ${live} now: someone migrated in between. Make a new plan (a dry run) and approve that one; nothing was written`,
  };
}

export function lossRows(losses: readonly DataLoss[]): string[][] {
  return losses.map((l) => [
    l.migration,
    l.statement,
    l.column ? `${l.table}.${l.column}` : l.table,
    l.rows === null ? 'unknown' : l.statement === 'DROP COLUMN' ? `${l.values ?? 0} values in ${l.rows} rows` : String(l.rows),
    l.note,
  ]);
}
