import { type ActionManifest, KUBE_CONNECTION_INPUTS } from '../manifest.js';

export const manifest: ActionManifest = {
  name: 'verify',
  command: 'verify',
  description:
    'Check health URLs, PostgreSQL, Redis, TCP dependencies, pods, Prometheus alerts and queries and smoke commands; say whether the platform is healthy and how bad it is.',
  icon: 'check-circle',
  color: 'green',
  inputs: {
    services: { description: 'Services to check, separated by commas or newlines.' },
    'health-url-template': { description: 'Health URL with `{service}`, e.g. https://api.keiko.com/{service}/health.' },
    'health-urls': { description: 'Extra health URLs, one per line.' },
    'expected-status': { description: 'Accepted HTTP statuses: a list or ranges such as 200-299.', default: '200' },
    'expect-body': { description: 'Text that must appear in the body, or json:<path>=<value>.' },
    headers: { description: '`Name: value` per line, sent with every health request (secret).', secret: true },
    'max-latency': { description: 'Slower answers count as failed, e.g. 800ms.' },
    'database-url': { description: 'PostgreSQL URL: connect and SELECT 1 (secret).', secret: true },
    'redis-url': { description: 'Redis URL: PING (secret).', secret: true },
    tcp: { description: '`host:port` per line for other dependencies.' },
    ...KUBE_CONNECTION_INPUTS,
    'prometheus-service': { description: 'In-cluster Prometheus as namespace/service:port, reached through the API server service proxy.' },
    'prometheus-url': { description: 'Prometheus base URL.' },
    'alert-selector': { description: 'Fail on firing alerts matching these labels, e.g. severity=critical,namespace=keiko-production.' },
    'ignore-alerts': { description: 'Alert names never counted (always-firing alerts).', default: 'Watchdog' },
    'prometheus-queries': { description: 'One per line: `name: <PromQL> <op> <number>`.' },
    'appinsights-app-id': { description: 'Application Insights application id: fail on too many exceptions or failed requests.' },
    'appinsights-key': { description: 'Application Insights API key (secret).', secret: true },
    'appinsights-api-url': { description: 'Application Insights query API base URL.', default: 'https://api.applicationinsights.io' },
    'appinsights-window': { description: 'How far back the Application Insights queries look.', default: '15m' },
    'appinsights-max-exceptions': { description: 'Most exceptions allowed in the window.', default: '50' },
    'appinsights-max-failed-requests': { description: 'Most failed requests allowed in the window.', default: '50' },
    'grafana-url': { description: 'Grafana base URL: the check run is annotated on dashboards at start and end.' },
    'grafana-token': { description: 'Grafana service account token (secret).', secret: true },
    'smoke-commands': {
      description:
        "One command per line, each run as the workflow author's own shell line (`bash -c`, like a `run:` step) in `working-directory`, e.g. `cd services/chat-service && pytest tests/integration/`. The runner's inputs and secrets are not in its environment. A failing smoke test raises the severity one level at most.",
    },
    'platform-services': {
      description:
        "The platform's services, for the severity (the share of them affected). Default: the deployments of the namespace; without a namespace, the services of this run.",
    },
    timeout: { description: 'Limit for the whole run: every check, retry and the stability window.', default: '10m' },
    'working-directory': { description: 'Directory for smoke commands.', default: '.' },
    'smoke-timeout': { description: 'Limit for each smoke command.', default: '10m' },
    retries: { description: 'Attempts after the first for each check.', default: '5' },
    'retry-interval': { description: 'Wait between attempts.', default: '5s' },
    'request-timeout': { description: 'Limit for each request.', default: '10s' },
    'stability-window': { description: 'Checks repeat and must stay green for this long, e.g. 2m.' },
    'fail-on-unhealthy': { description: 'Fail the step when unhealthy.', default: 'true' },
  },
  outputs: {
    healthy: '`true` or `false`.',
    severity: '`none`, `low`, `medium`, `high` or `critical` (the runbook decision matrix).',
    failed: 'Names of the failed checks.',
    report: 'JSON: every check with status, attempts, latency and detail.',
  },
};
