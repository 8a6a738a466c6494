import { ConfigurationError } from '../core/errors.js';
import type { CliStreams } from './cli-host.js';
import { type DrillSandbox, runDrill } from './drill.js';

/** The sandbox ships as its own bundle so that no action bundle carries an emulator. */
export interface SandboxModule extends DrillSandbox {
  runSandboxCli(command: string, argv: string[], env: NodeJS.ProcessEnv, streams: CliStreams): Promise<number>;
}

const SANDBOX_FOLDER = process.env.KEIKO_SANDBOX_FOLDER ?? 'sandbox';

async function loadSandbox(): Promise<SandboxModule> {
  // resolved at run time on purpose: a literal path would make the bundler inline the emulators
  const relative = [SANDBOX_FOLDER, 'index.js'].join('/');
  const url = new URL(`../${relative}`, import.meta.url).href;
  try {
    return (await import(/* webpackIgnore: true */ url)) as SandboxModule;
  } catch (error) {
    throw new ConfigurationError(
      `the sandbox is not available here (${error instanceof Error ? error.message : String(error)}); run it from a checkout after \`npm ci\``,
    );
  }
}

export async function runSandboxCommand(command: string, argv: string[], env: NodeJS.ProcessEnv, streams: CliStreams): Promise<number> {
  const sandbox = await loadSandbox();
  if (command === 'drill') return runDrill(sandbox, argv, env, streams);
  return sandbox.runSandboxCli(command, argv, env, streams);
}
