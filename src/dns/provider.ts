import { ConfigurationError } from '../core/errors.js';
import { withRetry } from '../core/retry.js';
import type { Logger } from '../core/logger.js';

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

export class DnsApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** JSON over HTTP with the provider's bearer token; 429/5xx retried, 401/403 turned into a clear input error. */
export async function dnsRequest<T>(provider: string, url: string, token: string, log: Logger, init: { method?: string; body?: object } = {}): Promise<T | undefined> {
  return withRetry(
    async () => {
      const response = await fetch(url, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(init.body ? { body: JSON.stringify(init.body) } : {}),
        signal: AbortSignal.timeout(15_000),
      });
      if (response.status === 401 || response.status === 403) throw new ConfigurationError(`was rejected by ${provider} (${response.status}): give a token that may edit the zone`, 'dns-token');
      if (response.status === 404 && (init.method ?? 'GET') !== 'PUT') return undefined;
      const text = await response.text();
      if (!response.ok) throw new DnsApiError(response.status, `${provider} answered HTTP ${response.status}: ${text.slice(0, 200)}`);
      return (text ? JSON.parse(text) : undefined) as T | undefined;
    },
    (error) => ({
      retry: error instanceof DnsApiError ? error.status >= 500 || error.status === 429 : !(error instanceof ConfigurationError),
      reason: error instanceof DnsApiError ? String(error.status) : error instanceof Error ? error.message : String(error),
    }),
    { policy: { attempts: 4, baseDelayMs: 250, maxDelayMs: 2000 }, onRetry: (_e, delay, attempt, reason) => log.info(`  ↻ ${provider}: ${reason ?? 'failed'}; retry ${attempt} in ${Math.round(delay)}ms`) },
  );
}
