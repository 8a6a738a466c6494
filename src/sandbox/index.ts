import type { CliStreams } from '../cli/cli-host.js';

export async function runSandboxCli(command: string, _argv: string[], _env: NodeJS.ProcessEnv, streams: CliStreams): Promise<number> {
  streams.err(`error: '${command}' is not available yet\n`);
  return 1;
}
