import { ConfigurationError } from '../core/errors.js';

export interface ParsedArguments {
  positionals: string[];
  flags: Record<string, string>;
  help: boolean;
}

const BOOLEAN_WORDS = new Set(['true', 'True', 'TRUE', 'false', 'False', 'FALSE']);

/**
 * Not node:util's parseArgs: here a switch may also take an explicit true/false (`--dry-run false`, as the action
 * inputs do), which parseArgs' boolean options cannot express.
 * `--name value`, `--name=value`; a switch (a boolean option) may stand alone and then means
 * "true"; `--` ends the flags. An option that takes a value refuses another option as its value
 * (`--namespace --dry-run` is a forgotten value, not the namespace "--dry-run"): `--name=--x` says it on purpose.
 */
export function parseArguments(argv: readonly string[], knownFlags: ReadonlySet<string>, switches: ReadonlySet<string> = new Set()): ParsedArguments {
  const result: ParsedArguments = { positionals: [], flags: {}, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      result.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '--help' || arg === '-h') {
      result.help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      result.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (!knownFlags.has(name)) {
      throw new ConfigurationError(`unknown option --${name} (see --help for the options)`);
    }
    if (eq !== -1) {
      result.flags[name] = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (switches.has(name)) {
        const explicit = next !== undefined && BOOLEAN_WORDS.has(next);
        result.flags[name] = explicit ? next : 'true';
        if (explicit) i++;
      } else if (next === undefined || next.startsWith('--')) {
        throw new ConfigurationError(
          `option --${name} needs a value${next === undefined ? '' : ` (the next word is the option ${next})`}: write --${name} VALUE, or --${name}=VALUE when the value starts with --`,
        );
      } else {
        result.flags[name] = next;
        i++;
      }
    }
  }
  return result;
}
