import type { ActionManifest } from '../actions/manifest.js';
import type { ActionHost } from '../core/action.js';
import { runContextFromEnv } from '../core/github-host.js';
import type { Logger } from '../core/logger.js';
import { createSecretRegistry } from '../core/secrets.js';

export interface CliStreams {
  out: (text: string) => void;
  err: (text: string) => void;
  /** A person at a terminal can answer questions (stdin is a TTY). */
  interactive?: boolean;
  ask?: (question: string) => Promise<string>;
}

/** `database-url` → `KEIKO_DATABASE_URL`: how a terminal passes a secret without putting it in argv. */
export function envNameForInput(input: string): string {
  return `KEIKO_${input.toUpperCase().replace(/-/g, '_')}`;
}

export interface CliHost extends ActionHost {
  outputs: Record<string, string>;
  failed: boolean;
}

/** The terminal twin of the GitHub runner: flags instead of INPUT_*, stderr logs, outputs as JSON. */
export function cliHost(manifest: ActionManifest, flags: Record<string, string>, env: NodeJS.ProcessEnv, streams: CliStreams): CliHost {
  const mask = createSecretRegistry();
  const write = (line: string): void => streams.err(`${mask.redact(line)}\n`);
  const log: Logger = {
    info: write,
    warning: (m) => write(`warning: ${m}`),
    debug: (m) => {
      if (env.KEIKO_DEBUG === '1') write(`debug: ${m}`);
    },
    async group(name, body) {
      write(`▶ ${name}`);
      return body();
    },
  };
  const host: CliHost = {
    outputs: {},
    failed: false,
    log,
    context: runContextFromEnv(env),
    getState: () => '',
    getInput(name) {
      const value = flags[name] ?? env[envNameForInput(name)] ?? manifest.inputs[name]?.default ?? '';
      return value.trim();
    },
    maskSecret: (value) => mask.add(value),
    setOutput: (name, value) => {
      host.outputs[name] = value;
    },
    async writeSummary(markdown) {
      write(`\n${markdown}`);
    },
    fail(line, error) {
      host.failed = true;
      if (error instanceof Error && env.KEIKO_DEBUG === '1') write(error.stack ?? error.message);
      write(`error: ${line}`);
    },
  };
  return host;
}
