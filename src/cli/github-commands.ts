import fs from 'node:fs';
import { ConfigurationError } from '../core/errors.js';
import { OutsideFailure } from '../core/outside.js';
import { checkEnvironment, readEnvironmentsConfig, syncEnvironments } from '../github/environments.js';
import { type JobOutcome, openIncidentIssue, phasesOf, planSummary, recordDeployment, rollbackReport } from '../github/report.js';
import { parseArguments } from './arguments.js';
import type { CliStreams } from './cli-host.js';
import { commandContext, type GitHubCommandContext, requestOf, runUrlOf, writeOutputs, writeSummary } from './github-context.js';
import { GITHUB_FLAG_NAMES, GITHUB_SWITCHES, type GitHubFlags, required, rollbackSeverityOf } from './github-flags.js';
import { approveCommand, claimCommand, communicate, notifyCommand } from './incident-commands.js';

export const GITHUB_COMMANDS = ['environments', 'plan-summary', 'report', 'approve', 'claim-automatic', 'notify'];

export const GITHUB_HELP = `GitHub commands (token from GITHUB_TOKEN; API from GITHUB_API_URL):
  keiko-rollback environments sync  --repo owner/name [--config .github/rollback-environments.yml]
  keiko-rollback environments check --repo owner/name --severity critical|high|medium|low [--config …]
      fails on a missing environment, no reviewers, admin bypass (critical/high), a differing prevent-self-review,
      or branch/tag policies that do not admit the config's refs; writes approval=environment|issue to GITHUB_OUTPUT
  keiko-rollback plan-summary --severity … --environment … --reason … [--services … --target … --release … --detected-at …]
  keiko-rollback approve --repo … --severity … --environment … --reason … --actor <login> [--services-plan … --poll-interval 10s]
      opens (or reuses) an approval issue and waits for /approve or /deny from a reviewer (team membership read with MEMBERSHIP_TOKEN)
  keiko-rollback claim-automatic --repo … --ref <sha> --environment … --release … --deploy-result … --healthy … --severity …
      claims the one automatic rollback of a release (a deployment record); writes rollback=true|false, severity, reason
  keiko-rollback notify --stage started --severity … --environment … --reason … [--statuspage-page-id … --chat slack|teams]
  keiko-rollback report --needs '<toJSON(needs)>' --severity … --environment … --reason … [--repo … --ref … --detected-at … --incident-issue true]
      [--statuspage-page-id … --statuspage-components id1,id2 --statuspage-incident … (key in STATUSPAGE_API_KEY)] [--chat slack|teams (URL in CHAT_WEBHOOK_URL)]`;

function configPath(flags: GitHubFlags): string {
  return flags.config ?? '.github/rollback-environments.yml';
}

async function environmentsCommand(sub: string, context: GitHubCommandContext): Promise<number> {
  const { flags } = context;
  if (sub === 'sync') {
    const done = await syncEnvironments(context.api(), required(flags, 'repo'), readEnvironmentsConfig(configPath(flags)), context.log);
    context.streams.out(`${JSON.stringify({ synced: done })}\n`);
    return 0;
  }
  if (sub === 'check') {
    const result = await checkEnvironment(context.api(), required(flags, 'repo'), rollbackSeverityOf(flags), readEnvironmentsConfig(configPath(flags)));
    context.log.info(result.line);
    if (context.env.GITHUB_OUTPUT) writeOutputs({ approval: result.approval }, context);
    return 0;
  }
  throw new ConfigurationError(`unknown command "environments ${sub}" (sync or check; see keiko-rollback environments --help)`);
}

function planSummaryCommand(context: GitHubCommandContext): number {
  const { flags } = context;
  const request = requestOf(flags);
  // the approval path is named when the config can be read; the check step after this one fails closed on it
  const path = configPath(flags);
  if (fs.existsSync(path)) request.approval = readEnvironmentsConfig(path).environments[request.severity].approval;
  writeSummary(planSummary(request, flags['detected-at'] ?? flags['requested-at'] ?? new Date()), context);
  return 0;
}

function jobsOf(flags: GitHubFlags): Record<string, JobOutcome> {
  return phasesOf(required(flags, 'needs') as Record<string, JobOutcome>);
}

async function reportCommand(context: GitHubCommandContext): Promise<number> {
  const { flags } = context;
  const startedAt = flags['started-at'] ?? new Date();
  const input = {
    request: requestOf(flags),
    jobs: jobsOf(flags),
    startedAt,
    detectedAt: flags['detected-at'] ?? startedAt,
    finishedAt: new Date(),
    runUrl: runUrlOf(context.env),
  };
  const report = rollbackReport(input);
  let markdown = report.markdown;
  let recorded = true;
  if (flags.repo && !input.request.dryRun) {
    // the summary above is written whatever GitHub answers: a failing API must not leave the run without a report
    try {
      const client = context.api();
      const id = await recordDeployment(client, flags.repo, flags.ref ?? 'main', input, report.ok, flags['claim-deployment']);
      markdown += `\nDeployment status recorded on \`${input.request.environment}\` (deployment ${id}).\n`;
      if (flags['incident-issue']) markdown += `\nIncident issue #${await openIncidentIssue(client, flags.repo, input, report.markdown)} opened.\n`;
    } catch (error) {
      if (!(error instanceof OutsideFailure)) throw error;
      recorded = false;
      const sentence = context.secrets.redact(error.sentence());
      markdown += `\n⚠️ Not recorded on GitHub: ${sentence}\n`;
      context.streams.err(`::error title=Rollback report not recorded::${sentence.replace(/%/g, '%25').replace(/\r?\n/g, '%0A')}\n`);
    }
  }
  markdown += await communicate(context, input.request, report.ok ? 'resolved' : 'failed', flags['statuspage-incident']);
  writeSummary(markdown, context);
  return report.ok && recorded ? 0 : 1;
}

export async function runGitHubCommand(command: string, argv: string[], env: NodeJS.ProcessEnv, streams: CliStreams): Promise<number> {
  const [sub = '', ...rest] = command === 'environments' ? argv : ['', ...argv];
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  const parsed = wantsHelp ? undefined : parseArguments(rest, GITHUB_FLAG_NAMES, GITHUB_SWITCHES);
  if (!parsed || parsed.help || (command === 'environments' && !sub)) {
    streams.out(`${GITHUB_HELP}\n`);
    return parsed ? 1 : 0;
  }
  const stray = parsed.positionals[0];
  if (stray !== undefined)
    throw new ConfigurationError(`unexpected argument "${stray}": every value is given as --name value (see keiko-rollback environments --help)`);
  const context = commandContext(parsed.flags, env, streams, command === 'approve' ? '6h5m' : '2m');
  if (command === 'environments') return environmentsCommand(sub, context);
  if (command === 'plan-summary') return planSummaryCommand(context);
  if (command === 'report') return reportCommand(context);
  if (command === 'approve') return approveCommand(context);
  if (command === 'claim-automatic') return claimCommand(context);
  if (command === 'notify') return notifyCommand(context);
  throw new ConfigurationError(`unknown command "${command}" (see keiko-rollback environments --help)`);
}
