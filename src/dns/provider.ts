import type { Logger } from '../core/logger.js';
import { cutByRun, displayUrl, OutsideFailure, type OutsideSystem, transientFailure, transportFailure } from '../core/outside.js';
import { parseRetryAfter, withRetry } from '../core/retry.js';

export type RecordType = 'A' | 'CNAME';

/** One DNS record as both providers describe it. */
export interface DnsRecord {
  type: RecordType;
  values: string[];
  ttl: number;
  /** Cloudflare only: served through its proxy. Kept as it was on every write, and restored. */
  proxied?: boolean;
}

export interface DnsProvider {
  name: 'azure' | 'cloudflare';
  read(zone: string, record: string): Promise<DnsRecord | undefined>;
  write(zone: string, record: string, value: DnsRecord, previous: DnsRecord | undefined): Promise<void>;
  remove(zone: string, record: string, previous: DnsRecord): Promise<void>;
}

export function recordTypeFor(target: string): RecordType {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(target) ? 'A' : 'CNAME';
}

/** How one run reaches a DNS API: its token, the log, and the run's signal. */
export interface DnsEndpoint {
  token: string;
  log: Logger;
  signal?: AbortSignal;
}

const REQUEST_TIMEOUT_MS = 15_000;

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function dnsSystem(provider: string, url: string): OutsideSystem {
  return {
    name: `${provider} API`,
    where: displayUrl(new URL(url).origin),
    credential: 'dns-token',
    urlInput: 'dns-api-url',
    forbiddenHint: 'give dns-token the right to edit the zone in dns-zone',
  };
}

/** JSON over HTTP with the provider's bearer token; 429/5xx and network failures retried within the run's time. */
export async function dnsRequest<T>(
  provider: string,
  url: string,
  endpoint: DnsEndpoint,
  init: { method?: string; body?: object } = {},
): Promise<T | undefined> {
  const method = init.method ?? 'GET';
  const system = dnsSystem(provider, url);
  const call = `${method} ${new URL(url).pathname}`;
  const run = endpoint.signal;
  return withRetry(
    async () => {
      const startedAt = Date.now();
      const response = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${endpoint.token}`, 'content-type': 'application/json' },
        ...(init.body ? { body: JSON.stringify(init.body) } : {}),
        signal: AbortSignal.any([...(run ? [run] : []), AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
      }).catch((error: unknown) => {
        if (run?.aborted) throw cutByRun(error, run, system, call, startedAt);
        throw transportFailure(error, system, call, REQUEST_TIMEOUT_MS);
      });
      const text = await response.text().catch((error: unknown) => {
        throw run?.aborted ? cutByRun(error, run, system, call, startedAt) : transportFailure(error, system, call, REQUEST_TIMEOUT_MS);
      });
      // the provider's 404 is JSON (no such record); any other 404 comes from something else at dns-api-url
      if (response.status === 404 && !isJson(text))
        throw new OutsideFailure(system, call, 'http', 404, text.slice(0, 200).trim(), { statusText: response.statusText, noSuchApi: true });
      if (response.status === 404 && method !== 'PUT') return undefined;
      if (!response.ok) {
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
        throw new OutsideFailure(system, call, 'http', response.status, text.slice(0, 200).trim(), {
          statusText: response.statusText,
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        });
      }
      return (text ? JSON.parse(text) : undefined) as T | undefined;
    },
    (error) => ({
      retry: transientFailure(error),
      reason: error instanceof OutsideFailure ? `${error.status ?? error.extra.code ?? error.kind}` : 'failed',
      ...(error instanceof OutsideFailure && error.extra.retryAfterMs !== undefined ? { delayMs: error.extra.retryAfterMs } : {}),
    }),
    {
      policy: { baseDelayMs: 250, maxDelayMs: 2000, budgetMs: 60_000 },
      ...(run ? { signal: run } : {}),
      onRetry: (_e, delay, attempt, reason) => endpoint.log.info(`  ↻ ${provider}: ${reason ?? 'failed'}; retry ${attempt} in ${Math.round(delay)}ms`),
    },
  );
}
