import { afterEach, describe, expect, it } from 'vitest';
import { type ObservabilityEmulator, startObservabilityEmulator } from '../../src/sandbox/observability/server.js';
import { runAction } from '../helpers/run-action.js';

let emulator: ObservabilityEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const report = (text: string | undefined) => JSON.parse(text ?? '{}') as { checks: { name: string; status: string; detail: string }[] };

describe('verify with Application Insights and Grafana (against their emulator)', () => {
  it('fails on too many exceptions, passes below the threshold, and annotates dashboards at start and end', async () => {
    emulator = await startObservabilityEmulator();
    emulator.counts = { exceptions: 120, failedRequests: 3 };
    const inputs = {
      'appinsights-app-id': emulator.appId,
      'appinsights-key': emulator.appInsightsKey,
      'appinsights-api-url': emulator.url,
      'appinsights-window': '30m',
      'grafana-url': emulator.url,
      'grafana-token': emulator.grafanaToken,
      services: 'chat-service',
      retries: '0',
      'fail-on-unhealthy': 'false',
    };
    const bad = await runAction('verify', inputs);
    expect(bad.outputs.failed).toBe('appinsights:exceptions');
    const checks = report(bad.outputs.report).checks;
    expect(checks.find((c) => c.name === 'appinsights:exceptions')?.detail).toBe('120 exceptions in the last 30m (max 50)');
    expect(checks.find((c) => c.name === 'appinsights:failed-requests')?.detail).toBe('3 failed requests in the last 30m (max 50)');
    expect(emulator.queries).toContain('exceptions | where timestamp > ago(30m) | count');
    expect(emulator.queries).toContain('requests | where timestamp > ago(30m) and success == false | count');
    expect(emulator.annotations.map((a) => a.tags)).toEqual([
      ['rollback', 'keiko-verify', 'chat-service'],
      ['rollback', 'keiko-verify', 'chat-service', 'low'],
    ]);
    // one App Insights count over its maximum is a signal: it raises the severity one level, not to critical
    expect(emulator.annotations[1]?.text).toContain('unhealthy, severity low');
    emulator.counts = { exceptions: 2, failedRequests: 0 };
    const good = await runAction('verify', inputs);
    expect(good.outputs.healthy).toBe('true');
    for (const secret of [emulator.appInsightsKey, emulator.grafanaToken]) expect(bad.visible + good.visible).not.toContain(secret);
  });

  it('a rejected key fails the check (401/403); a Grafana 401 or 5xx is a warning only', async () => {
    emulator = await startObservabilityEmulator();
    const rejected = await runAction('verify', {
      'appinsights-app-id': emulator.appId,
      'appinsights-key': 'wrong-key-123',
      'appinsights-api-url': emulator.url,
      retries: '0',
      'fail-on-unhealthy': 'false',
    });
    expect(report(rejected.outputs.report).checks[0]?.detail).toBe('Application Insights rejected the API key (403)');
    const grafana401 = await runAction('verify', {
      'appinsights-app-id': emulator.appId,
      'appinsights-key': emulator.appInsightsKey,
      'appinsights-api-url': emulator.url,
      'grafana-url': emulator.url,
      'grafana-token': 'wrong-token-123',
      retries: '0',
    });
    expect(grafana401.code).toBe(0);
    expect(grafana401.stdout).toContain('::warning::Grafana annotation not written: HTTP 401 (the token was rejected)');
    emulator.failNext(1);
    const grafana500 = await runAction('verify', {
      'appinsights-app-id': emulator.appId,
      'appinsights-key': emulator.appInsightsKey,
      'appinsights-api-url': emulator.url,
      'grafana-url': emulator.url,
      'grafana-token': emulator.grafanaToken,
      retries: '0',
    });
    expect(grafana500.code).toBe(0);
    expect(grafana500.stdout).toContain('::warning::Grafana annotation not written: HTTP 500');
    emulator.failNext(2);
    const appInsights500 = await runAction('verify', {
      'appinsights-app-id': emulator.appId,
      'appinsights-key': emulator.appInsightsKey,
      'appinsights-api-url': emulator.url,
      retries: '0',
      'fail-on-unhealthy': 'false',
    });
    expect(report(appInsights500.outputs.report).checks.map((c) => c.detail)).toContain('Application Insights answered HTTP 500');
  });

  it('needs the key with the app id and the token with the Grafana URL', async () => {
    const noKey = await runAction('verify', { 'appinsights-app-id': 'app' });
    expect(noKey.errorLines).toEqual(["::error::Input 'appinsights-key' is required with appinsights-app-id: pass the API key as a secret"]);
    const noToken = await runAction('verify', { 'health-urls': 'http://x', 'grafana-url': 'https://grafana.keiko.com' });
    expect(noToken.errorLines).toEqual(["::error::Input 'grafana-token' is required with grafana-url: pass a service account token as a secret"]);
  });
});
