import { sleep } from './durations.js';

export interface RetryDecision {
  retry: boolean;
  /** A server-given wait (Retry-After, rate-limit reset) overrides the backoff. */
  delayMs?: number;
  reason?: string;
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 6, baseDelayMs: 200, maxDelayMs: 5_000 };

export function backoffDelay(attempt: number, policy: RetryPolicy): number {
  const exponential = policy.baseDelayMs * 2 ** (attempt - 1);
  // full jitter keeps many parallel rollbacks from retrying in lockstep
  const capped = Math.min(policy.maxDelayMs, exponential);
  return Math.round(capped / 2 + Math.random() * (capped / 2));
}

/** Runs `operation` until it succeeds, `classify` says stop, or the attempts run out. */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  classify: (error: unknown) => RetryDecision,
  options: { policy?: RetryPolicy; onRetry?: (error: unknown, delayMs: number, attempt: number, reason?: string) => void; signal?: AbortSignal } = {},
): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      const decision = classify(error);
      if (!decision.retry || attempt >= policy.attempts) throw error;
      const delay = Math.min(decision.delayMs ?? backoffDelay(attempt, policy), 60_000);
      options.onRetry?.(error, delay, attempt, decision.reason);
      await sleep(delay, options.signal);
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
