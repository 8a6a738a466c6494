import { formatDuration } from '../core/durations.js';
import { runTool } from '../core/exec.js';
import type { Logger } from '../core/logger.js';
import type { Check } from './types.js';

/**
 * Smoke commands are the workflow author's, like a `run:` step: each line runs as one argument to
 * `bash -c` (so `cd services/chat-service && pytest tests/integration/` works as in the runbook),
 * in working-directory, with the runner's inputs and the CLI's secrets taken out of its
 * environment. Nothing from another input is ever put into the command.
 */
export function smokeArgs(line: string): string[] {
  return ['-c', line];
}

/** bash's own parser says whether the line is valid shell (`bash -n`), before anything runs. */
export async function smokeSyntaxProblem(line: string): Promise<string | undefined> {
  const run = await runTool('bash', ['-n', ...smokeArgs(line)], { timeoutMs: 10_000 });
  if (run.exitCode === 0) return undefined;
  return (
    run.stderr
      .trim()
      .split('\n')
      .map((l) => l.replace(/^bash: -c: /, ''))
      .join(' ') || `bash -n exited ${run.exitCode}`
  );
}

export function smokeCheck(index: number, line: string, cwd: string, timeoutMs: () => number, log: Logger): Check {
  const first = line.split(/\s+/).find((word) => !['cd', '&&', ';'].includes(word) && !word.includes('/')) ?? 'command';
  return {
    name: `smoke:${index + 1} ${first}`,
    service: undefined,
    signal: true,
    async run() {
      const started = performance.now();
      const limit = timeoutMs();
      const run = await runTool('bash', smokeArgs(line), { cwd, timeoutMs: limit });
      const latencyMs = Math.round(performance.now() - started);
      const output = `${run.stdout}${run.stderr}`.trimEnd();
      await log.group(`smoke: ${line} → ${run.timedOut ? 'timed out' : `exit ${run.exitCode}`} (${formatDuration(latencyMs)})`, async () =>
        log.info(output || '(no output)'),
      );
      const lastLine = output.split('\n').pop() ?? '';
      if (run.timedOut) return { ok: false, latencyMs, detail: `${line}: timed out after ${formatDuration(limit)}` };
      return { ok: run.exitCode === 0, latencyMs, detail: `${line}: exit ${run.exitCode}${lastLine ? ` — ${lastLine.slice(0, 200)}` : ''}` };
    },
  };
}
