import { spawn } from 'node:child_process';

export interface Measurement {
  label: string;
  samples: number[];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export function describe(m: Measurement, unit = 'ms'): string {
  const fmt = (v: number): string => (unit === 'ms' ? (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`) : `${Math.round(v)}`);
  return `${fmt(median(m.samples))} (${fmt(Math.min(...m.samples))}–${fmt(Math.max(...m.samples))}, n=${m.samples.length})`;
}

/** Runs `body` once to warm up, then `repetitions` times, timing each. */
export async function repeat(
  label: string,
  repetitions: number,
  body: () => Promise<unknown>,
  options: { warmup?: boolean; before?: () => Promise<unknown> } = {},
): Promise<Measurement> {
  if (options.warmup !== false) {
    await options.before?.();
    await body();
  }
  const samples: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    await options.before?.();
    const t0 = performance.now();
    await body();
    samples.push(performance.now() - t0);
  }
  return { label, samples };
}

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
  firstOutputMs: number | undefined;
}

export function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): Promise<ProcessResult> {
  const t0 = performance.now();
  const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd });
  let stdout = '';
  let stderr = '';
  let firstOutputMs: number | undefined;
  const first = (): void => {
    firstOutputMs ??= performance.now() - t0;
  };
  child.stdout.on('data', (c: Buffer) => {
    first();
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    first();
    stderr += c.toString();
  });
  if (options.input !== undefined) child.stdin.end(options.input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr, firstOutputMs })));
}
