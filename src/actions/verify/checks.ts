import { appInsightsChecks } from '../../checks/appinsights.js';
import { postgresCheck, redisCheck, tcpCheck } from '../../checks/dependencies.js';
import { httpCheck } from '../../checks/http.js';
import { deploymentChecks, listDeployments, podsCheck } from '../../checks/kube.js';
import { alertsCheck, prometheusOverHttp, queryCheck } from '../../checks/prometheus.js';
import type { Platform } from '../../checks/severity.js';
import { smokeCheck } from '../../checks/smoke.js';
import type { Check } from '../../checks/types.js';
import type { ActionContext } from '../../core/action.js';
import { insideWorkspace } from '../../core/paths.js';
import { addUrlSecrets, displayUrl } from '../../core/secrets.js';
import type { KubeClient } from '../../kube/client.js';
import { connectKube, resolveNamespace } from '../../kube/connection.js';
import { serviceProxyGet } from '../../kube/service-proxy.js';
import type { VerifyInputs } from './inputs.js';

/** Masks every secret the checks carry: header values one by one, credentials in URLs. */
export function maskCheckSecrets(inputs: VerifyInputs, context: ActionContext): void {
  for (const [, value] of inputs.headers) context.secrets.add(value);
  for (const url of [
    inputs['database-url'],
    inputs['redis-url'],
    inputs['prometheus-url'],
    inputs['grafana-url'],
    inputs['health-url-template'],
    ...inputs['health-urls'],
  ]) {
    if (url) addUrlSecrets(context.secrets, url);
  }
}

/** Every configured check, tied to its service where it has one, and the platform the verdict is measured against. */
export async function buildChecks(
  inputs: VerifyInputs,
  context: ActionContext,
  client: KubeClient | undefined,
): Promise<{ checks: Check[]; platform: Platform }> {
  const timeout = inputs['request-timeout'];
  const http = {
    expectedStatus: inputs['expected-status'],
    expectBody: inputs['expect-body'],
    headers: inputs.headers,
    maxLatencyMs: inputs['max-latency'],
    requestTimeoutMs: timeout,
  };
  const checks: Check[] = [];
  const template = inputs['health-url-template'];
  if (template) {
    for (const service of inputs.services) {
      const url = template.replaceAll('{service}', service);
      checks.push(httpCheck(`health:${service}`, service, url, http, displayUrl(url)));
    }
  }
  for (const url of inputs['health-urls']) {
    const service = inputs.services.find((s) => new URL(url).pathname.split('/').includes(s));
    checks.push(httpCheck(`health:${displayUrl(url)}`, service, url, http, displayUrl(url)));
  }
  if (inputs['database-url']) checks.push(postgresCheck(inputs['database-url'], timeout));
  if (inputs['redis-url']) checks.push(redisCheck(inputs['redis-url'], timeout));
  for (const { host, port } of inputs.tcp) checks.push(tcpCheck(host, port, timeout));
  const namespace = resolveNamespace(inputs);
  let platform: Platform = inputs['platform-services'].length
    ? { services: inputs['platform-services'], source: 'platform-services' }
    : { services: inputs.services, source: 'the services of this run (set platform-services or a namespace to measure against the whole platform)' };
  if (client && namespace) {
    const all = await listDeployments(client, namespace);
    if (!inputs['platform-services'].length) platform = { services: all, source: `the ${all.length} deployments of ${namespace}` };
    const deployments = deploymentChecks(client, namespace, inputs.services.length ? inputs.services : all);
    checks.push(
      ...deployments,
      podsCheck(
        client,
        namespace,
        deployments.map((c) => c.service ?? ''),
      ),
    );
  }
  const prometheus =
    inputs['prometheus-service'] && client
      ? serviceProxyGet(client, inputs['prometheus-service'], 'prometheus-service')
      : inputs['prometheus-url']
        ? prometheusOverHttp(inputs['prometheus-url'], timeout)
        : undefined;
  if (prometheus) {
    checks.push(alertsCheck(prometheus, inputs['alert-selector'], inputs['ignore-alerts'], inputs.services));
    for (const query of inputs['prometheus-queries']) checks.push(queryCheck(prometheus, query));
  }
  if (inputs['appinsights-app-id'] && inputs['appinsights-key']) {
    checks.push(
      ...appInsightsChecks(
        {
          apiUrl: inputs['appinsights-api-url'],
          appId: inputs['appinsights-app-id'],
          apiKey: inputs['appinsights-key'],
          windowMs: inputs['appinsights-window'],
          timeoutMs: timeout,
        },
        inputs['appinsights-max-exceptions'],
        inputs['appinsights-max-failed-requests'],
      ),
    );
  }
  if (inputs['smoke-commands'].length) {
    const cwd = insideWorkspace(context.workspace, inputs['working-directory'], 'working-directory');
    for (const [i, line] of inputs['smoke-commands'].entries())
      checks.push(smokeCheck(i, line, cwd, () => Math.max(1000, Math.min(inputs['smoke-timeout'], context.clock.remaining())), context.log));
  }
  return { checks, platform };
}

/** A Kubernetes client when a check needs one (pods of a namespace, Prometheus through the service proxy); each call capped by request-timeout. */
export async function verifyKubeClient(inputs: VerifyInputs, context: ActionContext): Promise<KubeClient | undefined> {
  if (!resolveNamespace(inputs) && !inputs['prometheus-service']) return undefined;
  const timeout = inputs['request-timeout'];
  return connectKube(inputs, context, { requestTimeoutMs: timeout, policy: { baseDelayMs: 200, maxDelayMs: 1_000, budgetMs: timeout } });
}
