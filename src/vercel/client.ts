import { withRetry, type RetryDecision } from '../core/retry.js';
import { parseRetryAfter } from '../core/retry.js';
import type { Logger } from '../core/logger.js';

export class VercelApiError extends Error {
  override readonly name = 'VercelApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Rate-limit resets are epoch seconds (X-RateLimit-Reset); Retry-After wins when present. */
export function rateLimitDelay(headers: Headers, now = Date.now()): number | undefined {
  const retryAfter = parseRetryAfter(headers.get('retry-after'), now);
  if (retryAfter !== undefined) return retryAfter;
  const reset = Number(headers.get('x-ratelimit-reset'));
  return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - now) + 100 : undefined;
}

function classify(error: unknown): RetryDecision {
  if (error instanceof VercelApiError) {
    if (error.status === 429) return { retry: true, reason: '429 rate limited', ...(error.retryAfterMs !== undefined ? { delayMs: error.retryAfterMs } : {}) };
    if (error.status >= 500) return { retry: true, reason: `${error.status} ${error.code}` };
    return { retry: false };
  }
  return { retry: true, reason: error instanceof Error ? error.message : String(error) };
}

/** Vercel's REST API with the bearer token, team scoping on every call, and retries for 429/5xx. */
export class VercelClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly team: string | undefined,
    private readonly log: Logger,
  ) {}

  private url(path: string, query: Record<string, string | undefined>): URL {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    if (this.team) url.searchParams.set(this.team.startsWith('team_') ? 'teamId' : 'slug', this.team);
    return url;
  }

  async request<T>(method: string, path: string, options: { query?: Record<string, string | undefined>; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
    return withRetry(
      async () => {
        const response = await fetch(this.url(path, options.query ?? {}), {
          method,
          headers: { authorization: `Bearer ${this.token}`, ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        const text = await response.text();
        if (!response.ok) {
          let code = String(response.status);
          let message = text.slice(0, 300);
          try {
            const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
            code = parsed.error?.code ?? code;
            message = parsed.error?.message ?? message;
          } catch {
            // not JSON: keep the text
          }
          throw new VercelApiError(response.status, code, message, rateLimitDelay(response.headers));
        }
        return (text ? JSON.parse(text) : {}) as T;
      },
      classify,
      {
        policy: { attempts: 6, baseDelayMs: 250, maxDelayMs: 5000 },
        ...(options.signal ? { signal: options.signal } : {}),
        onRetry: (_e, delay, attempt, reason) => this.log.info(`  ↻ ${method} ${path}: ${reason}; retry ${attempt} in ${Math.round(delay)}ms`),
      },
    );
  }
}
