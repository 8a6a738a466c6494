import fs from 'node:fs';
import { parseDuration } from '../core/durations.js';
import { ConfigurationError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { createRunClock, MAX_TIMER_MS, type RunClock } from '../core/run-clock.js';
import { createSecretRegistry, type SecretRegistry } from '../core/secrets.js';
import { type GitHubApi, githubApi } from '../github/api.js';
import { type RollbackSeverity, SEVERITIES } from '../github/environments.js';
import type { RollbackRequest } from '../github/report.js';
import type { CliStreams } from './cli-host.js';

/** What every GitHub-facing command shares: its flags, secrets, log, one clock and the API client. */
export interface GitHubCommandContext {
  flags: Record<string, string>;
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
  // one clock for the command, like an action's `timeout`: a hung GitHub cannot hold the job
  const limit = parseDuration(flags.timeout ?? defaultTimeout);
  if (limit === undefined || limit <= 0 || limit > MAX_TIMER_MS)
    throw new ConfigurationError(`--timeout must be a duration such as 90s or 2m, at most 596h, got "${flags.timeout}"`);
  const clock = createRunClock(limit);
  return {
    flags,
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

export function required(flags: Record<string, string>, name: string): string {
  const value = flags[name]?.trim();
  if (!value) throw new ConfigurationError(`--${name} is required (see keiko-rollback environments --help)`);
  return value;
}

export function severityOf(flags: Record<string, string>, name = 'severity'): RollbackSeverity {
  const value = required(flags, name);
  if (!(SEVERITIES as readonly string[]).includes(value)) throw new ConfigurationError(`--${name} must be one of ${SEVERITIES.join(' | ')}, got "${value}"`);
  return value as RollbackSeverity;
}

/** An ISO 8601 time (or epoch seconds) from a flag; `fallback` when the flag is empty. */
export function timeOf(flags: Record<string, string>, name: string, fallback: Date): Date {
  const text = flags[name]?.trim();
  if (!text) return fallback;
  const date = /^\d{9,11}$/.test(text) ? new Date(Number(text) * 1000) : new Date(text);
  if (Number.isNaN(date.getTime())) throw new ConfigurationError(`--${name} must be an ISO 8601 time such as 2026-11-26T03:12:00Z, got "${text}"`);
  return date;
}

/**
 * A true/false flag as the actions read booleans (YAML 1.2 core: true, True, TRUE, false, False, FALSE); empty is
 * false. Anything else is a mistake said by name, never a silent false (`True` from a workflow expression is true).
 */
export function flagBoolean(flags: Record<string, string>, name: string): boolean {
  const value = (flags[name] ?? '').trim();
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['', 'false', 'False', 'FALSE'].includes(value)) return false;
  throw new ConfigurationError(`--${name} must be true or false, got "${value}"`);
}

export function requestOf(flags: Record<string, string>): RollbackRequest {
  const bool = (name: string): boolean => flagBoolean(flags, name);
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
    release: flags.release ?? '',
    automatic: bool('automatic'),
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
