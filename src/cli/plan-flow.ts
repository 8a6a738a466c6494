import fs from 'node:fs';
import type { RegisteredAction } from '../actions/registry.js';
import { ConfigurationError } from '../core/errors.js';
import { runTool } from '../core/exec.js';
import { processCancellation } from '../core/github-host.js';
import { type CliStreams, cliHost } from './cli-host.js';

export interface RunRequest {
  action: RegisteredAction;
  flags: Record<string, string>;
  env: NodeJS.ProcessEnv;
  streams: CliStreams;
  /** `--plan-out FILE`: where the run's `plan` output is written. */
  planOut?: string;
}

/** `--plan` takes the JSON or the path of a file holding it (e.g. a saved `plan` output). */
export function planText(value: string): string {
  if (value.trim().startsWith('{')) return value;
  if (!fs.existsSync(value)) throw new ConfigurationError(`--plan ${value}: no such file, and not JSON: pass the plan JSON or the path of a file holding it`);
  return fs.readFileSync(value, 'utf8');
}

/** The person at the terminal, for change-causes and leases: git's user.name, else $USER. */
export async function terminalActor(env: NodeJS.ProcessEnv): Promise<string> {
  if (env.KEIKO_ACTOR) return env.KEIKO_ACTOR;
  const git = await runTool('git', ['config', 'user.name'], { timeoutMs: 5000 }).catch(() => undefined);
  const name = git?.exitCode === 0 ? git.stdout.trim() : '';
  return name || env.USER || env.LOGNAME || 'unknown';
}

/** Outputs as plain JSON values: an output that holds JSON (result, plan) is printed as JSON, not as a string of it. */
export function printableOutputs(outputs: Record<string, string>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(outputs).map(([name, value]) => {
      if (!/^[[{]/.test(value)) return [name, value];
      try {
        return [name, JSON.parse(value) as unknown];
      } catch {
        return [name, value];
      }
    }),
  );
}

function exitCode(failed: boolean): number {
  const cancel = processCancellation();
  if (cancel.aborted) return (cancel.reason as { signal?: string } | undefined)?.signal === 'SIGINT' ? 130 : 143;
  return failed ? 1 : 0;
}

export async function runOnce(request: RunRequest): Promise<number> {
  const host = cliHost(request.action.manifest, request.flags, request.env, request.streams);
  await request.action.run(host);
  if (Object.keys(host.outputs).length > 0) request.streams.out(`${JSON.stringify(printableOutputs(host.outputs), null, 2)}\n`);
  if (request.planOut && host.outputs.plan) fs.writeFileSync(request.planOut, `${host.outputs.plan}\n`);
  return exitCode(host.failed);
}

/** Nothing to write: every service unchanged, or the database already at its target. */
function nothingToDo(outputs: Record<string, string>): boolean {
  if (outputs.status === 'unchanged') return true;
  const results = printableOutputs(outputs).result;
  return Array.isArray(results) && results.length > 0 && results.every((r) => (r as { status?: string }).status === 'unchanged');
}

/**
 * At a terminal: make the plan (a dry run, shown in full), ask, then execute exactly that plan —
 * never a target re-resolved after the question, so what was shown is what runs.
 */
export async function planThenRun(request: RunRequest): Promise<number> {
  const { action, flags, env, streams } = request;
  const planning = cliHost(action.manifest, { ...flags, 'dry-run': 'true' }, env, streams);
  await action.run(planning);
  const plan = planning.outputs.plan;
  if (request.planOut && plan) fs.writeFileSync(request.planOut, `${plan}\n`);
  if (planning.failed || !plan || nothingToDo(planning.outputs)) {
    if (Object.keys(planning.outputs).length > 0) streams.out(`${JSON.stringify(printableOutputs(planning.outputs), null, 2)}\n`);
    return exitCode(planning.failed);
  }
  const answer = (await streams.ask?.('Proceed? [y/N] ')) ?? '';
  if (!/^y(es)?$/i.test(answer.trim())) {
    streams.err('Not confirmed: nothing was written.\n');
    return 1;
  }
  const { target: _target, 'restore-from': _restoreFrom, ...rest } = flags;
  return runOnce({ ...request, flags: { ...rest, plan } });
}

export async function askOnTerminal(question: string): Promise<string> {
  const readline = await import('node:readline/promises');
  const terminal = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await terminal.question(question);
  } finally {
    terminal.close();
  }
}
