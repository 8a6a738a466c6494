import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/run-action.js';

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'keiko-rollback.js'), ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr };
}

describe('keiko-rollback CLI (built bundle)', () => {
  it('--help lists every command', async () => {
    const run = await cli(['--help']);
    expect(run.code).toBe(0);
    for (const command of ['service', 'database', 'frontend', 'reroute', 'verify', 'sandbox', 'drill']) expect(run.stdout).toContain(`  ${command}`);
  });

  it('service --help lists every input of the action with its default', async () => {
    const run = await cli(['service', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('keiko-rollback service <service-name> <target-version> [environment]');
    expect(run.stdout).toMatch(/--max-parallel\s+Services rolled back at once\. \(default: 10\)/);
    expect(run.stdout).toContain('--on-managed');
  });

  it('rejects an unknown command and an unknown flag with one error line', async () => {
    const unknown = await cli(['restart']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe('error: unknown command "restart" (commands: service, database, frontend, reroute, verify, sandbox, drill, environments, plan-summary, report; see --help)');
    const flag = await cli(['service', '--servics', 'a']);
    expect(flag.code).toBe(1);
    expect(flag.stderr.trim()).toBe('error: unknown option --servics (see --help for the options)');
  });

  it('validates inputs exactly like the action', async () => {
    const run = await cli(['service', 'Chat_Service', 'v1.2.0', 'production']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error: Input 'services' has "Chat_Service" is not a valid Kubernetes name`);
  });
});
