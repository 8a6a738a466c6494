import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlFor } from '../helpers/kubectl.js';
import { ROOT } from '../helpers/run-action.js';

const BIN = path.join(ROOT, 'bin', 'keiko-rollback.js');
let sandbox: ChildProcess;
let kubeconfigPath: string;

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-cli-'));
  kubeconfigPath = path.join(dir, 'kubeconfig');
  const port = String(20000 + Math.floor(Math.random() * 20000));
  sandbox = spawn(process.execPath, [BIN, 'sandbox', 'kube', '--port', port, '--kubeconfig', kubeconfigPath], { env: { PATH: process.env.PATH ?? '' } });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    sandbox.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('export KUBECONFIG=')) resolve();
    });
    sandbox.on('exit', (code) => reject(new Error(`sandbox exited with ${code}`)));
  });
});
afterAll(() => {
  sandbox.kill('SIGTERM');
});

describe('keiko-rollback service (the runbook form) against keiko-rollback sandbox kube', () => {
  it('rolls chat-service back to v1.2.0 in production and prints the outputs as JSON', async () => {
    const planFile = path.join(os.tmpdir(), `keiko-plan-${process.pid}.json`);
    const result = await run(['service', 'chat-service', 'v1.2.0', 'production', '--reason', 'checkout errors', '--plan-out', planFile], {
      KUBECONFIG: kubeconfigPath,
      USER: 'oncall-alex',
    });
    expect(result.code, result.stderr).toBe(0);
    // outputs are plain JSON values: result is an array, not a string holding one
    const outputs = JSON.parse(result.stdout) as { result: { status: string }[]; 'rolled-back': string };
    expect(outputs['rolled-back']).toBe('chat-service');
    expect(outputs.result[0]).toMatchObject({ status: 'rolled-back', namespace: 'keiko-production', 'to-version': 'v1.2.0' });
    // the change-cause names the person at the terminal
    const kubectlNow = kubectlFor(fs.readFileSync(kubeconfigPath, 'utf8'));
    const cause = await kubectlNow(
      'get',
      'deploy',
      'chat-service',
      '-n',
      'keiko-production',
      '-o',
      'jsonpath={.metadata.annotations.kubernetes\\.io/change-cause}',
    );
    expect(cause.stdout).toContain('checkout errors (rollback to v1.2.0 by oncall-alex');
    // the written plan, executed again, writes nothing
    const again = await run(['service', '--plan', planFile], { KUBECONFIG: kubeconfigPath });
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { result: { status: string }[] }).result.map((r) => r.status)).toEqual(['unchanged']);
    expect(result.stderr).toContain('▶ Plan: 1 service(s) in keiko-production → v1.2.0');
    expect(result.stderr).toContain('| chat-service | ✅ rolled-back | v1.3.0 → v1.2.0 |');
    const token = /token: (\S+)/.exec(fs.readFileSync(kubeconfigPath, 'utf8'))?.[1] ?? 'missing';
    expect(result.stdout + result.stderr).not.toContain(token);
    const kubectl = kubectlFor(fs.readFileSync(kubeconfigPath, 'utf8'));
    const image = await kubectl('get', 'deploy', 'chat-service', '-n', 'keiko-production', '-o', 'jsonpath={.spec.template.spec.containers[0].image}');
    expect(image.stdout).toBe('registry.keiko.io/chat-service:v1.2.0');
  });

  it('runs the runbook loop over all services with one command', async () => {
    const result = await run(['service', '--services', 'search-service,document-service,auth-service', '--target', 'v1.2.0', '--environment', 'production'], {
      KUBECONFIG: kubeconfigPath,
    });
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as Record<string, string>)['rolled-back']).toBe('search-service,document-service,auth-service');
  });
});
