import { runTool } from '../core/exec.js';
import { formatDuration } from '../core/durations.js';
import type { Logger } from '../core/logger.js';
import type { Check } from './types.js';

/** Splits a command line the way a POSIX shell splits words (quotes, backslashes), without running a shell. */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] ?? '';
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === '\\' && ['"', '\\', '$', '`'].includes(line[i + 1] ?? '')) word += line[++i];
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\') {
      word += line[++i] ?? '';
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote in: ${line}`);
  if (inWord) words.push(word);
  return words;
}

export function smokeCheck(index: number, line: string, cwd: string, timeoutMs: number, log: Logger): Check {
  const [tool = '', ...args] = splitCommand(line);
  return {
    name: `smoke:${index + 1} ${tool.split('/').pop()}`,
    service: undefined,
    async run() {
      const started = performance.now();
      const run = await runTool(tool, args, { cwd, timeoutMs });
      const latencyMs = Math.round(performance.now() - started);
      const output = `${run.stdout}${run.stderr}`.trimEnd();
      await log.group(`smoke: ${line} → ${run.timedOut ? 'timed out' : `exit ${run.exitCode}`} (${formatDuration(latencyMs)})`, async () => log.info(output || '(no output)'));
      const lastLine = output.split('\n').pop() ?? '';
      if (run.timedOut) return { ok: false, latencyMs, detail: `${line}: timed out after ${formatDuration(timeoutMs)}` };
      return { ok: run.exitCode === 0, latencyMs, detail: `${line}: exit ${run.exitCode}${lastLine ? ` — ${lastLine.slice(0, 200)}` : ''}` };
    },
  };
}
