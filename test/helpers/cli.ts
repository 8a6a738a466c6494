import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './run-action.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** What the command appended to GITHUB_STEP_SUMMARY. */
  summary: string;
}

/** Runs the built `keiko-rollback` CLI with a minimal environment and a fresh step-summary file. */
export function runCli(args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<CliRun> {
  const summaryFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-cli-')), 'summary');
  fs.writeFileSync(summaryFile, '');
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/keiko-rollback.js'), ...args], { cwd, env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), GITHUB_STEP_SUMMARY: summaryFile, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr, summary: fs.readFileSync(summaryFile, 'utf8') })));
}
