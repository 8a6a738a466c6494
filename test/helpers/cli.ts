import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { quote } from 'shell-quote';
import { ROOT } from './run-action.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** What the command appended to GITHUB_STEP_SUMMARY. */
  summary: string;
  /** What the command wrote to GITHUB_OUTPUT (name=value lines). */
  outputs: Record<string, string>;
}

/** Runs the built `keiko-rollback` CLI with a minimal environment and a fresh step-summary file. */
export function runCli(args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<CliRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-cli-'));
  const summaryFile = path.join(dir, 'summary');
  const outputFile = path.join(dir, 'output');
  fs.writeFileSync(summaryFile, '');
  fs.writeFileSync(outputFile, '');
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/keiko-rollback.js'), ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), GITHUB_STEP_SUMMARY: summaryFile, GITHUB_OUTPUT: outputFile, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const outputs = (): Record<string, string> =>
    Object.fromEntries(
      fs
        .readFileSync(outputFile, 'utf8')
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr, summary: fs.readFileSync(summaryFile, 'utf8'), outputs: outputs() })),
  );
}

/**
 * The built CLI at a real terminal: `script` gives it a pseudo-terminal, so stdin is a TTY as for a
 * person. `answer` is typed when the question appears on the screen, never after a fixed delay.
 */
export function atTerminal(args: string[], env: Record<string, string>, cwd: string, answer: string): Promise<{ code: number | null; screen: string }> {
  const command = quote([process.execPath, path.join(ROOT, 'bin', 'keiko-rollback.js'), ...args]);
  const child = spawn('script', ['-q', '-f', '-e', '-c', command, '/dev/null'], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), TERM: 'dumb', ...env },
  });
  let screen = '';
  let answered = false;
  child.stdout.on('data', (chunk: Buffer) => {
    screen += chunk.toString();
    if (!answered && screen.includes('Proceed? [y/N]')) {
      answered = true;
      child.stdin.write(`${answer}\r`);
    }
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, screen })));
}
