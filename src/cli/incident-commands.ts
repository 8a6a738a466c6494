import { ConfigurationError } from '../core/errors.js';
import { claimAutomaticRollback } from '../github/automatic-claim.js';
import { approvalTimeoutMs, type RollbackSeverity, readEnvironmentsConfig } from '../github/environments.js';
import { awaitIssueApproval } from '../github/issue-approval.js';
import type { RollbackRequest } from '../github/report.js';
import { type IncidentStage, postChatMessage, postStatuspageIncident } from '../notify/notify.js';
import { type GitHubCommandContext, requestOf, runUrlOf, writeOutputs, writeSummary } from './github-context.js';
import { type GitHubFlags, required, rollbackSeverityOf } from './github-flags.js';

const STAGE_TITLE: Record<IncidentStage, string> = { started: 'Identified — rollback started', resolved: 'Resolved', failed: 'Ongoing' };

function messageOf(request: RollbackRequest, stage: IncidentStage): { title: string; text: string } {
  const title = `${STAGE_TITLE[stage]}: rollback of ${request.environment} (${request.severity})`;
  const outcome =
    stage === 'started'
      ? 'The rollback was approved and is running.'
      : stage === 'resolved'
        ? 'The platform is healthy again.'
        : 'The rollback did not complete; the incident team is on it.';
  return { title, text: `${request.reason}. Services: ${request.services || 'none'} → ${request.target}. ${outcome}` };
}

/** The runbook's "User Communication": status page and chat, each skipped cleanly when not configured. */
export async function communicate(context: GitHubCommandContext, request: RollbackRequest, stage: IncidentStage, incidentId?: string): Promise<string> {
  const { flags, env, secrets, log } = context;
  const lines: string[] = ['', '**User communication**', ''];
  const { title, text } = messageOf(request, stage);
  const apiKey = env.STATUSPAGE_API_KEY;
  secrets.add(apiKey);
  const failure = (what: string, error: unknown): string => {
    const why = secrets.redact(error instanceof Error ? error.message : String(error));
    log.warning(`${what} not updated: ${why}`);
    return why;
  };
  if (flags['statuspage-page-id'] && apiKey) {
    try {
      const incident = await postStatuspageIncident(
        {
          apiUrl: flags['statuspage-api-url'] ?? 'https://api.statuspage.io',
          apiKey,
          pageId: flags['statuspage-page-id'],
          componentIds: (flags['statuspage-components'] ?? '')
            .split(',')
            .map((c) => c.trim())
            .filter(Boolean),
        },
        title,
        text,
        stage,
        incidentId || undefined,
      );
      if (stage === 'started' && env.GITHUB_OUTPUT) writeOutputs({ 'statuspage-incident': incident.id }, context);
      lines.push(`- Status page: incident ${incident.link} (${stage === 'resolved' ? 'resolved' : 'identified'})`);
    } catch (error) {
      lines.push(`- Status page: ⚠️ not updated (${failure('status page', error)})`);
    }
  } else lines.push('- Status page: not configured (set statuspage-page-id and the STATUSPAGE_API_KEY secret)');
  const webhook = env.CHAT_WEBHOOK_URL;
  secrets.add(webhook);
  const kind = flags.chat === 'teams' ? 'teams' : 'slack';
  const name = kind === 'slack' ? 'Slack' : 'Teams';
  if ((flags.chat === 'slack' || flags.chat === 'teams') && webhook) {
    try {
      await postChatMessage(kind, webhook, title, text, runUrlOf(env));
      lines.push(`- ${name}: message posted`);
    } catch (error) {
      lines.push(`- ${name}: ⚠️ not notified (${failure('chat', error)})`);
    }
  } else lines.push('- Chat: not configured (set chat and the CHAT_WEBHOOK_URL secret)');
  return `${lines.join('\n')}\n`;
}

/** `notify --stage started`: stakeholders hear the rollback started when it is approved, not only at the end. */
export async function notifyCommand(context: GitHubCommandContext): Promise<number> {
  required(context.flags, 'stage');
  const request = requestOf(context.flags);
  if (request.dryRun) {
    writeSummary('Dry run: stakeholders were not notified.', context);
    return 0;
  }
  writeSummary(`## Rollback approved\n${await communicate(context, request, 'started')}`, context);
  return 0;
}

function planMarkdown(flags: GitHubFlags): string {
  const parts = [
    ['Services', flags['services-plan']],
    ['Database', flags['database-plan']],
    ['Frontend', flags['frontend-plan']],
  ].filter(([, plan]) => plan);
  if (!parts.length) return '_No per-phase plan was made before approval (see the plan job of the run)._';
  return parts.map(([name, plan]) => `<details><summary>${name} plan (exactly what runs)</summary>\n\n\`\`\`json\n${plan}\n\`\`\`\n</details>`).join('\n\n');
}

export async function approveCommand(context: GitHubCommandContext): Promise<number> {
  const { flags, env } = context;
  const severity: RollbackSeverity = rollbackSeverityOf(flags);
  const config = readEnvironmentsConfig(flags.config ?? '.github/rollback-environments.yml');
  const policy = config.environments[severity];
  if (policy.reviewers.length === 0)
    throw new ConfigurationError(`.github/rollback-environments.yml names no reviewers for ${severity}: nobody could approve`, 'severity');
  const pollMs = flags['poll-interval'];
  const api = context.api();
  const membership = env.MEMBERSHIP_TOKEN ? context.api('MEMBERSHIP_TOKEN') : api;
  const outcome = await awaitIssueApproval(
    api,
    membership,
    {
      repo: required(flags, 'repo'),
      severity,
      environment: required(flags, 'environment'),
      reason: required(flags, 'reason'),
      actor: required(flags, 'actor'),
      runId: env.GITHUB_RUN_ID ?? 'local',
      runUrl: runUrlOf(env),
      planMarkdown: planMarkdown(flags),
      policy,
      timeoutMs: approvalTimeoutMs(policy, severity),
      pollMs,
    },
    context.log,
    context.clock.signal,
  );
  if (outcome.approved) {
    writeSummary(`✅ Approved by @${outcome.by} on issue #${outcome.issue}.`, context);
    return 0;
  }
  writeSummary(`❌ Not approved (issue #${outcome.issue}): ${outcome.why}. The rollback does not run.`, context);
  context.streams.err(`::error title=Rollback not approved::${outcome.why} (issue #${outcome.issue}); the rollback does not run\n`);
  return 1;
}

export async function claimCommand(context: GitHubCommandContext): Promise<number> {
  const { flags } = context;
  const healthy = flags.healthy;
  const outcome = await claimAutomaticRollback(context.api(), {
    repo: required(flags, 'repo'),
    ref: required(flags, 'ref'),
    environment: required(flags, 'environment'),
    release: required(flags, 'release'),
    deployResult: flags['deploy-result'],
    deployFailureSeverity: flags['deploy-failure-severity'],
    healthy,
    severity: flags.severity ?? '',
    failed: flags.failed ?? '',
    runUrl: runUrlOf(context.env),
  });
  if (outcome.rollback) {
    writeOutputs(
      {
        rollback: 'true',
        severity: outcome.severity,
        reason: outcome.reason,
        'detected-at': new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        deployment: String(outcome.deployment),
      },
      context,
    );
    writeSummary(`## 🔁 Automatic rollback claimed\n\n${outcome.reason}\n\nSeverity ${outcome.severity}; deployment record ${outcome.deployment}.`, context);
  } else {
    writeOutputs(
      { rollback: 'false', severity: '', reason: outcome.why, 'detected-at': '', deployment: outcome.deployment ? String(outcome.deployment) : '' },
      context,
    );
    writeSummary(`## No automatic rollback\n\n${outcome.why}.`, context);
  }
  context.log.info(outcome.rollback ? `rolling back: ${outcome.reason}` : outcome.why);
  return 0;
}
