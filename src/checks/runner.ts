import { abortable, formatDuration, sleep } from '../core/durations.js';
import type { Logger } from '../core/logger.js';
import type { Check, CheckOutcome, CheckReport } from './types.js';

export interface RunOptions {
  retries: number;
  intervalMs: number;
  stabilityWindowMs: number | undefined;
  signal: AbortSignal;
  log: Logger;
}

function report(check: Check, outcome: CheckOutcome, attempts: number): CheckReport {
  return {
    name: check.name,
    service: check.service ?? null,
    status: outcome.ok ? 'pass' : 'fail',
    attempts,
    'latency-ms': outcome.latencyMs ?? null,
    detail: outcome.detail,
    ...(outcome.criticalAlert ? { criticalAlert: true } : {}),
    ...(outcome.affects ? { affects: outcome.affects } : {}),
    ...(check.signal ? { signal: true } : {}),
  };
}

/** Retries one check until it passes or the retries run out. */
async function untilGreen(check: Check, options: RunOptions): Promise<CheckReport> {
  let outcome: CheckOutcome = { ok: false, detail: 'not run: the run ended first' };
  let attempt = 0;
  try {
    for (; attempt <= options.retries; attempt++) {
      if (attempt > 0) await sleep(options.intervalMs, options.signal);
      outcome = await abortable(check.run(options.signal), options.signal);
      if (outcome.ok) break;
      options.log.info(`  ${check.name}: attempt ${attempt + 1}/${options.retries + 1} failed: ${outcome.detail}`);
    }
  } catch (error) {
    // the run's time is up (or it was cancelled): what was seen last is the verdict
    if (!options.signal.aborted) throw error;
    return report(check, { ...outcome, ok: false, detail: `${outcome.detail}; stopped: ${ended(options.signal)}` }, attempt);
  }
  return report(check, outcome, Math.min(attempt + 1, options.retries + 1));
}

function ended(signal: AbortSignal): string {
  return signal.reason instanceof Error && signal.reason.name === 'TimeoutError' ? "the run's timeout passed" : 'the run was cancelled';
}

/** After going green, the check repeats every interval and must stay green for the whole window. */
async function staysGreen(check: Check, first: CheckReport, options: RunOptions, windowEnd: number, started: number): Promise<CheckReport> {
  let attempts = first.attempts;
  try {
    while (Date.now() + options.intervalMs <= windowEnd) {
      await sleep(options.intervalMs, options.signal);
      const outcome = await abortable(check.run(options.signal), options.signal);
      attempts++;
      if (!outcome.ok)
        return {
          ...report(check, outcome, attempts),
          detail: `flapped at +${formatDuration(Date.now() - started)} in the stability window: ${outcome.detail}`,
        };
    }
  } catch (error) {
    if (!options.signal.aborted) throw error;
    return { ...first, status: 'fail', attempts, detail: `green, but the stability window was not over when ${ended(options.signal)}` };
  }
  return { ...first, attempts };
}

/** Runs every check at once: the total time is about the slowest check, never the sum. */
export async function runChecks(checks: Check[], options: RunOptions): Promise<CheckReport[]> {
  const started = Date.now();
  return Promise.all(
    checks.map(async (check) => {
      const first = await untilGreen(check, options);
      if (first.status === 'fail' || !options.stabilityWindowMs) return first;
      return staysGreen(check, first, options, started + options.stabilityWindowMs, started);
    }),
  );
}
