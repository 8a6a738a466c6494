import type { z } from 'zod';
import { ConfigurationError, describeError, failureLine, RunTimeout } from './errors.js';
import { type InputTable, secretInputsOf } from './input-table.js';
import { type InputSource, readInputs } from './inputs.js';
import type { Logger } from './logger.js';
import { PhaseLog } from './phase-log.js';
import { createRunClock, isAbort, RELEASE_GRACE_MS, type RunClock } from './run-clock.js';
import { createSecretRegistry, credentialsInText, type SecretRegistry } from './secrets.js';
import { markStartup, startupLine } from './startup.js';
import { failureSummary } from './summary.js';

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
  /** The run's one clock (its `timeout` and the cancel): every call, watch, child and retry takes its signal. */
  clock: RunClock;
  /** The run's phases: each in a log group, timed; their line ends the summary. */
  phases: PhaseLog;
  /** Kept for this action's post step (GITHUB_STATE), e.g. leases to release if the job is cancelled. */
  saveState(name: string, value: string): void;
}

export interface ActionResult<O extends string = string> {
  /** Only declared outputs: a name the action does not declare does not compile. */
  outputs: Partial<Record<O, string>>;
  summary: string;
  /** Set when the step must fail after its outputs and summary were written (e.g. one service of four failed). */
  failure?: string;
  /** A finding the step does not fail on (e.g. unhealthy with fail-on-unhealthy: false): still an annotation. */
  warning?: string;
}

/** What a post step gets: its host, the run's secrets, and the inputs (read on demand, so a post step with nothing to do reads none). */
export interface PostStep<I> {
  host: ActionHost;
  secrets: SecretRegistry;
  inputs(): I;
}

/**
 * Everything one action is, declared once: its metadata and inputs (action.yml, CLI flags and --help),
 * its schema (the table's validators plus rules across inputs), its outputs, the clients `main` talks
 * through, `main` itself and an optional post step.
 */
export interface ActionDefinition<S extends z.ZodObject = z.ZodObject, O extends string = string, C = unknown> {
  name: string;
  /** The CLI's command, e.g. `service` for `keiko-rollback service`. */
  command: string;
  title: string;
  description: string;
  icon: string;
  color: string;
  inputs: InputTable;
  schema: S;
  outputs: Record<O, string>;
  /** Builds the real outside-world clients from the inputs; tests call `main` with their own. */
  clients(inputs: z.output<S>, context: ActionContext): Promise<C>;
  /** Frees what `clients` opened, whatever `main` did. */
  release?(clients: C): void | Promise<void>;
  main(inputs: z.output<S>, context: ActionContext, clients: C): Promise<ActionResult<O>>;
  /** Runs when the job ends (action.yml `post`, `post-if: always()`); never fails the job. */
  post?(step: PostStep<z.output<S>>): Promise<void>;
}

/** What the host knows of the run before the action starts (the rest of ActionContext is made by runAction). */
export type RunContext = Omit<ActionContext, 'log' | 'secrets' | 'clock' | 'phases'>;

/** Where an action runs: the GitHub runner or a terminal. */
export interface ActionHost extends InputSource {
  log: Logger;
  maskSecret(value: string): void;
  setOutput(name: string, value: string): void;
  writeSummary(markdown: string): Promise<void>;
  fail(line: string, error: unknown): void;
  getState(name: string): string;
  context: RunContext;
}

export function defineAction<S extends z.ZodObject, O extends string, C>(definition: ActionDefinition<S, O, C>): ActionDefinition<S, O, C> {
  return definition;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

function runEnded(clock: RunClock): RunTimeout {
  return new RunTimeout(
    `${clock.timedOut() ? `timed out after ${clock.label}` : 'cancelled'}; what was done is in the log above — read the live state before re-running`,
  );
}

/**
 * The last line of defence for the `timeout`: whatever `main` still waits for, the run ends a few
 * seconds after its time is up (those seconds are for releasing Leases and writing the summary).
 */
async function withBackstop<T>(work: Promise<T>, clock: RunClock): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const backstop = new Promise<never>((_, reject) => {
    const fire = (): void => {
      timer = setTimeout(() => reject(runEnded(clock)), RELEASE_GRACE_MS);
    };
    if (clock.signal.aborted) fire();
    else clock.signal.addEventListener('abort', fire, { once: true });
  });
  try {
    return await Promise.race([work, backstop]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

async function withClients<S extends z.ZodObject, O extends string, C>(
  definition: ActionDefinition<S, O, C>,
  inputs: z.output<S>,
  context: ActionContext,
): Promise<ActionResult<O>> {
  const clients = await definition.clients(inputs, context);
  markStartup('clients');
  try {
    return await definition.main(inputs, context, clients);
  } finally {
    await definition.release?.(clients);
  }
}

/**
 * Runs one action on a host: masks secrets, validates every input, calls `main`, writes outputs
 * and the summary, and turns any failure (thrown value of any type) into one error line.
 */
export async function runAction<S extends z.ZodObject, O extends string, C>(
  definition: ActionDefinition<S, O, C>,
  host: ActionHost,
): Promise<ActionResult<O> | undefined> {
  const secrets = createSecretRegistry((value) => host.maskSecret(value));
  let clock: RunClock | undefined;
  try {
    for (const name of secretInputsOf(definition.inputs)) secrets.add(host.getInput(name).trim());
    // credentials typed into a URL of any input (even a mistyped one) are masked before a message could echo them
    for (const name of Object.keys(definition.schema.shape)) for (const credential of credentialsInText(host.getInput(name))) secrets.add(credential);
    const inputs = readInputs(definition.schema, host);
    markStartup('inputs');
    const limit = (inputs as { timeout?: unknown }).timeout;
    clock = createRunClock(typeof limit === 'number' ? limit : DEFAULT_TIMEOUT_MS, host.context.cancel);
    host.log.debug(`clock started: the run ends within ${clock.label}`);
    const context: ActionContext = { ...host.context, log: host.log, secrets, clock, phases: new PhaseLog(host.log) };
    const result = await withBackstop(withClients(definition, inputs, context), clock);
    for (const [name, value] of Object.entries<string | undefined>(result.outputs)) host.setOutput(name, secrets.redact(value ?? ''));
    const phases = context.phases.line();
    await host.writeSummary(secrets.redact(phases ? `${result.summary.trimEnd()}\n\n${phases}\n` : result.summary));
    if (result.failure) host.fail(secrets.redact(result.failure), undefined);
    else if (result.warning) host.log.warning(secrets.redact(result.warning));
    host.log.debug(startupLine());
    return result;
  } catch (error) {
    // an abort that escaped `main` is the run's clock (or a cancel), not a bug
    const ended = clock?.signal.aborted && isAbort(error) ? runEnded(clock) : error;
    const line = secrets.redact(failureLine(ended));
    // a bad input writes nothing, not even a summary: the step never started its work
    if (!(error instanceof ConfigurationError && error.input)) {
      await host.writeSummary(secrets.redact(failureSummary(definition.title, line))).catch(() => undefined);
    }
    host.fail(line, error);
    return undefined;
  }
}

/** The post step of an action: masks its secrets like the main step did; a failure is a warning, never a failed job. */
export async function runPostStep<S extends z.ZodObject, O extends string, C>(definition: ActionDefinition<S, O, C>, host: ActionHost): Promise<void> {
  if (!definition.post) return;
  const secrets = createSecretRegistry((value) => host.maskSecret(value));
  for (const name of secretInputsOf(definition.inputs)) secrets.add(host.getInput(name).trim());
  try {
    await definition.post({ host, secrets, inputs: () => readInputs(definition.schema, host) });
  } catch (error) {
    host.log.warning(secrets.redact(`post step of ${definition.name}: ${describeError(error)}`));
  }
}

/** An action bound to its own types, callable by name from the registry and the entry's lazy catalog alike. */
export interface ActionRunner {
  run(host: ActionHost): Promise<ActionResult | undefined>;
  post(host: ActionHost): Promise<void>;
}

export function runnerOf<S extends z.ZodObject, O extends string, C>(definition: ActionDefinition<S, O, C>): ActionRunner {
  return { run: (host) => runAction(definition, host), post: (host) => runPostStep(definition, host) };
}
