import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real kubectl against a kubeconfig, with a fresh discovery cache each time. */
export function kubectlFor(kubeconfig: string): (...args: string[]) => Promise<KubectlResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-kubectl-'));
  const config = path.join(dir, 'kubeconfig');
  fs.writeFileSync(config, kubeconfig, { mode: 0o600 });
  return async (...args) => {
    const cache = fs.mkdtempSync(path.join(dir, 'cache-'));
    const child = spawn('kubectl', ['--kubeconfig', config, '--cache-dir', cache, ...args], { env: { PATH: process.env.PATH ?? '', HOME: dir } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, stdout, stderr };
  };
}
