import { sleep } from './durations.js';
import { OutsideFailure } from './outside.js';

export interface RetryDecision {
  retry: boolean;
  /** A server-given wait (Retry-After, rate-limit reset) overrides the backoff. */
  delayMs?: number;
  reason?: string;
}

/** Retries are budgeted in time (bounded again by the run's signal), never in a fixed count. */
export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  /** Stop retrying once this much time has passed since the first call. */
  budgetMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseDelayMs: 200, maxDelayMs: 5_000, budgetMs: 120_000 };

export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>): number {
  const exponential = policy.baseDelayMs * 2 ** Math.min(attempt - 1, 20);
  // full jitter keeps many parallel rollbacks from retrying in lockstep
  const capped = Math.min(policy.maxDelayMs, exponential);
  return Math.round(capped / 2 + Math.random() * (capped / 2));
}

function gaveUp(error: unknown, attempts: number, started: number): unknown {
  if (error instanceof OutsideFailure) error.retried = { attempts, ms: Date.now() - started };
  return error;
}

/**
 * Runs `operation` until it succeeds, `classify` says stop, the time budget is spent or `signal`
 * aborts. Giving up throws the last failure (marked with how long it was retried), not the abort:
 * "throttled for 58 s" says more than "aborted".
 */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  classify: (error: unknown) => RetryDecision,
  options: { policy?: RetryPolicy; onRetry?: (error: unknown, delayMs: number, attempt: number, reason?: string) => void; signal?: AbortSignal } = {},
): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (options.signal?.aborted) throw gaveUp(error, attempt, started);
      const decision = classify(error);
      if (!decision.retry) throw gaveUp(error, attempt, started);
      const delay = Math.max(0, Math.min(decision.delayMs ?? backoffDelay(attempt, policy), 60_000));
      if (Date.now() + delay - started > policy.budgetMs) throw gaveUp(error, attempt, started);
      options.onRetry?.(error, delay, attempt, decision.reason);
      try {
        await sleep(delay, options.signal);
      } catch {
        throw gaveUp(error, attempt, started);
      }
    }
  }
}

/** Seconds or an HTTP date, as `Retry-After` allows. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
