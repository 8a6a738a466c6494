import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { type KubeEmulator, runbookFixture } from '../../src/sandbox/kube/index.js';
import { kubeEmulators, liveImage, writes } from '../helpers/kube-fixtures.js';
import { runAction } from '../helpers/run-action.js';

const start = kubeEmulators();

/**
 * A kubeconfig whose user is an exec plugin, as kubelogin, `aws eks get-token` and gke-gcloud-auth-plugin write
 * them: the plugin here is a small script that prints an ExecCredential with a token only it knows.
 */
function execKubeconfig(e: KubeEmulator): { kubeconfig: string; token: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-exec-'));
  const token = `exec-issued-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const plugin = path.join(dir, 'get-token');
  const credential = {
    apiVersion: 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    status: { token, expirationTimestamp: new Date(Date.now() + 3_600_000).toISOString() },
  };
  fs.writeFileSync(plugin, `#!/bin/sh\ncat <<'JSON'\n${JSON.stringify(credential)}\nJSON\n`, { mode: 0o755 });
  const config = parseYaml(e.kubeconfig) as { users: { name: string; user: Record<string, unknown> }[] };
  config.users = [
    {
      name: 'keiko-sandbox',
      user: {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: plugin,
          args: ['--cluster', 'keiko'],
          interactiveMode: 'Never',
          provideClusterInfo: false,
        },
      },
    },
  ];
  return { kubeconfig: stringifyYaml(config), token };
}

describe('short-lived cluster credentials (exec plugins) in every Kubernetes action', () => {
  it('rollback-service, emergency-reroute and verify authenticate with the token the plugin returns, and never show it', async () => {
    const e = await start({ fixture: runbookFixture() });
    const { kubeconfig, token } = execKubeconfig(e);
    const rollback = await runAction('rollback-service', { environment: 'production', kubeconfig, services: 'chat-service' });
    expect(rollback.code, rollback.stdout).toBe(0);
    expect(liveImage(e, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.2.0');
    const reroute = await runAction('emergency-reroute', { environment: 'production', kubeconfig, 'dry-run': 'true', 'ingress-manifest': '' });
    const verify = await runAction('verify', { environment: 'production', kubeconfig, retries: '0', 'fail-on-unhealthy': 'false' });
    expect(verify.code, verify.stdout).toBe(0);
    const sent = new Set(e.requests.map((r) => r.bearer));
    expect(sent).toEqual(new Set([token]));
    for (const run of [rollback, reroute, verify]) {
      // masked for the runner before anything else is written, and never shown
      expect(run.stdout).toContain(`::add-mask::${token}`);
      expect(run.visible).not.toContain(token);
    }
  });
});

describe('plans made with read-only credentials (the plan job before approval)', () => {
  it('a services dry run whose patch RBAC refuses still plans, and says it was not dry-run on the server', async () => {
    const e = await start({ fixture: runbookFixture() });
    e.fault({ verb: 'patch', path: '/deployments/chat-service', status: 403 });
    const run = await runAction('rollback-service', { environment: 'production', kubeconfig: e.kubeconfig, services: 'chat-service', 'dry-run': 'true' });
    expect(run.code, run.stdout).toBe(0);
    const [result] = JSON.parse(run.outputs.result ?? '[]') as { status: string; message: string }[];
    expect(result).toMatchObject({
      status: 'planned',
      message: 'planned with read-only credentials: the patch was not dry-run on the server (that needs the patch verb); nothing changed',
    });
    expect(JSON.parse(run.outputs.plan ?? '{}')).toMatchObject({ services: [{ service: 'chat-service', to: { revision: 2 } }] });
    expect(writes(e).filter((w) => !w.dryRun)).toEqual([]);
  });

  it('only-from: a service that no longer runs the failed release is left as it is (an automatic rollback run twice rolls back nothing)', async () => {
    const e = await start({ fixture: runbookFixture() });
    const first = await runAction('rollback-service', {
      environment: 'production',
      kubeconfig: e.kubeconfig,
      services: 'chat-service,search-service',
      'only-from': 'v1.3.0',
    });
    expect(first.code, first.stdout).toBe(0);
    const rolled = JSON.parse(first.outputs.result ?? '[]') as { service: string; status: string; message: string }[];
    expect(rolled.find((r) => r.service === 'chat-service')?.status).toBe('rolled-back');
    const again = await runAction('rollback-service', { environment: 'production', kubeconfig: e.kubeconfig, services: 'chat-service', 'only-from': 'v1.3.0' });
    const [second] = JSON.parse(again.outputs.result ?? '[]') as { status: string; message: string }[];
    expect(second).toMatchObject({ status: 'unchanged' });
    expect(second?.message).toContain('runs v1.2.0, not v1.3.0: left as it is');
    expect(liveImage(e, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.2.0');
  });

  it('only-from must be a version tag', async () => {
    const run = await runAction('rollback-service', { environment: 'production', kubeconfig: 'x', services: 'chat-service', 'only-from': 'v1 2' });
    expect(run.code).toBe(1);
    expect(run.errorLines).toEqual(['::error::Input \'only-from\' must be a version tag such as v1.2.0 (the release that failed), got "v1 2"']);
    // the annotation names the step that failed
    expect(run.stdout).toContain("::error title=rollback-service failed::Input 'only-from'");
  });
});
