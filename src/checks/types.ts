/** One attempt of one check. */
export interface CheckOutcome {
  ok: boolean;
  detail: string;
  latencyMs?: number;
  /** For alerts: a firing alert labelled severity=critical. */
  criticalAlert?: boolean;
  /** Services this outcome affects, when it knows better than its check (e.g. alerts labelled service=…). */
  affects?: string[];
}

export interface Check {
  name: string;
  /** The service this check belongs to; undefined means platform-wide. */
  service: string | undefined;
  /**
   * A signal (smoke test, alert, App Insights count, query) hints at trouble without measuring how
   * many users it reaches: its failure raises the severity one level at most. Dependencies
   * (database, Redis, TCP, a health URL of no service) are platform-wide.
   */
  signal?: boolean;
  run(signal: AbortSignal): Promise<CheckOutcome>;
}

export interface CheckReport {
  name: string;
  service: string | null;
  status: 'pass' | 'fail';
  attempts: number;
  'latency-ms': number | null;
  detail: string;
  criticalAlert?: boolean;
  affects?: string[];
  signal?: boolean;
}

export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}
