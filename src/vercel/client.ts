import type { Logger } from '../core/logger.js';
import { cutByRun, displayUrl, OutsideFailure, type OutsideSystem, transientFailure, transportFailure } from '../core/outside.js';
import { parseRetryAfter, type RetryDecision, withRetry } from '../core/retry.js';

export function vercelSystem(baseUrl: string): OutsideSystem {
  return {
    name: 'Vercel API',
    where: displayUrl(baseUrl),
    credential: 'vercel-token',
    urlInput: 'api-url',
    forbiddenHint: 'give vercel-token access to the project, and check `team` (the team id team_… or slug that owns it)',
  };
}

export class VercelApiError extends OutsideFailure {
  override readonly name = 'VercelApiError';
  constructor(
    status: number,
    readonly code: string,
    message: string,
    readonly retryAfterMs?: number,
    where: { system?: OutsideSystem; call?: string; statusText?: string; invalidToken?: boolean } = {},
  ) {
    super(where.system ?? vercelSystem(''), where.call ?? 'a request', 'http', status, message, {
      statusText: where.statusText ?? code,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...(where.invalidToken ? { invalidCredentials: true } : {}),
    });
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
    if ((error.status ?? 0) >= 500) return { retry: true, reason: `${error.status} ${error.code}` };
    return { retry: false };
  }
  if (transientFailure(error)) return { retry: true, reason: error instanceof OutsideFailure ? (error.extra.code ?? error.kind) : 'failed' };
  return { retry: false };
}

const REQUEST_TIMEOUT_MS = 30_000;

/** Vercel's REST API with the bearer token, team scoping on every call, and retries for 429/5xx. */
export class VercelClient {
  readonly system: OutsideSystem;

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly team: string | undefined,
    private readonly log: Logger,
    /** The run's signal: every call and retry sleep ends when it aborts. */
    private readonly runSignal?: AbortSignal,
  ) {
    this.system = vercelSystem(baseUrl);
  }

  private url(path: string, query: Record<string, string | undefined>): URL {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    if (this.team) url.searchParams.set(this.team.startsWith('team_') ? 'teamId' : 'slug', this.team);
    return url;
  }

  async request<T>(
    method: string,
    path: string,
    options: { query?: Record<string, string | undefined>; body?: unknown; signal?: AbortSignal } = {},
  ): Promise<T> {
    const call = `${method} ${path}`;
    const run = [this.runSignal, options.signal].filter((s): s is AbortSignal => s !== undefined);
    const runSignal = run.length ? AbortSignal.any(run) : undefined;
    return withRetry(
      async () => {
        const startedAt = Date.now();
        const response = await fetch(this.url(path, options.query ?? {}), {
          method,
          headers: { authorization: `Bearer ${this.token}`, ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
          signal: AbortSignal.any([...run, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
        }).catch((error: unknown) => {
          if (this.runSignal?.aborted) throw cutByRun(error, this.runSignal, this.system, call, startedAt);
          if (runSignal?.aborted) throw error;
          throw transportFailure(error, this.system, call, REQUEST_TIMEOUT_MS);
        });
        const text = await response.text().catch((error: unknown) => {
          // the body was cut (a reset mid-answer): as unreachable as a refused connection
          throw this.runSignal?.aborted
            ? cutByRun(error, this.runSignal, this.system, call, startedAt)
            : transportFailure(error, this.system, call, REQUEST_TIMEOUT_MS);
        });
        if (!response.ok) {
          let code = String(response.status);
          let message = text.slice(0, 300);
          let fromVercel = false;
          let invalidToken = false;
          try {
            const parsed = JSON.parse(text) as { error?: { code?: string; message?: string; invalidToken?: boolean } };
            fromVercel = parsed.error !== undefined;
            // Vercel answers a bad token with 403 and `invalidToken: true`, not 401
            invalidToken = parsed.error?.invalidToken === true;
            code = parsed.error?.code ?? code;
            message = parsed.error?.message ?? message;
          } catch {
            // not JSON: keep the text
          }
          // a 404 without Vercel's error body comes from something else at api-url
          if (response.status === 404 && !fromVercel)
            throw new OutsideFailure(this.system, call, 'http', 404, message.trim(), { statusText: response.statusText, noSuchApi: true });
          throw new VercelApiError(response.status, code, message.trim(), rateLimitDelay(response.headers), {
            system: this.system,
            call,
            statusText: response.statusText,
            invalidToken,
          });
        }
        return (text ? JSON.parse(text) : {}) as T;
      },
      classify,
      {
        policy: { baseDelayMs: 250, maxDelayMs: 5000, budgetMs: 120_000 },
        ...(runSignal ? { signal: runSignal } : {}),
        onRetry: (_e, delay, attempt, reason) => this.log.info(`  ↻ ${method} ${path}: ${reason}; retry ${attempt} in ${Math.round(delay)}ms`),
      },
    );
  }
}
