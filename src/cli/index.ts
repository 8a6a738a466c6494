import { ACTIONS, actionForCommand, type RegisteredAction } from '../actions/registry.js';
import { ConfigurationError, failureLine } from '../core/errors.js';
import { parseArguments } from './arguments.js';
import type { CliStreams } from './cli-host.js';
import { GITHUB_COMMANDS, runGitHubCommand } from './github-commands.js';
import { commandHelp, mainHelp } from './help.js';
import { askOnTerminal, planText, planThenRun, runOnce, terminalActor } from './plan-flow.js';
import { runSandboxCommand } from './sandbox-command.js';

const defaultStreams: CliStreams = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  interactive: Boolean(process.stdin.isTTY),
  ask: askOnTerminal,
};

/** `DATABASE_URL_PRODUCTION` for `production`: one variable per environment, so a typo never reaches the wrong database. */
export function databaseUrlVariable(environment: string): string {
  return `DATABASE_URL_${environment.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** Maps the runbook's `database-rollback.sh <target-migration> [environment]` onto inputs and the URL's variable. */
function databasePositionals(
  positionals: string[],
  flags: Record<string, string>,
  env: NodeJS.ProcessEnv,
): { flags: Record<string, string>; env: NodeJS.ProcessEnv } {
  const [target, environment] = positionals;
  const merged: Record<string, string> = { ...flags, ...(target ? { target } : {}) };
  if (merged['database-url'] || env.KEIKO_DATABASE_URL) return { flags: merged, env };
  const variable = environment ? databaseUrlVariable(environment) : 'DATABASE_URL';
  const url = env[variable];
  if (url) return { flags: merged, env: { ...env, KEIKO_DATABASE_URL: url } };
  if (environment)
    throw new ConfigurationError(`${variable} is not set: export the ${environment} database's URL in it (kept out of argv), or pass --database-url`);
  return { flags: merged, env };
}

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

async function runActionCommand(action: RegisteredAction, argv: string[], givenEnv: NodeJS.ProcessEnv, streams: CliStreams): Promise<number> {
  const switches = new Set([
    ...Object.entries(action.manifest.inputs)
      .filter(([, input]) => input.default === 'true' || input.default === 'false')
      .map(([name]) => name),
    'yes',
  ]);
  const parsed = parseArguments(argv, new Set([...Object.keys(action.manifest.inputs), ...(action.manifest.inputs.plan ? ['yes', 'plan-out'] : [])]), switches);
  if (parsed.help) {
    streams.out(`${commandHelp(action.manifest)}\n`);
    return 0;
  }
  const { yes, 'plan-out': planOut, ...given } = parsed.flags;
  const positional = action.manifest.name === 'rollback-database' && parsed.positionals.length <= 2;
  const { flags, env } = positional
    ? databasePositionals(parsed.positionals, given, givenEnv)
    : { flags: runbookPositionals(action, parsed.positionals, given), env: givenEnv };
  if (flags.plan) flags.plan = planText(flags.plan);
  const request = { action, flags, env: { ...env, KEIKO_ACTOR: await terminalActor(env) }, streams, ...(planOut ? { planOut } : {}) };
  const confirm =
    Boolean(action.manifest.inputs.plan) &&
    streams.interactive === true &&
    streams.ask !== undefined &&
    yes !== 'true' &&
    flags['dry-run'] !== 'true' &&
    !flags.plan;
  return confirm ? planThenRun(request) : runOnce(request);
}

export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env, streams: CliStreams = defaultStreams): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (!command || command === '--help' || command === '-h' || command === 'help') {
      streams.out(`${mainHelp()}\n`);
      return command ? 0 : 1;
    }
    if (command === 'sandbox' || command === 'drill') return await runSandboxCommand(command, rest, env, streams);
    if (GITHUB_COMMANDS.includes(command)) return await runGitHubCommand(command, rest, env, streams);
    const action = actionForCommand(command);
    if (!action) {
      const known = Object.values(ACTIONS)
        .map((a) => a.manifest.command)
        .join(', ');
      throw new ConfigurationError(`unknown command "${command}" (commands: ${known}, sandbox, drill, ${GITHUB_COMMANDS.join(', ')}; see --help)`);
    }
    return await runActionCommand(action, rest, env, streams);
  } catch (error) {
    const line = failureLine(error);
    streams.err(`error: ${line}\n`);
    // in a workflow step the failure is also an annotation that names the command
    if (env.GITHUB_ACTIONS === 'true') streams.err(`::error title=keiko-rollback ${command} failed::${line.replace(/%/g, '%25').replace(/\r?\n/g, '%0A')}\n`);
    return 1;
  }
}
