import { displayUrl, OutsideFailure, type OutsideSystem, retryableStatus, transportFailure } from '../core/outside.js';
import { parseRetryAfter, type RetryDecision, type RetryPolicy, withRetry } from '../core/retry.js';

/** The GitHub REST calls this project makes, over Octokit (base URL from GITHUB_API_URL, as on runners and GHES). */
export interface GitHubApi {
  request<T>(method: string, path: string, body?: object): Promise<T>;
}

const REQUEST_TIMEOUT_MS = 30_000;
/** The same shape as every other outside call: backoff with jitter, bounded in time (and by the command's clock). */
const GITHUB_RETRY_POLICY: RetryPolicy = { baseDelayMs: 500, maxDelayMs: 5_000, budgetMs: 30_000 };
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE']);

/**
 * Rate limits (429, or 403 "secondary rate limit") were not served, so any call may be repeated, after the
 * server's Retry-After. A 5xx or a lost answer is repeated only for idempotent calls: a POST that may have
 * created a deployment or an issue is not sent twice.
 */
export function classifyGitHubFailure(method: string, error: unknown): RetryDecision {
  if (!(error instanceof OutsideFailure)) return { retry: false };
  const headers = (error.cause as { response?: { headers?: Record<string, string | undefined> } } | undefined)?.response?.headers;
  const delayMs = parseRetryAfter(headers?.['retry-after']);
  const rateLimited = error.status === 429 || (error.status === 403 && /secondary rate limit|rate limit exceeded/i.test(error.message));
  if (rateLimited) return { retry: true, ...(delayMs !== undefined ? { delayMs } : {}), reason: 'rate limited' };
  if (!IDEMPOTENT.has(method)) return { retry: false };
  if (error.kind === 'http') return { retry: error.status !== undefined && retryableStatus(error.status) };
  return { retry: error.kind === 'unreachable' || error.kind === 'no-answer' };
}

/** Octokit's errors carry `status` (and `response.data.message`); anything else is the network's. */
function githubFailure(error: unknown, system: OutsideSystem, call: string): unknown {
  const status = (error as { status?: unknown }).status;
  // Octokit reports a request that got no answer at all (refused, reset, DNS, a port fetch blocks) as status 500
  // without a response; its cause is the network's error
  const response = (error as { response?: unknown }).response;
  if (status === 500 && response === undefined && (error as { cause?: unknown }).cause instanceof Error) {
    const cause = (error as { cause: Error }).cause;
    const named = transportFailure(cause, system, call, REQUEST_TIMEOUT_MS);
    return named instanceof OutsideFailure
      ? named
      : new OutsideFailure(system, call, 'unreachable', undefined, (cause.cause instanceof Error ? cause.cause.message : '') || cause.message, { cause });
  }
  if (typeof status === 'number' && status > 0) {
    const data = (error as { response?: { data?: unknown } }).response?.data;
    const message = typeof data === 'object' && data !== null ? (data as { message?: unknown }).message : undefined;
    // GitHub always answers JSON with a message; a 404 without one comes from something else at GITHUB_API_URL
    return new OutsideFailure(system, call, 'http', status, typeof message === 'string' ? message : '', {
      cause: error,
      ...(status === 404 && typeof message !== 'string' ? { noSuchApi: true } : {}),
    });
  }
  return transportFailure(error, system, call, REQUEST_TIMEOUT_MS);
}

export function githubApi(token: string, baseUrl = process.env.GITHUB_API_URL ?? 'https://api.github.com', signal?: AbortSignal): GitHubApi {
  const system: OutsideSystem = {
    name: 'GitHub API',
    where: displayUrl(baseUrl),
    credential: 'the GitHub token (GITHUB_TOKEN, or environments-token for environment settings)',
    urlInput: 'GITHUB_API_URL',
    forbiddenHint: 'give the token the permission this call needs (deployments: write, issues: write; environments need an admin token)',
  };
  return {
    async request<T>(method: string, path: string, body?: object): Promise<T> {
      const { getOctokit } = await import('@actions/github');
      const octokit = getOctokit(token, { baseUrl });
      const call = `${method} ${path}`;
      const once = async (): Promise<T> => {
        try {
          const response = await octokit.request(call, {
            ...(body ?? {}),
            headers: { 'x-github-api-version': '2022-11-28' },
            request: { signal: AbortSignal.any([...(signal ? [signal] : []), AbortSignal.timeout(REQUEST_TIMEOUT_MS)]) },
          });
          // every call here answers a JSON object (or nothing); text means the answer was cut or is not GitHub's
          if (typeof response.data === 'string' && response.status !== 204)
            throw new OutsideFailure(system, call, 'unreachable', undefined, 'the answer was cut off or is not JSON', { code: 'incomplete answer' });
          return response.data as T;
        } catch (error) {
          if (error instanceof OutsideFailure) throw error;
          throw githubFailure(error, system, call);
        }
      };
      return withRetry(once, (error) => classifyGitHubFailure(method, error), { policy: GITHUB_RETRY_POLICY, ...(signal ? { signal } : {}) });
    },
  };
}
