import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeEmulator, runbookFixture, startKubeEmulator } from '../../src/sandbox/kube/index.js';
import { kubectlFor } from '../helpers/kubectl.js';
import { ADMIN_URL } from '../helpers/postgres.js';
import { freePort, type RunningPrometheus, startPrometheus } from '../helpers/prometheus.js';
import { hasStackTrace, runAction } from '../helpers/run-action.js';

let server: http.Server;
let base: string;
let hits = 0;
let prometheus: RunningPrometheus;
let kube: KubeEmulator;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const service = url.pathname.split('/')[1];
    if (service === 'search-service') return void res.writeHead(500).end('boom');
    if (service === 'document-service') return void setTimeout(() => res.end('{"status":"ok"}'), 1200);
    if (service === 'auth-service') return void res.end('{"status":"degraded"}');
    if (service === 'flapping') {
      hits++;
      return void res.writeHead(hits === 3 ? 503 : 200).end('{"status":"ok"}');
    }
    if (service === 'private' && (req.headers.authorization !== 'Bearer header-secret-value' || url.searchParams.get('token') !== 'url-token-secret'))
      return void res.writeHead(401).end();
    res.end('{"status":"ok"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  prometheus = await startPrometheus(`groups:
  - name: keiko
    interval: 1s
    rules:
      - alert: HighErrorRate
        expr: vector(1)
        for: 0s
        labels: { severity: critical, namespace: keiko-production, service: chat-service }
      - alert: Watchdog
        expr: vector(1)
        labels: { severity: none, namespace: keiko-production }
`);
  kube = await startKubeEmulator({ fixture: runbookFixture() });
});
afterAll(async () => {
  server.close();
  await prometheus.stop();
  await kube.close();
});

const verify = (inputs: Record<string, string>) => runAction('verify', { 'retry-interval': '1s', retries: '1', ...inputs });
const report = (text: string | undefined) =>
  JSON.parse(text ?? '{}') as { checks: { name: string; status: string; detail: string; attempts: number }[]; reason: string };

describe('verify (dist bundle against real things)', () => {
  it('grades health URLs: healthy, 500, slow, wrong body; severity from the share of services', async () => {
    const run = await verify({
      services: 'chat-service,search-service,document-service,auth-service,gateway-bff',
      'health-url-template': `${base}/{service}/health`,
      'expect-body': 'json:status=ok',
      'max-latency': '800ms',
      'fail-on-unhealthy': 'false',
    });
    expect(run.code).toBe(0);
    expect(run.outputs.healthy).toBe('false');
    expect(run.outputs.failed).toBe('health:search-service,health:document-service,health:auth-service');
    expect(run.outputs.severity).toBe('high');
    const checks = report(run.outputs.report).checks;
    expect(checks.find((c) => c.name === 'health:search-service')?.detail).toContain('HTTP 500');
    expect(checks.find((c) => c.name === 'health:document-service')?.detail).toMatch(/\d+ms > max-latency 800ms/);
    expect(checks.find((c) => c.name === 'health:auth-service')?.detail).toContain('status is "degraded", expected ok');
    expect(checks.find((c) => c.name === 'health:chat-service')).toMatchObject({ status: 'pass', attempts: 1 });
    expect(run.summary).toContain('❌ Unhealthy — severity high');
    expect(run.summary).toContain('Rollback within 15 min; approval: Team Lead');
  });

  it('checks the real PostgreSQL and Redis, and fails a closed port (platform-wide: critical)', async () => {
    const closed = await freePort();
    const healthy = await verify({ 'database-url': ADMIN_URL, 'redis-url': 'redis://127.0.0.1:6379' });
    expect(healthy.code, healthy.stdout).toBe(0);
    expect(healthy.outputs).toMatchObject({ healthy: 'true', severity: 'none', failed: '' });
    const down = await verify({ 'database-url': ADMIN_URL, tcp: `127.0.0.1:${closed}`, retries: '0' });
    expect(down.code).toBe(1);
    expect(down.outputs).toMatchObject({ healthy: 'false', severity: 'critical', failed: `tcp:127.0.0.1:${closed}` });
    expect(down.errorLines).toHaveLength(1);
    expect(down.errorLines[0]).toContain('ECONNREFUSED');
  });

  it('reads the real Prometheus: a firing critical alert vs none, Watchdog ignored, queries above and below', async () => {
    const firing = await verify({
      'prometheus-url': prometheus.url,
      'alert-selector': 'severity=critical,namespace=keiko-production',
      services: 'chat-service,search-service,document-service,auth-service,gateway-bff',
      retries: '0',
      'fail-on-unhealthy': 'false',
    });
    expect(firing.outputs.failed).toBe('alerts');
    expect(report(firing.outputs.report).checks[0]?.detail).toContain('HighErrorRate{');
    expect(firing.outputs.severity).toBe('high');
    const quiet = await verify({ 'prometheus-url': prometheus.url, 'alert-selector': 'namespace=keiko-staging', retries: '0' });
    expect(quiet.outputs.healthy).toBe('true');
    const watchdogOnly = await verify({ 'prometheus-url': prometheus.url, 'alert-selector': 'severity=none', retries: '0' });
    expect(watchdogOnly.outputs.healthy).toBe('true');
    const queries = await verify({
      'prometheus-url': prometheus.url,
      'alert-selector': 'namespace=nowhere',
      'prometheus-queries': 'error-rate: vector(0.02) < 0.05\nlatency-p99: vector(1.7) < 0.8',
      retries: '0',
      'fail-on-unhealthy': 'false',
    });
    expect(queries.outputs.failed).toBe('query:latency-p99');
    const checks = report(queries.outputs.report).checks;
    expect(checks.find((c) => c.name === 'query:error-rate')?.detail).toBe('error-rate = 0.02 (want < 0.05)');
    expect(checks.find((c) => c.name === 'query:latency-p99')?.detail).toBe('latency-p99 = 1.7 (want < 0.8)');
  });

  it('reaches an in-cluster Prometheus through the API server service proxy', async () => {
    kube.registerServiceProxy('keiko-system', 'prometheus', prometheus.url, 9090);
    const run = await verify({
      'prometheus-service': 'keiko-system/prometheus:9090',
      kubeconfig: kube.kubeconfig,
      'alert-selector': 'service=chat-service',
      retries: '0',
      'fail-on-unhealthy': 'false',
    });
    expect(run.outputs.failed).toBe('alerts');
    expect(kube.requests.some((r) => r.path === '/api/v1/namespaces/keiko-system/services/prometheus:9090/proxy/api/v1/alerts')).toBe(true);
    // fail-on-unhealthy: false keeps the step green, but the run's annotations still say it is unhealthy
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').filter((l) => l.startsWith('::warning::unhealthy'))).toEqual([
      expect.stringMatching(/^::warning::unhealthy \(severity \w+\): alerts: /),
    ]);
    expect(run.errorLines).toEqual([]);
  });

  it('sees CrashLoopBackOff pods and an unavailable deployment in Kubernetes', async () => {
    kube.markBadImage('registry.keiko.io/auth-service:v9', 'CrashLoopBackOff');
    const kubectl = kubectlFor(kube.kubeconfig);
    await kubectl(
      'patch',
      'deployment/auth-service',
      '-n',
      'keiko-production',
      '-p',
      '{"spec":{"strategy":{"rollingUpdate":{"maxUnavailable":2,"maxSurge":0}}}}',
    );
    await kubectl('set', 'image', 'deployment/auth-service', 'auth-service=registry.keiko.io/auth-service:v9', '-n', 'keiko-production');
    for (let i = 0; i < 200; i++) {
      const pods = await kubectl(
        'get',
        'pods',
        '-n',
        'keiko-production',
        '-l',
        'app=auth-service',
        '-o',
        'jsonpath={.items[*].status.containerStatuses[0].state.waiting.reason}',
      );
      if (pods.stdout.includes('CrashLoopBackOff')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const run = await verify({ environment: 'production', kubeconfig: kube.kubeconfig, retries: '0', 'fail-on-unhealthy': 'false' });
    expect(run.outputs.failed).toContain('deployment:auth-service');
    expect(run.outputs.failed).toContain('pods');
    const checks = report(run.outputs.report).checks;
    expect(checks.find((c) => c.name === 'deployment:auth-service')?.detail).toMatch(
      /^auth-service: 0\/2 replicas ready; pod auth-service-\w+-\w{5}: container auth-service CrashLoopBackOff/,
    );
    expect(checks.find((c) => c.name === 'pods')?.detail).toMatch(
      /container auth-service CrashLoopBackOff \(image registry.keiko.io\/auth-service:v9, \d+ restarts\)/,
    );
    expect(checks.find((c) => c.name === 'deployment:chat-service')?.status).toBe('pass');
    expect(run.outputs.severity).toBe('medium');
  });

  it('runs smoke commands without a shell: pass, fail, time out', async () => {
    const run = await verify({
      // builtins for the first two (no process start to wait for on a busy machine); the third can never finish in time
      'smoke-commands': `echo 'smoke ok'\nexit 3\nsleep 300`,
      'smoke-timeout': '5s',
      retries: '0',
      'fail-on-unhealthy': 'false',
    });
    const checks = report(run.outputs.report).checks;
    expect(checks.map((c) => c.status)).toEqual(['pass', 'fail', 'fail']);
    expect(checks[0]?.detail).toContain('smoke ok');
    expect(checks[1]?.detail).toContain('exit 3');
    expect(checks[2]?.detail).toContain('timed out after 5.0s');
    expect(run.stdout).toContain(`::group::smoke: echo 'smoke ok' → exit 0`);
  });

  it('fails a check that flaps inside the stability window', async () => {
    hits = 0;
    const run = await verify({ 'health-urls': `${base}/flapping/health`, 'stability-window': '4s', 'retry-interval': '1s', 'fail-on-unhealthy': 'false' });
    expect(run.outputs.healthy).toBe('false');
    expect(report(run.outputs.report).checks[0]?.detail).toMatch(/flapped at \+\d.*in the stability window: .*HTTP 503/);
  });

  it('keeps the URL token, header value and database and Redis passwords out of everything shown', async () => {
    const run = await verify({
      'health-urls': `${base}/private/health?token=url-token-secret`,
      headers: 'Authorization: Bearer header-secret-value\nX-Trace: keiko',
      'database-url': ADMIN_URL.replace('postgres@', 'postgres:db-pass-secret@'),
      'redis-url': 'redis://:redis-pass-secret@127.0.0.1:6379',
      retries: '0',
      'fail-on-unhealthy': 'false',
    });
    expect(report(run.outputs.report).checks.find((c) => c.name.startsWith('health:'))?.status).toBe('pass');
    for (const secret of ['url-token-secret', 'header-secret-value', 'db-pass-secret', 'redis-pass-secret']) expect(run.visible).not.toContain(secret);
  });
});

describe('bad input: one ::error::, nothing run', () => {
  it.each([
    ['no check', {}, "::error::Input 'health-urls' or another check is required"],
    ['template without {service}', { services: 'a', 'health-url-template': 'https://x/health' }, "::error::Input 'health-url-template' must contain {service}"],
    ['not http(s)', { 'health-urls': 'ftp://x' }, '::error::Input \'health-urls\' has "ftp://x", which is not an http(s) URL'],
    ['bad status', { 'health-urls': 'http://x', 'expected-status': '2xx0' }, "::error::Input 'expected-status' must list HTTP statuses"],
    ['PromQL without operator', { 'prometheus-url': 'http://p', 'prometheus-queries': 'q: up' }, '::error::Input \'prometheus-queries\' has "q: up"'],
    [
      'window < interval',
      { 'health-urls': 'http://x', 'stability-window': '2s', 'retry-interval': '5s' },
      "::error::Input 'stability-window' must be at least as long as retry-interval",
    ],
    ['retries -1', { 'health-urls': 'http://x', retries: '-1' }, "::error::Input 'retries' must be a whole number from 0 to 100"],
  ])('%s', async (_label, inputs, line) => {
    const run = await runAction('verify', inputs);
    expect(run.code).toBe(1);
    expect(run.errorLines).toHaveLength(1);
    expect(run.errorLines[0]?.startsWith(line), run.errorLines[0]).toBe(true);
    expect(hasStackTrace(run.stdout + run.stderr)).toBe(false);
    expect(run.outputs).toEqual({});
  });
});
