import { type Check, type CheckOutcome, errorText } from './types.js';

export interface StatusRange {
  from: number;
  to: number;
}

export interface HttpCheckOptions {
  expectedStatus: StatusRange[];
  expectBody: string | undefined;
  headers: [string, string][];
  maxLatencyMs: number | undefined;
  requestTimeoutMs: number;
}

function jsonPath(value: unknown, path: string): unknown {
  let node: unknown = value;
  for (const part of path.split('.').filter(Boolean)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = Array.isArray(node) ? node[Number(part)] : (node as Record<string, unknown>)[part];
  }
  return node;
}

/** `json:<path>=<value>` compares a field of the JSON body; anything else must appear in the body. */
export function bodyProblem(body: string, expect: string | undefined): string | undefined {
  if (!expect) return undefined;
  const json = /^json:([^=]+)=(.*)$/.exec(expect);
  if (!json) return body.includes(expect) ? undefined : `body does not contain "${expect}"`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'body is not JSON';
  }
  const actual = jsonPath(parsed, json[1] ?? '');
  return String(actual) === json[2] ? undefined : `${json[1]} is ${JSON.stringify(actual)}, expected ${json[2]}`;
}

export function httpCheck(name: string, service: string | undefined, url: string, options: HttpCheckOptions, display: string): Check {
  return {
    name,
    service,
    async run(signal): Promise<CheckOutcome> {
      const started = performance.now();
      try {
        const response = await fetch(url, {
          headers: Object.fromEntries(options.headers),
          signal: AbortSignal.any([signal, AbortSignal.timeout(options.requestTimeoutMs)]),
          redirect: 'manual',
        });
        const body = await response.text();
        const latencyMs = Math.round(performance.now() - started);
        const statusOk = options.expectedStatus.some((r) => response.status >= r.from && response.status <= r.to);
        const problems = [
          statusOk ? undefined : `HTTP ${response.status}`,
          bodyProblem(body, options.expectBody),
          options.maxLatencyMs !== undefined && latencyMs > options.maxLatencyMs ? `${latencyMs}ms > max-latency ${options.maxLatencyMs}ms` : undefined,
        ].filter(Boolean);
        return {
          ok: problems.length === 0,
          latencyMs,
          detail: problems.length ? `${display}: ${problems.join('; ')}` : `${display}: HTTP ${response.status} in ${latencyMs}ms`,
        };
      } catch (error) {
        return { ok: false, latencyMs: Math.round(performance.now() - started), detail: `${display}: ${errorText(error)}` };
      }
    },
  };
}
