import type { z } from 'zod';
import { describeError } from './errors.js';

/**
 * Parses a plan made by an earlier run (`plan` input): JSON, the right kind, the version this build
 * executes, the schema. Returns the plan, or the problem as text for the input's one error line.
 */
export function parseVersionedPlan<S extends z.ZodType>(text: string, kind: string, version: number, schema: S, madeBy: string): z.output<S> | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return `is not JSON (${describeError(error)}): pass the \`plan\` output of a ${madeBy} run (a dry run makes one)`;
  }
  const head = parsed as { version?: unknown; kind?: unknown } | null;
  if (head?.kind !== kind) return `is not a ${madeBy} plan (kind must be "${kind}"): pass the \`plan\` output of ${madeBy}`;
  if (head.version !== version)
    return `has version ${JSON.stringify(head.version)}; this keiko-rollback executes plan version ${version}: make the plan again with this version`;
  const result = schema.safeParse(parsed);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  return `is malformed at ${issue?.path.join('.') || 'the top'}: ${issue?.message ?? 'invalid'}; make the plan again instead of editing it`;
}
