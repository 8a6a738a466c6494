import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type ProcessResult, run } from './measure.js';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Runs a built action as the runner does (INPUT_* with action.yml defaults), like the tests' helper. */
export async function runDistAction(
  name: string,
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
): Promise<ProcessResult & { dir: string }> {
  const meta = parseYaml(fs.readFileSync(path.join(ROOT, 'actions', name, 'action.yml'), 'utf8')) as { inputs: Record<string, { default?: string }> };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `keiko-bench-${name}-`));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    RUNNER_TEMP: dir,
    GITHUB_WORKSPACE: dir,
    GITHUB_OUTPUT: path.join(dir, 'out'),
    GITHUB_STATE: path.join(dir, 'state'),
    ...extraEnv,
  };
  for (const file of ['out', 'state']) fs.writeFileSync(path.join(dir, file), '');
  for (const [input, spec] of Object.entries(meta.inputs)) env[`INPUT_${input.toUpperCase()}`] = inputs[input] ?? spec.default ?? '';
  return { ...(await run(process.execPath, [path.join(ROOT, 'dist', name, 'index.js')], { env })), dir };
}

export function dirSize(target: string): number {
  const stat = fs.statSync(target);
  if (!stat.isDirectory()) return stat.size;
  return fs.readdirSync(target).reduce((sum, e) => sum + dirSize(path.join(target, e)), 0);
}
