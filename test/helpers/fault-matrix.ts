import { expect } from 'vitest';
import type { FaultRule } from '../../src/sandbox/fault-proxy.js';
import { type ActionRun, hasStackTrace } from './run-action.js';

/** One misbehaviour of an outside HTTP system, as the fault proxy plays it. */
export interface HttpFaultCase {
  name: string;
  /** Undefined: the server's address refuses connections (nothing listens). */
  rule?: FaultRule;
  /** The run should converge anyway (a lost answer is read back). */
  converges?: boolean;
}

const status = (code: number, body?: string, headers?: Record<string, string>): FaultRule => ({
  fault: { kind: 'status', status: code, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) },
});

/** The standing list: hang, slow, refuse, reset, lost answer, 401, 403, 404 of the API, 429 ±Retry-After, 5xx, empty 4xx. */
export function httpFaults(options: {
  writeMethod: string;
  writePath?: string | RegExp;
  errorBody: (code: number, message: string) => string;
}): HttpFaultCase[] {
  return [
    { name: 'hang', rule: { fault: { kind: 'hang' } } },
    { name: 'slow (every answer +1.5 s)', rule: { fault: { kind: 'slow', delayMs: 1500 } } },
    { name: 'connection refused' },
    { name: 'reset mid-body', rule: { fault: { kind: 'reset' } } },
    {
      name: 'lost answer after the write',
      rule: { fault: { kind: 'lose' }, method: options.writeMethod, ...(options.writePath ? { path: options.writePath } : {}), times: 1 },
      converges: true,
    },
    { name: '401', rule: status(401, options.errorBody(401, 'Unauthorized')) },
    { name: '403', rule: status(403, options.errorBody(403, 'forbidden: the token may not do this')) },
    { name: '404 of the API itself', rule: status(404, '404 page not found\n', { 'content-type': 'text/plain' }) },
    { name: '429 without Retry-After', rule: status(429, options.errorBody(429, 'Too many requests')) },
    { name: '429 with Retry-After', rule: status(429, options.errorBody(429, 'Too many requests'), { 'retry-after': '1' }) },
    { name: '503', rule: status(503, options.errorBody(503, 'service unavailable')) },
    { name: 'empty 431', rule: status(431) },
  ];
}

/**
 * What every fault run must show: it ended within its timeout + 5 s, failed (or succeeded) with at
 * most one error line that names the outside system, no "Internal failure", no stack trace.
 */
export function expectNamedOutcome(run: ActionRun, elapsedMs: number, timeoutMs: number, system: RegExp): void {
  expect(elapsedMs, run.stdout).toBeLessThanOrEqual(timeoutMs + 5_000);
  expect([0, 1]).toContain(run.code);
  expect(run.errorLines.length, run.stdout).toBeLessThanOrEqual(1);
  expect(run.visible).not.toContain('Internal failure');
  expect(hasStackTrace(run.visible)).toBe(false);
  if (run.code === 1) {
    expect(run.errorLines[0], run.stdout).toMatch(system);
    expect(run.summary.length, 'the summary says what happened').toBeGreaterThan(0);
  }
}

/**
 * Runs an action and measures from the moment its clock started (its debug line) to its exit, so
 * a slow process start on a busy machine is not counted against the action's `timeout`.
 */
export async function timed(work: (onStdout: (soFar: string) => void) => Promise<ActionRun>): Promise<{ result: ActionRun; elapsedMs: number }> {
  let started: number | undefined;
  const result = await work((soFar) => {
    if (started === undefined && soFar.includes('::debug::clock started')) started = Date.now();
  });
  return { result, elapsedMs: started === undefined ? 0 : Date.now() - started };
}
