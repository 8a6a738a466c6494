import fs from 'node:fs';
import { ConfigurationError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { createRunClock, type RunClock } from '../core/run-clock.js';
import { createSecretRegistry, type SecretRegistry } from '../core/secrets.js';
import { type GitHubApi, githubApi } from '../github/api.js';
import type { RollbackRequest } from '../github/report.js';
import type { CliStreams } from './cli-host.js';
import { type GitHubFlags, parseGitHubFlags, required, rollbackSeverityOf } from './github-flags.js';

/** What every GitHub-facing command shares: its flags, secrets, log, one clock and the API client. */
export interface GitHubCommandContext {
  flags: GitHubFlags;
  env: NodeJS.ProcessEnv;
  streams: CliStreams;
  secrets: SecretRegistry;
  log: Logger;
  clock: RunClock;
  api(tokenVariable?: string): GitHubApi;
}

export function commandContext(flags: Record<string, string>, env: NodeJS.ProcessEnv, streams: CliStreams, defaultTimeout = '2m'): GitHubCommandContext {
  const secrets = createSecretRegistry();
  const log: Logger = {
    info: (m) => streams.err(`${secrets.redact(m)}\n`),
    warning: (m) => streams.err(`warning: ${secrets.redact(m)}\n`),
    debug: () => undefined,
    group: async (_n, b) => b(),
  };
  const parsed = parseGitHubFlags(flags, defaultTimeout);
  // one clock for the command, like an action's `timeout`: a hung GitHub cannot hold the job
  const clock = createRunClock(parsed.timeout);
  return {
    flags: parsed,
    env,
    streams,
    secrets,
    log,
    clock,
    api(tokenVariable = 'GITHUB_TOKEN') {
      const token = env[tokenVariable] || (tokenVariable === 'GITHUB_TOKEN' ? env.GH_TOKEN : undefined);
      if (!token)
        throw new ConfigurationError(`${tokenVariable} is not set: export a token (for \`environments sync\`, one with admin rights on the repository)`);
      secrets.add(token);
      return githubApi(token, env.GITHUB_API_URL, clock.signal);
    },
  };
}

export function requestOf(flags: GitHubFlags): RollbackRequest {
  return {
    severity: rollbackSeverityOf(flags),
    environment: required(flags, 'environment'),
    services: flags.services ?? '',
    target: flags.target ?? 'previous',
    databaseTool: flags['database-tool'] ?? '',
    databaseTarget: flags['database-target'] ?? '',
    frontendTarget: flags['frontend-target'] ?? '',
    reroute: flags.reroute,
    circuitBreaker: flags['circuit-breaker'],
    dryRun: flags['dry-run'],
    reason: required(flags, 'reason'),
    release: flags.release ?? '',
    automatic: flags.automatic,
    frontendProject: flags['frontend-project'] ?? '',
  };
}

export function writeSummary(markdown: string, context: Pick<GitHubCommandContext, 'env' | 'streams'>): void {
  if (context.env.GITHUB_STEP_SUMMARY) fs.appendFileSync(context.env.GITHUB_STEP_SUMMARY, `${markdown}\n`);
  else context.streams.out(`${markdown}\n`);
}

/** `name=value` lines for a later step (GITHUB_OUTPUT), or JSON on stdout outside a runner. */
export function writeOutputs(outputs: Record<string, string>, context: Pick<GitHubCommandContext, 'env' | 'streams'>): void {
  if (context.env.GITHUB_OUTPUT) {
    fs.appendFileSync(
      context.env.GITHUB_OUTPUT,
      Object.entries(outputs)
        .map(([k, v]) => `${k}=${v.replace(/[\r\n]+/g, ' ')}\n`)
        .join(''),
    );
  } else context.streams.out(`${JSON.stringify(outputs)}\n`);
}

export function runUrlOf(env: NodeJS.ProcessEnv): string | undefined {
  return env.GITHUB_RUN_ID ? `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : undefined;
}
