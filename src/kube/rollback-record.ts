import { z } from 'zod';
import { ConfigurationError } from '../core/errors.js';
import type { Revision } from './history.js';
import { type Deployment, POD_TEMPLATE_HASH } from './types.js';

/**
 * Written on the Deployment by every rollback: what it moved away from and to. It is how a re-run
 * knows that the live release was put there by a rollback, and which releases not to return to.
 */
export const ROLLED_BACK_FROM = 'rollback.keiko.io/rolled-back-from';
const KEPT = 20;

const side = z.object({ hash: z.string(), version: z.string(), revision: z.number().int() });
const entrySchema = z.object({ from: side, to: side, run: z.string(), at: z.string() });
const recordSchema = z.object({ version: z.literal(1), entries: z.array(entrySchema) });
export type RollbackEntry = z.infer<typeof entrySchema>;

export function hashOf(revision: Revision | undefined): string {
  return revision?.replicaSet.metadata.labels?.[POD_TEMPLATE_HASH] ?? '';
}

/** The rollbacks recorded on a deployment, oldest first. A record of another version is a clear error, never a silent misread. */
export function rollbackEntries(deployment: Deployment): RollbackEntry[] {
  const text = deployment.metadata.annotations?.[ROLLED_BACK_FROM];
  if (!text) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigurationError(
      `deployment ${deployment.metadata.name} has an unreadable ${ROLLED_BACK_FROM} annotation; remove it with 'kubectl annotate deployment/${deployment.metadata.name} ${ROLLED_BACK_FROM}-' and run again`,
    );
  }
  const record = recordSchema.safeParse(parsed);
  if (record.success) return record.data.entries;
  const version = (parsed as { version?: unknown } | null)?.version;
  throw new ConfigurationError(
    `deployment ${deployment.metadata.name} has a ${ROLLED_BACK_FROM} annotation of version ${JSON.stringify(version)}; this keiko-rollback reads version 1 (use the version that wrote it)`,
  );
}

export function withEntry(entries: readonly RollbackEntry[], entry: RollbackEntry): string {
  return JSON.stringify({ version: 1, entries: [...entries, entry].slice(-KEPT) });
}

/** The rollback that put the live template there, if one did (the newest such record). */
export function putThereBy(entries: readonly RollbackEntry[], liveHash: string): RollbackEntry | undefined {
  return liveHash ? [...entries].reverse().find((e) => e.to.hash === liveHash) : undefined;
}

/** The rollback that moved away from this template, if one did. */
export function movedAwayBy(entries: readonly RollbackEntry[], hash: string): RollbackEntry | undefined {
  return hash ? [...entries].reverse().find((e) => e.from.hash === hash) : undefined;
}

export function describeEntry(entry: RollbackEntry): string {
  return `${entry.run} rolled back from ${entry.from.version} (revision ${entry.from.revision}) to ${entry.to.version} at ${entry.at}`;
}
