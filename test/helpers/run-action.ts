import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  state: Record<string, string>;
  errorLines: string[];
  /** Everything a person or a later step could see. */
  visible: string;
}

interface ActionYaml {
  inputs?: Record<string, { default?: string }>;
  runs: { main: string; post?: string };
}

export function readActionYaml(name: string): ActionYaml {
  return parseYaml(fs.readFileSync(path.join(ROOT, 'actions', name, 'action.yml'), 'utf8')) as ActionYaml;
}

/** Parses the runner's file-command format (`name<<DELIM\nvalue\nDELIM` or `name=value`). */
export function parseFileCommands(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name = '', delimiter] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? '');
      result[name] = value.join('\n');
    } else if (line.includes('=')) {
      result[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return result;
}

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  entry?: 'main' | 'post';
  state?: Record<string, string>;
  timeoutMs?: number;
  /** Shell commands run before the action in the same process (e.g. `umask 000`, `ulimit -f 64`). */
  prelude?: string;
  /** Sees stdout as it arrives, so a test can act on an event in the log instead of waiting a fixed time. */
  onStdout?: (soFar: string) => void;
  /** Sends the signal once, when stdout so far satisfies `when` (Ctrl-C, or the runner cancelling). */
  interrupt?: { when: (soFar: string) => boolean; signal: NodeJS.Signals };
}

/**
 * Runs a built action the way the runner does: INPUT_* with action.yml defaults applied,
 * the file-command files, the node that npm scripts run (Node 24), and no inherited GITHUB_* state.
 */
export async function runAction(name: string, inputs: Record<string, string>, options: RunOptions = {}): Promise<ActionRun> {
  const meta = readActionYaml(name);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `keiko-${name}-`));
  const files = { GITHUB_OUTPUT: 'output', GITHUB_STEP_SUMMARY: 'summary', GITHUB_STATE: 'state', GITHUB_ENV: 'env' };
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.homedir(),
    RUNNER_TEMP: dir,
    GITHUB_WORKSPACE: options.cwd ?? dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: 'keiko/platform',
    GITHUB_RUN_ID: String(process.pid) + String(Date.now() % 100000),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'rollback',
    GITHUB_ACTOR: 'oncall-engineer',
    GITHUB_SERVER_URL: 'https://github.com',
  };
  for (const [key, file] of Object.entries(files)) {
    env[key] = path.join(dir, file);
    fs.writeFileSync(env[key], '');
  }
  for (const [input, spec] of Object.entries(meta.inputs ?? {})) {
    env[`INPUT_${input.toUpperCase()}`] = inputs[input] ?? spec.default ?? '';
  }
  for (const input of Object.keys(inputs)) {
    if (!(input in (meta.inputs ?? {}))) throw new Error(`test passes undeclared input ${input} to ${name}`);
  }
  for (const [key, value] of Object.entries(options.state ?? {})) env[`STATE_${key}`] = value;
  Object.assign(env, options.env);
  const script = path.resolve(ROOT, 'actions', name, options.entry === 'post' ? (meta.runs.post ?? '') : meta.runs.main);
  const child = options.prelude
    ? spawn('bash', ['-c', `${options.prelude}; exec "$0" "$@"`, process.execPath, script], { env, cwd: options.cwd ?? dir })
    : spawn(process.execPath, [script], { env, cwd: options.cwd ?? dir });
  let stdout = '';
  let stderr = '';
  let interrupted = false;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    options.onStdout?.(stdout);
    if (options.interrupt && !interrupted && options.interrupt.when(stdout)) {
      interrupted = true;
      child.kill(options.interrupt.signal);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  const read = (key: keyof typeof files): string => fs.readFileSync(env[key] ?? '', 'utf8');
  const outputs = parseFileCommands(read('GITHUB_OUTPUT'));
  const summary = read('GITHUB_STEP_SUMMARY');
  const state = parseFileCommands(read('GITHUB_STATE'));
  // the failure annotation carries a title (`::error title=rollback-service failed::…`); tests compare the message
  const untitled = (text: string): string => text.replace(/^::(error|warning) title=[^:]*::/gm, '::$1::');
  const errorLines = untitled(`${stdout}\n${stderr}`)
    .split('\n')
    .filter((line) => line.startsWith('::error'));
  // ::add-mask:: lines are commands the runner consumes; everything else is shown
  const shown = (text: string): string =>
    untitled(text)
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n');
  return { code, stdout, stderr, outputs, summary, state, errorLines, visible: [shown(stdout), shown(stderr), summary, JSON.stringify(outputs)].join('\n') };
}

/** No stack frames in what a person sees. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+\(.+:\d+:\d+\)$/m.test(text) || /^\s+at .+:\d+:\d+$/m.test(text);
}
