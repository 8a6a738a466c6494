import type { ActionManifest } from '../actions/manifest.js';
import { ACTIONS } from '../actions/registry.js';
import { envNameForInput } from './cli-host.js';

export function mainHelp(): string {
  const commands = Object.values(ACTIONS).map((a) => `  ${a.manifest.command.padEnd(10)} ${a.manifest.name}: ${firstSentence(a.manifest.description)}`);
  return [
    'keiko-rollback: the Keiko rollback runbook as one command.',
    '',
    'Usage: keiko-rollback <command> [--<input> <value> ...]',
    '',
    'Commands (each takes the inputs of the GitHub Action of the same name as --flags):',
    ...commands,
    '  sandbox    local emulators: `sandbox kube --port 8001 --fixture <file>`',
    '  drill      rehearse the whole runbook against a local sandbox',
    '  environments sync|check   the rollback-<severity> GitHub environments (approval by severity)',
    "  plan-summary, report      the reusable workflow's plan and report summaries",
    '',
    'Runbook form: keiko-rollback service <service-name> <target-version> [environment]',
    '              keiko-rollback database <target-migration> [environment]   (URL from DATABASE_URL_<ENVIRONMENT>, or DATABASE_URL)',
    'At a terminal, commands that change a database show the plan and ask `Proceed? [y/N]` first (--yes skips the question).',
    '',
    'Outputs are printed as JSON on stdout; logs and the summary go to stderr.',
    'Secrets can come from the environment instead of argv: --database-url → KEIKO_DATABASE_URL.',
    'Run `keiko-rollback <command> --help` for its inputs.',
  ].join('\n');
}

function firstSentence(text: string): string {
  const end = text.indexOf('. ');
  return end === -1 ? text : text.slice(0, end + 1);
}

export function commandHelp(manifest: ActionManifest): string {
  const inputs = Object.entries(manifest.inputs).map(([name, spec]) => {
    const tags = [
      spec.required ? 'required' : undefined,
      spec.default !== undefined ? `default: ${spec.default}` : undefined,
      spec.secret ? `secret, or ${envNameForInput(name)}` : undefined,
    ]
      .filter(Boolean)
      .join('; ');
    return `  --${name.padEnd(24)} ${spec.description}${tags ? ` (${tags})` : ''}`;
  });
  const outputs = Object.entries(manifest.outputs).map(([name, description]) => `  ${name.padEnd(26)} ${description}`);
  const usage =
    manifest.command === 'service'
      ? [
          'Usage: keiko-rollback service --services <names> [--target previous|revision:N|<version>] [...]',
          '       keiko-rollback service <service-name> <target-version> [environment]',
        ]
      : manifest.command === 'database'
        ? [
            'Usage: keiko-rollback database --target <revision|-N|base> [--<input> <value> ...] [--yes]',
            '       keiko-rollback database <target-migration> [environment]   (URL from DATABASE_URL_<ENVIRONMENT>, e.g. DATABASE_URL_PRODUCTION, or DATABASE_URL)',
            '       keiko-rollback database --plan <plan.json>   (execute a saved `plan` output exactly)',
            'At a terminal it shows the plan and asks `Proceed? [y/N]` before writing (not with --yes, --dry-run, --plan, or without a TTY).',
          ]
        : [`Usage: keiko-rollback ${manifest.command} [--<input> <value> ...]`];
  return [`${manifest.name}: ${manifest.description}`, '', ...usage, '', 'Inputs:', ...inputs, '', 'Outputs (JSON on stdout):', ...outputs].join('\n');
}
