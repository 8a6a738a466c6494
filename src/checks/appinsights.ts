import { type Check, type CheckOutcome, errorText } from './types.js';

export interface AppInsightsOptions {
  apiUrl: string;
  appId: string;
  apiKey: string;
  windowMs: number;
  timeoutMs: number;
}

/** KQL over the Application Insights query API; the count of the first row of the primary table. */
async function countQuery(options: AppInsightsOptions, kql: string, signal: AbortSignal): Promise<number> {
  const url = `${options.apiUrl.replace(/\/+$/, '')}/v1/apps/${encodeURIComponent(options.appId)}/query?query=${encodeURIComponent(kql)}`;
  const response = await fetch(url, { headers: { 'x-api-key': options.apiKey }, signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]) });
  if (response.status === 401 || response.status === 403) throw new Error(`Application Insights rejected the API key (${response.status})`);
  if (!response.ok) throw new Error(`Application Insights answered HTTP ${response.status}`);
  const body = (await response.json()) as { tables?: { rows?: unknown[][] }[] };
  const value = Number(body.tables?.[0]?.rows?.[0]?.[0]);
  if (!Number.isFinite(value)) throw new Error('Application Insights returned no count');
  return value;
}

function minutes(ms: number): string {
  return `${Math.max(1, Math.round(ms / 60_000))}m`;
}

export function appInsightsChecks(options: AppInsightsOptions, maxExceptions: number, maxFailedRequests: number): Check[] {
  const window = minutes(options.windowMs);
  const check = (name: string, what: string, kql: string, max: number): Check => ({
    name,
    service: undefined,
    signal: true,
    async run(signal): Promise<CheckOutcome> {
      try {
        const count = await countQuery(options, kql, signal);
        return { ok: count <= max, detail: `${count} ${what} in the last ${window} (max ${max})` };
      } catch (error) {
        return { ok: false, detail: errorText(error) };
      }
    },
  });
  return [
    check('appinsights:exceptions', 'exceptions', `exceptions | where timestamp > ago(${window}) | count`, maxExceptions),
    check('appinsights:failed-requests', 'failed requests', `requests | where timestamp > ago(${window}) and success == false | count`, maxFailedRequests),
  ];
}
