import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDnsEmulator } from '../../src/sandbox/dns/server.js';
import { type FaultRule, refusedUrl, startFaultProxy } from '../../src/sandbox/fault-proxy.js';
import { startGitHubEmulator } from '../../src/sandbox/github/server.js';
import { runbookFixture, startKubeEmulator } from '../../src/sandbox/kube/index.js';
import { startNotifyEmulator } from '../../src/sandbox/notify/server.js';
import { startObservabilityEmulator } from '../../src/sandbox/observability/server.js';
import { startVercelEmulator } from '../../src/sandbox/vercel/server.js';
import { runCli } from '../helpers/cli.js';
import { expectNamedOutcome, httpFaults, timed } from '../helpers/fault-matrix.js';
import { LEASES, NS } from '../helpers/kube-fixtures.js';
import { hasStackTrace, runAction } from '../helpers/run-action.js';

type Ctx = { onTestFinished: (fn: () => Promise<void>) => void };
// tests run concurrently: each closes only what it opened, through its own test context
const opener =
  (ctx: Ctx) =>
  <T extends { close(): Promise<void> }>(server: T): T => {
    ctx.onTestFinished(() => server.close());
    return server;
  };

/** The fault proxy in front of `upstream` (or a refused address when the case has no rule). */
async function faulty(ctx: Ctx, upstream: string, rule: FaultRule | undefined): Promise<string> {
  if (!rule) return refusedUrl();
  const proxy = opener(ctx)(await startFaultProxy(upstream));
  proxy.add(rule);
  return proxy.url;
}

const vercelBody = (code: number, message: string): string =>
  JSON.stringify({ error: { code: code === 429 ? 'rate_limited' : code === 401 ? 'forbidden' : 'internal_server_error', message } });
const cloudflareBody = (code: number, message: string): string => JSON.stringify({ success: false, errors: [{ code, message }], result: null });

describe.concurrent('Vercel API faults: rollback-frontend ends in time and names Vercel', () => {
  for (const fault of httpFaults({ writeMethod: 'POST', writePath: '/rollback/', errorBody: vercelBody })) {
    it(fault.name, async (ctx) => {
      const open = opener(ctx);
      const vercel = open(await startVercelEmulator({ team: { id: 'team_keiko', slug: 'keiko' }, aliasJobMs: 200 }));
      const url = await faulty(ctx, vercel.url, fault.rule);
      const limit = fault.converges ? 60_000 : 6_000;
      const { result: run, elapsedMs } = await timed((onStdout) =>
        runAction(
          'rollback-frontend',
          { 'vercel-token': vercel.token, project: 'keiko-frontend', team: 'team_keiko', 'api-url': url, timeout: `${limit / 1000}s` },
          { onStdout },
        ),
      );
      expectNamedOutcome(run, elapsedMs, limit, /Vercel|vercel-token|timed out after/);
      expect(run.visible).not.toContain(vercel.token);
      if (fault.converges) expect(run.code, run.stdout).toBe(0);
    });
  }
});

describe.concurrent('DNS API faults: emergency-reroute ends in time, names the provider, leaves no Lease', () => {
  for (const fault of httpFaults({ writeMethod: 'PUT', errorBody: cloudflareBody })) {
    it(fault.name, async (ctx) => {
      const open = opener(ctx);
      const kube = open(await startKubeEmulator({ fixture: runbookFixture() }));
      const dns = open(await startDnsEmulator({ records: [{ type: 'CNAME', name: 'api.keiko.com', content: 'primary.keiko.net', ttl: 60 }] }));
      const url = await faulty(ctx, dns.url, fault.rule);
      const limit = fault.converges ? 60_000 : 6_000;
      const inputs = {
        environment: 'production',
        kubeconfig: kube.kubeconfig,
        'ingress-manifest': '',
        'circuit-breaker': 'false',
        'dns-provider': 'cloudflare',
        'dns-zone': 'keiko.com',
        'dns-record': 'api',
        'dns-target': 'backup.keiko.net',
        'dns-token': dns.token,
        'dns-api-url': `${url}/client/v4`,
        timeout: `${limit / 1000}s`,
      };
      const { result: run, elapsedMs } = await timed((onStdout) => runAction('emergency-reroute', inputs, { onStdout }));
      expectNamedOutcome(run, elapsedMs, limit, /Cloudflare API|timed out after/);
      expect(kube.store.list(LEASES, NS), 'no Lease left behind').toEqual([]);
      expect(run.visible).not.toContain(dns.token);
      if (fault.converges) expect(dns.records.find((r) => r.name === 'api.keiko.com')?.content, run.stdout).toBe('backup.keiko.net');
    });
  }
});

describe.concurrent('GitHub API faults: environments check ends in time and names GitHub', () => {
  const body = (_code: number, message: string): string => JSON.stringify({ message, documentation_url: 'https://docs.github.com/rest' });
  for (const fault of httpFaults({ writeMethod: 'PUT', errorBody: body }).filter((f) => !f.converges)) {
    it(fault.name, async (ctx) => {
      const open = opener(ctx);
      const github = open(await startGitHubEmulator());
      // the environments exist and are protected: what the check then meets is only the fault
      expect((await runCli(['environments', 'sync', '--repo', 'keiko/platform'], { GITHUB_API_URL: github.url, GITHUB_TOKEN: github.adminToken })).code).toBe(
        0,
      );
      const url = await faulty(ctx, github.url, fault.rule);
      const started = Date.now();
      const run = await runCli(['environments', 'check', '--repo', 'keiko/platform', '--severity', 'critical', '--timeout', '6s'], {
        GITHUB_API_URL: url,
        GITHUB_TOKEN: github.adminToken,
      });
      expect(Date.now() - started).toBeLessThanOrEqual(6_000 + 5_000 + 5_000 /* the CLI's own start */);
      // a slow GitHub still answers within the time: the check passes
      if (fault.name.startsWith('slow')) return void expect(run.code, run.stderr).toBe(0);
      expect(run.code).toBe(1);
      const errors = run.stderr.split('\n').filter((l) => /^error/i.test(l));
      expect(errors, run.stderr).toHaveLength(1);
      expect(errors[0]).toMatch(/GitHub API/);
      expect(run.stderr).not.toContain('Internal failure');
      expect(run.stderr + run.stdout).not.toContain(github.adminToken);
      expect(hasStackTrace(run.stderr)).toBe(false);
    });
  }
});

describe.concurrent('Statuspage faults: the report goes on and says what was not updated', () => {
  const needs = JSON.stringify({
    plan: { result: 'success' },
    approve: { result: 'success' },
    services: { result: 'success' },
    verify: { result: 'success', outputs: { healthy: 'true', severity: 'none', failed: '' } },
  });
  for (const name of ['hang', 'connection refused', '401', '503'] as const) {
    it(name, async (ctx) => {
      const open = opener(ctx);
      const notify = open(await startNotifyEmulator());
      const rule: FaultRule | undefined =
        name === 'hang'
          ? { fault: { kind: 'hang' } }
          : name === '401'
            ? { fault: { kind: 'status', status: 401 } }
            : name === '503'
              ? { fault: { kind: 'status', status: 503 } }
              : undefined;
      const url = await faulty(ctx, notify.url, rule);
      const summary = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-report-')), 'summary.md');
      const run = await runCli(
        [
          'report',
          '--needs',
          needs,
          '--severity',
          'high',
          '--environment',
          'production',
          '--services',
          'chat-service',
          '--target',
          'previous',
          '--reason',
          'INC-9',
          '--statuspage-page-id',
          notify.pageId,
          '--statuspage-api-url',
          url,
        ],
        { STATUSPAGE_API_KEY: notify.apiKey, GITHUB_STEP_SUMMARY: summary },
      );
      expect(run.code).toBe(0);
      expect(fs.readFileSync(summary, 'utf8')).toMatch(/- Status page: ⚠️ not updated \(Statuspage: /);
      expect(run.stderr + fs.readFileSync(summary, 'utf8')).not.toContain(notify.apiKey);
    });
  }
});

describe.concurrent('Prometheus faults: verify stays a verdict, in time', () => {
  for (const fault of httpFaults({ writeMethod: 'POST', errorBody: (c, m) => JSON.stringify({ status: 'error', errorType: String(c), error: m }) }).filter(
    (f) => !f.converges,
  )) {
    it(fault.name, async (ctx) => {
      const open = opener(ctx);
      const prometheus = open(await startObservabilityEmulator());
      const url = await faulty(ctx, prometheus.url, fault.rule);
      const { result: run, elapsedMs } = await timed((onStdout) =>
        runAction('verify', { 'prometheus-url': url, retries: '1', 'retry-interval': '1s', 'request-timeout': '2s', timeout: '6s' }, { onStdout }),
      );
      expectNamedOutcome(run, elapsedMs, 6_000, /unhealthy/);
      expect(run.outputs.healthy).toBe('false');
    });
  }
});
