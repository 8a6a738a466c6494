import { formatDuration } from './durations.js';

/** The longest delay a JavaScript timer can hold (2^31-1 ms, about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Time kept back at the end of a run so that Leases can be released and the summary written. */
export const RELEASE_GRACE_MS = 4_000;

/**
 * One clock per run: every request, watch, child process and retry sleep of an action takes its
 * signal from here, so the `timeout` input bounds the whole run, not each step.
 */
export interface RunClock {
  /** Aborted when the run's time is up (reason: a TimeoutError) or the run is cancelled. */
  readonly signal: AbortSignal;
  /** Epoch ms at which the run's time is up. */
  readonly deadline: number;
  /** The `timeout` as the user wrote it, for messages ("timed out after 10m"). */
  readonly label: string;
  remaining(): number;
  /** True when the signal aborted because the time ran out (not a cancel). */
  timedOut(): boolean;
  /** A signal for one call: the run's, and at most `capMs` (what is left when that is less). */
  within(capMs: number): AbortSignal;
}

export function createRunClock(limitMs: number, cancel?: AbortSignal, now = Date.now()): RunClock {
  const limit = Math.min(Math.max(1, limitMs), MAX_TIMER_MS);
  const timeout = AbortSignal.timeout(limit);
  const signal = cancel ? AbortSignal.any([timeout, cancel]) : timeout;
  const deadline = now + limit;
  return {
    signal,
    deadline,
    label: formatDuration(limit),
    remaining: () => Math.max(0, deadline - Date.now()),
    timedOut: () => timeout.aborted,
    within(capMs) {
      return AbortSignal.any([signal, AbortSignal.timeout(Math.max(1, Math.min(capMs, MAX_TIMER_MS)))]);
    },
  };
}

/** A signal that releases what a run holds after its own signal ended: a few seconds, whatever is left. */
export function releaseSignal(ms = 3_500): AbortSignal {
  return AbortSignal.timeout(ms);
}

/** True for the error a fetch or sleep throws when its signal aborted (time up, cancel, or a per-call cap). */
export function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError' || error.name === 'CancelledError');
}
