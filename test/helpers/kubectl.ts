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
export type Kubectl = ((...args: string[]) => Promise<KubectlResult>) & {
  /** The same, calling `onStdout` with the output so far as it arrives (to act on an event). */
  watching(onStdout: (soFar: string) => void, ...args: string[]): Promise<KubectlResult>;
};

export function kubectlFor(kubeconfig: string): Kubectl {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-kubectl-'));
  const config = path.join(dir, 'kubeconfig');
  fs.writeFileSync(config, kubeconfig, { mode: 0o600 });
  const run = async (onStdout: ((soFar: string) => void) | undefined, args: string[]): Promise<KubectlResult> => {
    const cache = fs.mkdtempSync(path.join(dir, 'cache-'));
    const child = spawn('kubectl', ['--kubeconfig', config, '--cache-dir', cache, ...args], { env: { PATH: process.env.PATH ?? '', HOME: dir } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      onStdout?.(stdout);
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, stdout, stderr };
  };
  return Object.assign((...args: string[]) => run(undefined, args), {
    watching: (onStdout: (soFar: string) => void, ...args: string[]) => run(onStdout, args),
  });
}
