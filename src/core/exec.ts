import { exec, getExecOutput } from '@actions/exec';
import type { Logger } from './logger.js';

export interface ToolRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface ToolOptions {
  cwd?: string;
  /** Added to the process environment (secrets go here, never into args). */
  env?: Record<string, string>;
  timeoutMs?: number;
  log?: Logger;
  /** Stream the tool's output lines into the log (they pass the same secret masking). */
  echo?: boolean;
}

const TIMEOUT_EXIT = 124;

/**
 * Variables no child needs and that carry secrets: the runner's inputs (`INPUT_DATABASE-URL`,
 * `INPUT_VERCEL-TOKEN`, …), the CLI's secret inputs (`KEIKO_*`), the CLI's per-environment
 * database URLs, and the runner's own tokens. A tool gets what it needs through `env` instead.
 */
const PRIVATE_VARIABLES = [
  /^INPUT_/i,
  /^KEIKO_.*(URL|TOKEN|KEY|KUBECONFIG|PASSWORD|SECRET|HEADERS)/,
  /^DATABASE_URL_/,
  /^ACTIONS_(RUNTIME_TOKEN|ID_TOKEN_REQUEST_TOKEN|ID_TOKEN_REQUEST_URL|RESULTS_URL|RUNTIME_URL|CACHE_URL)$/,
  /^GITHUB_TOKEN$/,
];

/** The environment a child process starts from: this process's, without the private variables. */
export function childEnvironment(source: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(source)) if (v !== undefined && !PRIVATE_VARIABLES.some((p) => p.test(k))) env[k] = v;
  return env;
}

/**
 * Runs a tool through @actions/exec with an argument array: no shell ever parses it. A time limit
 * wraps it in coreutils `timeout`, which ends it (TERM, then KILL after 10 s) when the limit passes.
 */
function invocation(
  tool: string,
  args: readonly string[],
  options: ToolOptions,
): { command: string; commandArgs: string[]; env: Record<string, string>; seconds: number | undefined } {
  const seconds = options.timeoutMs !== undefined ? Math.max(1, Math.ceil(options.timeoutMs / 1000)) : undefined;
  const [command, commandArgs] = seconds !== undefined ? ['timeout', ['--signal=TERM', '--kill-after=10', `${seconds}s`, tool, ...args]] : [tool, [...args]];
  const env = childEnvironment(process.env);
  Object.assign(env, options.env);
  options.log?.debug(`run: ${tool} ${args.join(' ')}`);
  return { command, commandArgs, env, seconds };
}

export async function runTool(tool: string, args: readonly string[], options: ToolOptions = {}): Promise<ToolRun> {
  const { command, commandArgs, env, seconds } = invocation(tool, args, options);
  const result = await getExecOutput(command, commandArgs, {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env,
    silent: true,
    ignoreReturnCode: true,
    ...(options.echo && options.log
      ? { listeners: { stdline: (line: string) => options.log?.info(`  ${line}`), errline: (line: string) => options.log?.info(`  ${line}`) } }
      : {}),
  }).catch((error: unknown) => {
    // the tool is not installed: say which and how to get it
    throw new Error(`could not run ${tool}: ${error instanceof Error ? error.message : String(error)}`);
  });
  return { ...result, timedOut: seconds !== undefined && result.exitCode === TIMEOUT_EXIT };
}

/** The last lines of a tool's error output, for a one-line failure message. */
export function tail(text: string, lines = 3): string {
  return text.trim().split('\n').slice(-lines).join(' | ');
}

/**
 * Runs a tool whose output is too large to keep (a whole archive as SQL): each stdout line goes to
 * `onLine` and is dropped; only the last lines of stderr are kept for the error message.
 */
export async function streamTool(tool: string, args: readonly string[], onLine: (line: string) => void, options: ToolOptions = {}): Promise<ToolRun> {
  const { command, commandArgs, env, seconds } = invocation(tool, args, options);
  let stderr = '';
  const exitCode = await exec(command, commandArgs, {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env,
    silent: true,
    ignoreReturnCode: true,
    listeners: {
      stdline: onLine,
      stderr: (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-4000);
      },
    },
  }).catch((error: unknown) => {
    throw new Error(`could not run ${tool}: ${error instanceof Error ? error.message : String(error)}`);
  });
  return { exitCode, stdout: '', stderr, timedOut: seconds !== undefined && exitCode === TIMEOUT_EXIT };
}
