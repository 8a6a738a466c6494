import fs from 'node:fs';
import { createRunClock, MAX_TIMER_MS } from '../core/run-clock.js';
import { parseDuration } from '../core/durations.js';
import { ConfigurationError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { createSecretRegistry, type SecretRegistry } from '../core/secrets.js';
import { githubApi } from '../github/api.js';
import { checkEnvironment, readEnvironmentsConfig, SEVERITIES, syncEnvironments, type RollbackSeverity } from '../github/environments.js';
import { openIncidentIssue, planSummary, recordDeployment, rollbackReport, type JobOutcome, type ReportInput, type RollbackRequest } from '../github/report.js';
import { postChatMessage, postStatuspageIncident } from '../notify/notify.js';
import { parseArguments } from './arguments.js';
import type { CliStreams } from './cli-host.js';

const FLAGS = new Set(['statuspage-page-id', 'statuspage-components', 'statuspage-api-url', 'chat', 'repo', 'config', 'severity', 'environment', 'services', 'target', 'database-tool', 'database-target', 'frontend-target', 'reroute', 'circuit-breaker', 'dry-run', 'reason', 'needs', 'started-at', 'incident-issue', 'ref', 'requested-at', 'timeout']);

export const GITHUB_HELP = `GitHub commands (token from GITHUB_TOKEN; API from GITHUB_API_URL):
  keiko-rollback environments sync  --repo owner/name [--config .github/rollback-environments.yml]
  keiko-rollback environments check --repo owner/name --severity critical|high|medium|low [--config …]
  keiko-rollback plan-summary --severity … --environment … --reason … [--services … --target … …]
  keiko-rollback report --needs '<toJSON(needs)>' --severity … --environment … --reason … [--repo … --ref … --started-at … --incident-issue true]
      [--statuspage-page-id … --statuspage-components id1,id2 (key in STATUSPAGE_API_KEY)] [--chat slack|teams (URL in CHAT_WEBHOOK_URL)]`;

function required(flags: Record<string, string>, name: string): string {
  const value = flags[name]?.trim();
  if (!value) throw new ConfigurationError(`--${name} is required (see keiko-rollback environments --help)`);
  return value;
}

function severityOf(flags: Record<string, string>): RollbackSeverity {
  const value = required(flags, 'severity');
  if (!(SEVERITIES as readonly string[]).includes(value)) throw new ConfigurationError(`--severity must be one of ${SEVERITIES.join(' | ')}, got "${value}"`);
  return value as RollbackSeverity;
}

function requestOf(flags: Record<string, string>): RollbackRequest {
  const bool = (name: string): boolean => flags[name] === 'true';
  return {
    severity: severityOf(flags),
    environment: required(flags, 'environment'),
    services: flags.services ?? '',
    target: flags.target || 'previous',
    databaseTool: flags['database-tool'] ?? '',
    databaseTarget: flags['database-target'] ?? '',
    frontendTarget: flags['frontend-target'] ?? '',
    reroute: bool('reroute'),
    circuitBreaker: bool('circuit-breaker'),
    dryRun: bool('dry-run'),
    reason: required(flags, 'reason'),
  };
}

function writeSummary(markdown: string, env: NodeJS.ProcessEnv, streams: CliStreams): void {
  if (env.GITHUB_STEP_SUMMARY) fs.appendFileSync(env.GITHUB_STEP_SUMMARY, `${markdown}\n`);
  else streams.out(`${markdown}\n`);
}

function token(env: NodeJS.ProcessEnv): string {
  const value = env.GITHUB_TOKEN ?? env.GH_TOKEN;
  if (!value) throw new ConfigurationError('GITHUB_TOKEN is not set: export a token (for `environments sync`, one with admin rights on the repository)');
  return value;
}

/** The runbook's "User Communication": status page and chat, each skipped cleanly when not configured. */
async function communicate(flags: Record<string, string>, env: NodeJS.ProcessEnv, input: ReportInput, report: { ok: boolean; markdown: string }, secrets: SecretRegistry, log: Logger): Promise<string> {
  const lines: string[] = ['', '**User communication**'];
  const title = `${report.ok ? 'Resolved' : 'Ongoing'}: rollback of ${input.request.environment} (${input.request.severity})`;
  const text = `${input.request.reason}. Services: ${input.request.services || 'none'} → ${input.request.target}. ${report.ok ? 'The platform is healthy again.' : 'The rollback did not complete; the incident team is on it.'}`;
  const apiKey = env.STATUSPAGE_API_KEY;
  secrets.add(apiKey);
  if (flags['statuspage-page-id'] && apiKey) {
    try {
      const link = await postStatuspageIncident({ apiUrl: flags['statuspage-api-url'] || 'https://api.statuspage.io', apiKey, pageId: flags['statuspage-page-id'], componentIds: (flags['statuspage-components'] ?? '').split(',').map((c) => c.trim()).filter(Boolean) }, title, text, report.ok);
      lines.push(`- Status page: incident ${link} (${report.ok ? 'resolved' : 'identified'})`);
    } catch (error) {
      log.warning(secrets.redact(`status page not updated: ${error instanceof Error ? error.message : String(error)}`));
      lines.push(`- Status page: ⚠️ not updated (${secrets.redact(error instanceof Error ? error.message : String(error))})`);
    }
  } else lines.push('- Status page: not configured (set statuspage-page-id and the STATUSPAGE_API_KEY secret)');
  const webhook = env.CHAT_WEBHOOK_URL;
  secrets.add(webhook);
  const kind = flags.chat === 'teams' ? 'teams' : 'slack';
  if ((flags.chat === 'slack' || flags.chat === 'teams') && webhook) {
    try {
      await postChatMessage(kind, webhook, title, text, input.runUrl);
      lines.push(`- ${kind === 'slack' ? 'Slack' : 'Teams'}: message posted`);
    } catch (error) {
      log.warning(secrets.redact(`chat not notified: ${error instanceof Error ? error.message : String(error)}`));
      lines.push(`- ${kind === 'slack' ? 'Slack' : 'Teams'}: ⚠️ not notified (${secrets.redact(error instanceof Error ? error.message : String(error))})`);
    }
  } else lines.push('- Chat: not configured (set chat and the CHAT_WEBHOOK_URL secret)');
  return `${lines.join('\n')}\n`;
}

export async function runGitHubCommand(command: string, argv: string[], env: NodeJS.ProcessEnv, streams: CliStreams): Promise<number> {
  const secrets = createSecretRegistry();
  const log: Logger = { info: (m) => streams.err(`${secrets.redact(m)}\n`), warning: (m) => streams.err(`warning: ${secrets.redact(m)}\n`), debug: () => undefined, group: async (n, b) => b() };
  const [sub, ...rest] = command === 'environments' ? argv : ['', ...argv];
  const parsed = parseArguments(rest, FLAGS, new Set(['circuit-breaker', 'dry-run']));
  if (parsed.help || (command === 'environments' && !sub)) {
    streams.out(`${GITHUB_HELP}\n`);
    return parsed.help ? 0 : 1;
  }
  const config = (): ReturnType<typeof readEnvironmentsConfig> => readEnvironmentsConfig(parsed.flags.config ?? '.github/rollback-environments.yml');
  if (command === 'plan-summary') {
    writeSummary(planSummary(requestOf(parsed.flags), parsed.flags['requested-at'] ? new Date(parsed.flags['requested-at']) : new Date()), env, streams);
    return 0;
  }
  // one clock for the command, like an action's `timeout`: a hung GitHub cannot hold the job
  const limit = parseDuration(parsed.flags.timeout ?? '2m');
  if (limit === undefined || limit <= 0 || limit > MAX_TIMER_MS) throw new ConfigurationError(`--timeout must be a duration such as 90s or 2m, at most 596h, got "${parsed.flags.timeout}"`);
  const clock = createRunClock(limit);
  const api = (): ReturnType<typeof githubApi> => {
    const t = token(env);
    secrets.add(t);
    return githubApi(t, env.GITHUB_API_URL, clock.signal);
  };
  if (command === 'environments' && sub === 'sync') {
    const done = await syncEnvironments(api(), required(parsed.flags, 'repo'), config(), log);
    streams.out(`${JSON.stringify({ synced: done })}\n`);
    return 0;
  }
  if (command === 'environments' && sub === 'check') {
    const line = await checkEnvironment(api(), required(parsed.flags, 'repo'), severityOf(parsed.flags), config());
    log.info(line);
    return 0;
  }
  if (command === 'report') {
    const jobs = JSON.parse(required(parsed.flags, 'needs')) as Record<string, JobOutcome>;
    const startedAt = parsed.flags['started-at'] ? new Date(Number(parsed.flags['started-at']) * 1000) : new Date();
    const runUrl = env.GITHUB_RUN_ID ? `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : undefined;
    const input = { request: requestOf(parsed.flags), jobs, startedAt, finishedAt: new Date(), runUrl };
    const report = rollbackReport(input);
    let markdown = report.markdown;
    if (parsed.flags.repo && !input.request.dryRun) {
      const client = api();
      const id = await recordDeployment(client, parsed.flags.repo, parsed.flags.ref ?? 'main', input, report.ok);
      markdown += `\nDeployment status recorded on \`${input.request.environment}\` (deployment ${id}).\n`;
      if (parsed.flags['incident-issue'] === 'true') markdown += `Incident issue #${await openIncidentIssue(client, parsed.flags.repo, input, report.markdown)} opened.\n`;
    }
    markdown += await communicate(parsed.flags, env, input, report, secrets, log);
    writeSummary(markdown, env, streams);
    return report.ok ? 0 : 1;
  }
  throw new ConfigurationError(`unknown command "${command} ${sub}" (see keiko-rollback environments --help)`);
}
