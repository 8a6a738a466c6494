import { causeCode } from '../core/outside.js';
import { withRetry } from '../core/retry.js';

/** A notification that failed; the rollback's own outcome does not depend on it. */
export class NotifyError extends Error {}

const REQUEST_TIMEOUT_MS = 5_000;

/** A notification is never worth holding a rollback's report: a few seconds per call, then a warning. */
function transport(error: unknown, what: string): NotifyError {
  if (error instanceof Error && error.name === 'TimeoutError')
    return Object.assign(new NotifyError(`${what}: no answer within ${REQUEST_TIMEOUT_MS / 1000}s`), { retryable: true });
  const cause = causeCode(error) ?? (error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined);
  return Object.assign(new NotifyError(`${what}: unreachable (${cause ?? (error instanceof Error ? error.message : String(error))})`), { retryable: true });
}

async function post(url: string, init: { method?: string; headers: Record<string, string>; body: object }, what: string): Promise<unknown> {
  return withRetry(
    async () => {
      const response = await fetch(url, {
        method: init.method ?? 'POST',
        headers: { 'content-type': 'application/json', ...init.headers },
        body: JSON.stringify(init.body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      }).catch((error: unknown) => {
        throw transport(error, what);
      });
      const text = await response.text().catch((error: unknown) => {
        throw transport(error, what);
      });
      if (response.status === 401 || response.status === 403) throw new NotifyError(`${what}: the credentials were rejected (${response.status})`);
      if (!response.ok)
        throw Object.assign(new NotifyError(`${what}: HTTP ${response.status} ${text.slice(0, 200)}`), {
          retryable: response.status >= 500 || response.status === 429,
        });
      // Slack answers a plain `ok`, Teams `1`: only JSON bodies are parsed
      return response.headers.get('content-type')?.includes('json') && text ? (JSON.parse(text) as unknown) : text;
    },
    (error) => ({ retry: (error as { retryable?: boolean }).retryable === true }),
    { policy: { baseDelayMs: 300, maxDelayMs: 2000, budgetMs: 5_000 } },
  );
}

export interface StatuspageOptions {
  apiUrl: string;
  apiKey: string;
  pageId: string;
  componentIds: string[];
}

/** Where the rollback stands, as stakeholders should hear it. */
export type IncidentStage = 'started' | 'resolved' | 'failed';

/**
 * Atlassian Statuspage incidents API: one incident per rollback — opened as "identified" when the rollback is
 * approved, updated (PATCH) to "resolved" with the components operational when it succeeded, or kept
 * "identified" with them in major outage when it did not. Without an incident id (nothing was opened at the
 * start) the end opens one in its final state.
 */
export async function postStatuspageIncident(
  options: StatuspageOptions,
  title: string,
  body: string,
  stage: IncidentStage,
  incidentId?: string,
): Promise<{ id: string; link: string }> {
  const componentState = stage === 'resolved' ? 'operational' : stage === 'started' ? 'partial_outage' : 'major_outage';
  const components = Object.fromEntries(options.componentIds.map((id) => [id, componentState]));
  const status = stage === 'resolved' ? 'resolved' : 'identified';
  const base = `${options.apiUrl.replace(/\/+$/, '')}/v1/pages/${encodeURIComponent(options.pageId)}/incidents`;
  const incident = (
    incidentId
      ? await post(
          `${base}/${encodeURIComponent(incidentId)}`,
          {
            method: 'PATCH',
            headers: { authorization: `OAuth ${options.apiKey}` },
            body: { incident: { status, body, component_ids: options.componentIds, components, deliver_notifications: true } },
          },
          'Statuspage',
        )
      : await post(
          base,
          {
            headers: { authorization: `OAuth ${options.apiKey}` },
            body: { incident: { name: title, status, body, component_ids: options.componentIds, components, deliver_notifications: true } },
          },
          'Statuspage',
        )
  ) as { id?: string; shortlink?: string };
  return { id: incident.id ?? incidentId ?? '', link: incident.shortlink ?? incident.id ?? 'created' };
}

export type ChatKind = 'slack' | 'teams';

/** An incoming webhook message (Slack: text + blocks; Teams: a MessageCard). */
export async function postChatMessage(kind: ChatKind, webhookUrl: string, title: string, text: string, runUrl: string | undefined): Promise<void> {
  const link = runUrl ? `\n<${runUrl}|Open the run>` : '';
  const body =
    kind === 'slack'
      ? {
          text: `${title}\n${text}`,
          blocks: [
            { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150) } },
            { type: 'section', text: { type: 'mrkdwn', text: `${text}${link}`.slice(0, 3000) } },
          ],
        }
      : {
          '@type': 'MessageCard',
          '@context': 'https://schema.org/extensions',
          summary: title,
          title,
          text: text.replace(/\n/g, '<br>'),
          ...(runUrl ? { potentialAction: [{ '@type': 'OpenUri', name: 'Open the run', targets: [{ os: 'default', uri: runUrl }] }] } : {}),
        };
  await post(webhookUrl, { headers: {}, body }, kind === 'slack' ? 'Slack webhook' : 'Teams webhook');
}
