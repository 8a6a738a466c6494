import type { z } from 'zod';
import { ConfigurationError, failureLine } from './errors.js';
import { readInputs, type InputSource } from './inputs.js';
import type { Logger } from './logger.js';
import { createSecretRegistry, type SecretRegistry } from './secrets.js';
import { failureSummary } from './summary.js';

export const ACTION_NAMES = [
  'rollback-service',
  'rollback-database',
  'rollback-frontend',
  'emergency-reroute',
  'verify',
] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

/** What `main` gets besides its inputs: everything it may touch in the outside world. */
export interface ActionContext {
  log: Logger;
  secrets: SecretRegistry;
  env: Readonly<Record<string, string | undefined>>;
  /** Identifies this run to other runs (Lease holder, change-cause). */
  runId: string;
  runUrl: string | undefined;
  actor: string;
  workspace: string;
  tempDir: string;
  /** Aborted when the run is cancelled (SIGINT/SIGTERM: Ctrl-C, or the runner cancelling the job). */
  cancel: AbortSignal;
  /** Kept for this action's post step (GITHUB_STATE), e.g. leases to release if the job is cancelled. */
  saveState(name: string, value: string): void;
}

export interface ActionResult {
  outputs: Record<string, string>;
  summary: string;
  /** Set when the step must fail after its outputs and summary were written (e.g. one service of four failed). */
  failure?: string;
}

export interface ActionDefinition<S extends z.ZodObject = z.ZodObject> {
  name: ActionName;
  title: string;
  schema: S;
  /** Inputs masked before anything is read or logged. */
  secretInputs: readonly string[];
  main(inputs: z.output<S>, context: ActionContext): Promise<ActionResult>;
}

/** Where an action runs: the GitHub runner or a terminal. */
export interface ActionHost extends InputSource {
  log: Logger;
  maskSecret(value: string): void;
  setOutput(name: string, value: string): void;
  writeSummary(markdown: string): Promise<void>;
  fail(line: string, error: unknown): void;
  getState(name: string): string;
  context: Omit<ActionContext, 'log' | 'secrets'>;
}

export function defineAction<S extends z.ZodObject>(definition: ActionDefinition<S>): ActionDefinition<S> {
  return definition;
}

/**
 * Runs one action on a host: masks secrets, validates every input, calls `main`, writes outputs
 * and the summary, and turns any failure (thrown value of any type) into one error line.
 */
export async function runAction<S extends z.ZodObject>(definition: ActionDefinition<S>, host: ActionHost): Promise<ActionResult | undefined> {
  const secrets = createSecretRegistry((value) => host.maskSecret(value));
  try {
    for (const name of definition.secretInputs) secrets.add(host.getInput(name).trim());
    const inputs = readInputs(definition.schema, host);
    const result = await definition.main(inputs, { ...host.context, log: host.log, secrets });
    for (const [name, value] of Object.entries(result.outputs)) host.setOutput(name, secrets.redact(value));
    await host.writeSummary(secrets.redact(result.summary));
    if (result.failure) host.fail(secrets.redact(result.failure), undefined);
    return result;
  } catch (error) {
    const line = secrets.redact(failureLine(error));
    // a bad input writes nothing, not even a summary: the step never started its work
    if (!(error instanceof ConfigurationError && error.input)) {
      await host.writeSummary(secrets.redact(failureSummary(definition.title, line))).catch(() => undefined);
    }
    host.fail(line, error);
    return undefined;
  }
}
