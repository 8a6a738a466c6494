import { ConfigurationError, failureLine } from '../core/errors.js';
import { ACTIONS, actionForCommand, type RegisteredAction } from '../actions/registry.js';
import { parseArguments } from './arguments.js';
import { cliHost, type CliStreams } from './cli-host.js';
import { commandHelp, mainHelp } from './help.js';
import { runGitHubCommand } from './github-commands.js';
import { runSandboxCommand } from './sandbox-command.js';

const defaultStreams: CliStreams = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Maps the runbook's `rollback.sh <service-name> <target-version> [environment]` onto inputs. */
function runbookPositionals(action: RegisteredAction, positionals: string[], flags: Record<string, string>): Record<string, string> {
  if (positionals.length === 0) return flags;
  if (action.manifest.name !== 'rollback-service' || positionals.length > 3) {
    throw new ConfigurationError(`unexpected argument "${positionals[0]}": inputs are given as --<input> <value> (see --help)`);
  }
  const [services, target, environment] = positionals;
  const merged = { ...flags };
  if (services) merged.services = services;
  if (target) merged.target = target;
  if (!merged.namespace && !merged.environment) merged.environment = environment ?? 'production';
  return merged;
}

async function runActionCommand(action: RegisteredAction, argv: string[], env: NodeJS.ProcessEnv, streams: CliStreams): Promise<number> {
  const parsed = parseArguments(argv, new Set(Object.keys(action.manifest.inputs)));
  if (parsed.help) {
    streams.out(`${commandHelp(action.manifest)}\n`);
    return 0;
  }
  const flags = runbookPositionals(action, parsed.positionals, parsed.flags);
  const host = cliHost(action.manifest, flags, env, streams);
  await action.run(host);
  if (Object.keys(host.outputs).length > 0) streams.out(`${JSON.stringify(host.outputs, null, 2)}\n`);
  return host.failed ? 1 : 0;
}

export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env, streams: CliStreams = defaultStreams): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (!command || command === '--help' || command === '-h' || command === 'help') {
      streams.out(`${mainHelp()}\n`);
      return command ? 0 : 1;
    }
    if (command === 'sandbox' || command === 'drill') return await runSandboxCommand(command, rest, env, streams);
    if (command === 'environments' || command === 'report' || command === 'plan-summary') return await runGitHubCommand(command, rest, env, streams);
    const action = actionForCommand(command);
    if (!action) {
      const known = Object.values(ACTIONS).map((a) => a.manifest.command).join(', ');
      throw new ConfigurationError(`unknown command "${command}" (commands: ${known}, sandbox, drill, environments, plan-summary, report; see --help)`);
    }
    return await runActionCommand(action, rest, env, streams);
  } catch (error) {
    streams.err(`error: ${failureLine(error)}\n`);
    return 1;
  }
}
