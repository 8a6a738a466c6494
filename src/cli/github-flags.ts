import { z } from 'zod';
import { ConfigurationError } from '../core/errors.js';
import { type InputTable, input, inputShape } from '../core/input-table.js';
import { booleanInput, durationInput, enumInput, integerInput, optionalPatternInput, optionalString } from '../core/inputs.js';
import { HTTP_SCHEMES, urlInput } from '../core/url-inputs.js';
import { type RollbackSeverity, SEVERITIES } from '../github/environments.js';

/**
 * The flags of the workflow helper commands (environments, plan-summary, approve, claim-automatic,
 * notify, report), declared once like the actions' inputs: the parser's list of flags and switches, and
 * the validation of every flag given, come from this table. Which flags a command needs is the command's
 * own rule (`required`).
 */

// verify's severity (`none` included) is passed on as it is; a rollback's severity is one of SEVERITIES (rollbackSeverityOf)
const optionalSeverity = () =>
  optionalPatternInput(new RegExp(`^(none|${SEVERITIES.join('|')})$`), (text) => `must be one of ${SEVERITIES.join(' | ')}, got "${text}"`);

/** An ISO 8601 time or epoch seconds. */
const timeFlag = () =>
  optionalPatternInput(/./, () => '').transform((text, ctx) => {
    if (text === undefined) return undefined;
    const date = /^\d{9,11}$/.test(text) ? new Date(Number(text) * 1000) : new Date(text);
    if (!Number.isNaN(date.getTime())) return date;
    ctx.addIssue({ code: 'custom', message: `must be an ISO 8601 time such as 2026-11-26T03:12:00Z, got "${text}"` });
    return z.NEVER;
  });

const text = (description: string) => input(optionalString(), { description });
const flag = (description: string) => input(booleanInput(), { description, default: 'false' });

export const GITHUB_COMMAND_FLAGS = {
  repo: input(
    optionalPatternInput(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, (t) => `must be owner/name, got "${t}"`),
    { description: 'The repository, owner/name.' },
  ),
  config: input(optionalString(), { description: 'The environments config.', default: '.github/rollback-environments.yml' }),
  severity: input(optionalSeverity(), { description: 'critical | high | medium | low.' }),
  'deploy-failure-severity': input(enumInput(SEVERITIES), { description: 'Severity of a failed deploy.', default: 'high' }),
  environment: text('The environment rolled back, e.g. production.'),
  services: text('Services of the rollback.'),
  target: input(optionalString(), { description: 'Target of the services.', default: 'previous' }),
  'database-tool': text('alembic | flyway | none.'),
  'database-target': text('Database target.'),
  'frontend-target': text('Frontend target.'),
  'frontend-project': text('Vercel project.'),
  'vercel-team': text('Vercel team.'),
  reroute: flag('The reroute was part of the rollback.'),
  'circuit-breaker': flag('The circuit breaker was part of the rollback.'),
  'dry-run': flag('A dry run: nothing is recorded or told.'),
  automatic: flag('Started by the automatic rollback.'),
  'incident-issue': flag('Open an incident issue with the report.'),
  healthy: flag('What verify said after the deploy.'),
  reason: text('Why the rollback runs.'),
  needs: input(
    optionalPatternInput(/./, () => '').transform((value, ctx) => {
      if (value === undefined) return undefined;
      try {
        const parsed: unknown = JSON.parse(value);
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
      } catch {
        // said below
      }
      ctx.addIssue({ code: 'custom', message: 'must be the JSON of the needs context (toJSON(needs))' });
      return z.NEVER;
    }),
    { description: 'toJSON(needs) of the report job.' },
  ),
  'started-at': input(timeFlag(), { description: 'When the rollback started.' }),
  'detected-at': input(timeFlag(), { description: 'When the incident was detected.' }),
  'requested-at': input(timeFlag(), { description: 'When the rollback was requested.' }),
  ref: text('The commit or ref.'),
  timeout: input(durationInput(), { description: 'Limit for the whole command.' }),
  'poll-interval': input(durationInput(), { description: 'Between reads of the approval issue.', default: '10s' }),
  release: text('The release (version tag) the rollback is about.'),
  'claim-deployment': input(integerInput(1, Number.MAX_SAFE_INTEGER).optional(), { description: 'The deployment record claim-automatic wrote.' }),
  actor: text('Who requested the rollback.'),
  'services-plan': text('Plan of the services.'),
  'database-plan': text('Plan of the database.'),
  'frontend-plan': text('Plan of the frontend.'),
  'deploy-result': input(enumInput(['success', 'failure', 'cancelled', 'skipped'] as const), { description: 'Result of the deploy job.', default: 'success' }),
  failed: text('Checks that failed after the deploy.'),
  stage: input(
    optionalPatternInput(/^started$/, (t) => `must be started (the end is told by report), got "${t}"`),
    {
      description: 'The stage told (started).',
    },
  ),
  'statuspage-page-id': text('Statuspage page id.'),
  'statuspage-components': text('Statuspage component ids, comma-separated.'),
  'statuspage-api-url': input(urlInput(HTTP_SCHEMES, 'https://api.statuspage.io'), { description: 'Statuspage API.', default: 'https://api.statuspage.io' }),
  'statuspage-incident': text('The Statuspage incident opened by notify.'),
  chat: input(
    optionalPatternInput(/^(none|slack|teams)$/, (t) => `must be none, slack or teams, got "${t}"`).transform((v) => (v === 'none' ? undefined : v)),
    { description: 'none | slack | teams.' },
  ),
} satisfies InputTable;

const schema = z.object(inputShape(GITHUB_COMMAND_FLAGS));
export type GitHubFlags = z.output<typeof schema>;

export const GITHUB_FLAG_NAMES: ReadonlySet<string> = new Set(Object.keys(GITHUB_COMMAND_FLAGS));
// switches that may stand alone (`--dry-run`); the other true/false flags always carry their value, as workflows pass them
export const GITHUB_SWITCHES: ReadonlySet<string> = new Set(['circuit-breaker', 'dry-run']);

/** Every flag given, validated by its declaration; the first problem names its flag. */
export function parseGitHubFlags(flags: Record<string, string>, timeoutDefault: string): GitHubFlags {
  const raw = Object.fromEntries(
    Object.keys(GITHUB_COMMAND_FLAGS).map((name) => [name, flags[name]?.trim() ? flags[name] : name === 'timeout' ? timeoutDefault : undefined]),
  );
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ConfigurationError(`--${String(issue?.path[0] ?? 'flags')} ${issue?.message ?? 'is invalid'}`);
}

/** A flag the command cannot run without. */
export function required<K extends keyof GitHubFlags>(flags: GitHubFlags, name: K): NonNullable<GitHubFlags[K]> {
  const value = flags[name];
  if (value === undefined || value === '') throw new ConfigurationError(`--${name} is required (see keiko-rollback environments --help)`);
  return value as NonNullable<GitHubFlags[K]>;
}

/** The rollback's severity: required, and never `none`. */
export function rollbackSeverityOf(flags: GitHubFlags): RollbackSeverity {
  const value = required(flags, 'severity');
  if (value === 'none') throw new ConfigurationError(`--severity must be one of ${SEVERITIES.join(' | ')}, got "none"`);
  return value as RollbackSeverity;
}
