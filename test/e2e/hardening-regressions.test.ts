import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDnsEmulator } from '../../src/sandbox/dns/server.js';
import { startFaultProxy } from '../../src/sandbox/fault-proxy.js';
import { runbookFixture, startKubeEmulator } from '../../src/sandbox/kube/index.js';
import { runCli } from '../helpers/cli.js';
import { expectNamedOutcome, timed } from '../helpers/fault-matrix.js';
import { LEASES, NS, writes } from '../helpers/kube-fixtures.js';
import { hasStackTrace, runAction } from '../helpers/run-action.js';

type Ctx = { onTestFinished: (fn: () => Promise<void> | void) => void };
const open = <T extends { close(): Promise<void> }>(ctx: Ctx, server: T): T => {
  ctx.onTestFinished(() => server.close());
  return server;
};
/** A workflow command escapes % as %25 (the runner shows %). */
const unescaped = (line: string | undefined): string => (line ?? '').replaceAll('%25', '%');
const statuses = (text: string | undefined): string[] => (JSON.parse(text ?? '[]') as { status: string }[]).map((r) => r.status);

/** Each case is a defect of issue 18, reproduced on the main of that day; the names say which. */
describe.concurrent('issue 18 regressions: time limits', () => {
  it('rollback-service with every answer 3 s late and timeout 12s ends within 17 s and leaves no Lease', async (ctx) => {
    const e = open(ctx, await startKubeEmulator({ fixture: runbookFixture() }));
    const proxy = open(ctx, await startFaultProxy(e.url));
    proxy.add({ fault: { kind: 'slow', delayMs: 3000 } });
    const { result: run, elapsedMs } = await timed((onStdout) =>
      runAction(
        'rollback-service',
        { environment: 'production', services: 'chat-service', kubeconfig: e.kubeconfig.replace(e.url, proxy.url), timeout: '12s' },
        { onStdout },
      ),
    );
    expectNamedOutcome(run, elapsedMs, 12_000, /Kubernetes API|timed out after 12s|of the run's timeout was left/);
    expect(e.store.list(LEASES, NS)).toEqual([]);
  });

  it('verify with services and a hung API server honours request-timeout (2s) per call, not the default 30 s', async (ctx) => {
    const e = open(ctx, await startKubeEmulator({ fixture: runbookFixture() }));
    const proxy = open(ctx, await startFaultProxy(e.url));
    proxy.add({ fault: { kind: 'hang' } });
    const { result: run, elapsedMs } = await timed((onStdout) =>
      runAction(
        'verify',
        {
          environment: 'production',
          services: 'chat-service,user-service',
          kubeconfig: e.kubeconfig.replace(e.url, proxy.url),
          'request-timeout': '2s',
          retries: '0',
        },
        { onStdout },
      ),
    );
    expectNamedOutcome(run, elapsedMs, 10_000, /Kubernetes API/);
    expect(run.errorLines[0]).toContain('within 2.0s');
  });

  it.each([['597h'], ['1194h']])('timeout: %s is refused with the maximum instead of aborting at once or throwing a RangeError', async (value) => {
    const run = await runAction('verify', { 'health-urls': 'http://127.0.0.1:9/health', timeout: value });
    expect(run.errorLines).toEqual([`::error::Input 'timeout' must be at most 596h (the longest wait a timer can hold), got "${value}"`]);
  });
});

describe.concurrent('issue 18 regressions: the outside world named, converging through failures', () => {
  it('every watch answering 500 does not hide a finished rollout: rolled-back, not "timed out"', async (ctx) => {
    const e = open(ctx, await startKubeEmulator({ fixture: runbookFixture() }));
    e.fault({ verb: 'watch', status: 500, times: 10_000 });
    const run = await runAction('rollback-service', { environment: 'production', services: 'chat-service', kubeconfig: e.kubeconfig, timeout: '60s' });
    expect(run.code, run.stdout).toBe(0);
    expect(statuses(run.outputs.result)).toEqual(['rolled-back']);
  });

  it('an outage between the Lease and the patch (the patch reset 4 times) is survived; an immediate re-run says unchanged without waiting for a Lease', async (ctx) => {
    const e = open(ctx, await startKubeEmulator({ fixture: runbookFixture() }));
    const proxy = open(ctx, await startFaultProxy(e.url));
    proxy.add({ fault: { kind: 'reset' }, method: 'PATCH', path: '/deployments/chat-service', times: 4 });
    const kubeconfig = e.kubeconfig.replace(e.url, proxy.url);
    const run = await runAction('rollback-service', { environment: 'production', services: 'chat-service', kubeconfig, timeout: '60s' });
    expect(run.code, run.stdout).toBe(0);
    expect(statuses(run.outputs.result)).toEqual(['rolled-back']);
    const again = await runAction('rollback-service', {
      environment: 'production',
      services: 'chat-service',
      kubeconfig,
      timeout: '60s',
      target: (JSON.parse(run.outputs.result ?? '[]') as { 'to-version': string }[])[0]?.['to-version'] ?? '',
    });
    expect(statuses(again.outputs.result)).toEqual(['unchanged']);
    expect(again.stdout).not.toContain('waiting for lease');
    expect(e.store.list(LEASES, NS)).toEqual([]);
  });
});

describe.concurrent('issue 18 regressions: a run stopped half-way says what is live', () => {
  it('emergency-reroute timing out on a hung DNS API after the circuit breaker was set names what changed and how to undo it', async (ctx) => {
    const kube = open(ctx, await startKubeEmulator({ fixture: runbookFixture() }));
    const dns = open(ctx, await startDnsEmulator({ records: [{ type: 'CNAME', name: 'api.keiko.com', content: 'primary.keiko.net', ttl: 60 }] }));
    const proxy = open(ctx, await startFaultProxy(dns.url));
    // reading the record works (the snapshot needs it); the switch itself hangs
    proxy.add({ fault: { kind: 'hang' }, method: 'PUT' });
    const inputs = {
      environment: 'production',
      kubeconfig: kube.kubeconfig,
      'ingress-manifest': '',
      'dns-provider': 'cloudflare',
      'dns-zone': 'keiko.com',
      'dns-record': 'api',
      'dns-target': 'backup.keiko.net',
      'dns-token': dns.token,
      'dns-api-url': `${proxy.url}/client/v4`,
      timeout: '8s',
    };
    const { result: run, elapsedMs } = await timed((onStdout) => runAction('emergency-reroute', inputs, { onStdout }));
    expectNamedOutcome(run, elapsedMs, 8_000, /Cloudflare API/);
    expect(run.errorLines[0]).toContain(
      'changed before it stopped: Deployment/gateway-bff; stopped while changing DNS/api.keiko.com (it may be half-done); the snapshot of what was there before is in ConfigMap keiko-production/keiko-reroute-state: `mode: restore` returns to it',
    );
    expect(run.summary).toContain('mode: restore');
    expect(kube.store.list(LEASES, NS)).toEqual([]);
  });
});

describe.concurrent('issue 18 regressions: inputs validated before use', () => {
  it.each([
    [
      'database-url not a URL',
      { 'database-url': 'db.internal/keiko' },
      `::error::Input 'database-url' must be a URL such as postgresql://app@db.internal:5432/keiko, got "***"`,
    ],
    [
      'database-url of another scheme',
      { 'database-url': 'mysql://u@h/db' },
      `::error::Input 'database-url' must start with postgres:// or postgresql:// (such as postgresql://app@db.internal:5432/keiko), got "***"`,
    ],
    [
      'database-url with a %zz escape in its password',
      { 'database-url': 'postgresql://u:p%zz@h/db' },
      "::error::Input 'database-url' has a malformed percent-escape in its password (a % must be followed by two hex digits; write a literal % as %25)",
    ],
    [
      'redis-url not a URL',
      { 'redis-url': 'cache:6379' },
      `::error::Input 'redis-url' must start with redis:// or rediss:// (such as redis://cache.internal:6379/0), got "***"`,
    ],
    [
      'redis-url as http',
      { 'redis-url': 'http://cache:6379' },
      `::error::Input 'redis-url' must start with redis:// or rediss:// (such as redis://cache.internal:6379/0), got "***"`,
    ],
    ['redis-url with spaces', { 'redis-url': 'redis ://cache' }, `::error::Input 'redis-url' must be a URL such as redis://cache.internal:6379/0, got "***"`],
    [
      'an unterminated quote in a smoke command',
      { 'smoke-commands': `pytest -k "integration` },
      "::error::Input 'smoke-commands' line 1 is not valid shell (bash -n:",
    ],
    [
      'a header value with a line break',
      { 'health-urls': 'http://127.0.0.1:9/h', headers: 'X-Trace: a\u0007b' },
      "::error::Input 'headers' must be `Name: value`",
    ],
  ])('verify: %s', async (_label, inputs, line) => {
    const run = await runAction('verify', { 'health-urls': 'http://127.0.0.1:9/health', retries: '0', ...inputs });
    expect(run.code).toBe(1);
    expect(run.errorLines).toHaveLength(1);
    expect(unescaped(run.errorLines[0]).startsWith(line), run.errorLines[0]).toBe(true);
    expect(run.visible).not.toContain('Internal failure');
    expect(hasStackTrace(run.visible)).toBe(false);
  });

  it('rollback-database: a %zz escape in the password is named, nothing run', async () => {
    const run = await runAction('rollback-database', { 'database-url': 'postgresql://postgres:p%zz@127.0.0.1:5432/postgres', target: '-1' });
    expect(run.errorLines.map(unescaped)).toEqual([
      "::error::Input 'database-url' has a malformed percent-escape in its password (a % must be followed by two hex digits; write a literal % as %25)",
    ]);
  });

  it.for(
    (
      [
        [
          'dns-target with shell characters is refused and never written',
          { 'dns-target': 'evil; rm -rf / #' },
          `::error::Input 'dns-target' must be a hostname (for a CNAME) or an IPv4 address (for an A record), got "evil; rm -rf / #"`,
        ],
        [
          'dns-target that is not a hostname',
          { 'dns-target': 'bad_host!.example' },
          "::error::Input 'dns-target' must be a hostname (for a CNAME, e.g. backup.keiko.com) or an IPv4 address (for an A record, e.g. 203.0.113.10)",
        ],
        [
          'dns-api-url that is not a URL',
          { 'dns-api-url': 'api.cloudflare.com/client/v4' },
          `::error::Input 'dns-api-url' must be a URL such as https://api.cloudflare.com/client/v4, got "api.cloudflare.com/client/v4"`,
        ],
        [
          'dns-token with a character HTTP cannot carry',
          { 'dns-token': 'tøkén' },
          "::error::Input 'dns-token' has a character an HTTP header cannot carry at position 2",
        ],
      ] as const
    ).map(([label, inputs, line]) => ({ label, inputs: inputs as Record<string, string>, line })),
  )('emergency-reroute: $label', async ({ inputs, line }, ctx) => {
    const kube = open(ctx, await startKubeEmulator({ fixture: runbookFixture() }));
    const dns = open(ctx, await startDnsEmulator({ records: [{ type: 'CNAME', name: 'api.keiko.com', content: 'primary.keiko.net', ttl: 60 }] }));
    const run = await runAction('emergency-reroute', {
      environment: 'production',
      kubeconfig: kube.kubeconfig,
      'ingress-manifest': '',
      'circuit-breaker': 'false',
      'dns-provider': 'cloudflare',
      'dns-zone': 'keiko.com',
      'dns-record': 'api',
      'dns-target': 'backup.keiko.net',
      'dns-token': dns.token,
      'dns-api-url': `${dns.url}/client/v4`,
      ...inputs,
    });
    expect(run.errorLines).toHaveLength(1);
    expect(unescaped(run.errorLines[0]).startsWith(line), run.errorLines[0]).toBe(true);
    expect(dns.writes).toEqual([]);
    expect(writes(kube)).toEqual([]);
  });

  it('the CLI refuses a flag whose value is another flag: --namespace --dry-run is not the namespace "--dry-run"', async () => {
    const run = await runCli(['service', '--namespace', '--dry-run', '--services', 'chat-service']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'option --namespace needs a value (the next word is the option --dry-run): write --namespace VALUE, or --namespace=VALUE when the value starts with --',
    );
  });
});

describe.concurrent('issue 18 regressions: credentials never echoed, never inherited', () => {
  it.each([
    ['prometheus-url', { 'prometheus-url': 'htp://admin:PW@prometheus:9090' }],
    ['health-urls', { 'health-urls': 'https//status.keiko.com/health?token=tok-secret-123' }],
  ])('a mistyped %s does not show its credentials in the error line', async (_label, inputs) => {
    const run = await runAction('verify', inputs);
    expect(run.code).toBe(1);
    expect(run.errorLines).toHaveLength(1);
    expect(run.visible).not.toMatch(/:PW@|tok-secret-123/);
  });

  it('a prometheus-url with user:password works: the credentials go into a Basic header (fetch refuses them in the URL)', async (ctx) => {
    const seen: (string | undefined)[] = [];
    const server = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { alerts: [] } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    ctx.onTestFinished(() => void server.close());
    const port = (server.address() as AddressInfo).port;
    const run = await runAction('verify', { 'prometheus-url': `http://admin:pr0m-secret@127.0.0.1:${port}`, retries: '0' });
    expect(run.code, run.stdout).toBe(0);
    expect(seen[0]).toBe(`Basic ${Buffer.from('admin:pr0m-secret').toString('base64')}`);
    expect(run.visible).not.toContain('pr0m-secret');
  });

  it('smoke commands run in the runbook form (cd … && pytest …) without the runner inputs or secrets in their environment', async () => {
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-smoke-'));
    const bin = path.join(workspace, 'bin');
    fs.mkdirSync(path.join(workspace, 'services', 'chat-service', 'tests', 'integration'), { recursive: true });
    fs.mkdirSync(bin);
    // a stand-in pytest that shows where it ran and what it was given
    fs.writeFileSync(
      path.join(bin, 'pytest'),
      '#!/bin/bash\necho "cwd=$(basename "$PWD") args=$*"\nenv | grep -c "^INPUT_" || true\nenv | grep -c "grafana-secret-9" || true\n',
      { mode: 0o755 },
    );
    const run = await runAction(
      'verify',
      {
        'smoke-commands': 'cd services/chat-service && pytest tests/integration/',
        'grafana-url': 'http://127.0.0.1:9',
        'grafana-token': 'grafana-secret-9',
        retries: '0',
      },
      { cwd: workspace, env: { PATH: `${bin}:${process.env.PATH ?? ''}` } },
    );
    expect(run.stdout).toContain('cwd=chat-service args=tests/integration/');
    const report = JSON.parse(run.outputs.report ?? '{}') as { checks: { name: string; status: string; detail: string }[] };
    expect(report.checks.find((c) => c.name.startsWith('smoke:1'))).toMatchObject({ name: 'smoke:1 pytest', status: 'pass' });
    // both counts are 0: no INPUT_* variable, no secret value
    expect(run.stdout).toMatch(/args=tests\/integration\/\n\s*0\n\s*0/);
  });
});
