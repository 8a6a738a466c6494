import { ConfigurationError } from '../core/errors.js';

export interface ParsedArguments {
  positionals: string[];
  flags: Record<string, string>;
  help: boolean;
}

/** `--name value`, `--name=value`, a bare `--flag` means "true"; `--` ends the flags. */
export function parseArguments(argv: readonly string[], knownFlags: ReadonlySet<string>): ParsedArguments {
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
      if (next === undefined || next.startsWith('--')) result.flags[name] = 'true';
      else {
        result.flags[name] = next;
        i++;
      }
    }
  }
  return result;
}
