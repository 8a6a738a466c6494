import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, env);

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
    expect(unknown.stderr.trim()).toBe(
      'error: unknown command "restart" (commands: service, database, frontend, reroute, verify, sandbox, drill, environments, plan-summary, report, approve, claim-automatic, notify; see --help)',
    );
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
