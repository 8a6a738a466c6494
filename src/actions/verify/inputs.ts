import { z } from 'zod';
import type { StatusRange } from '../../checks/http.js';
import type { PromQuery } from '../../checks/prometheus.js';
import { input, inputShape } from '../../core/input-table.js';
import {
  booleanInput,
  dnsLabelListInput,
  durationInput,
  httpUrl,
  integerInput,
  optionalDurationInput,
  optionalString,
  requiredString,
  splitLines,
  splitList,
} from '../../core/inputs.js';
import { HTTP_SCHEMES, headerValueProblem, tokenInput, urlInput } from '../../core/url-inputs.js';
import { KUBE_CONNECTION_INPUTS, namespaceProblem, resolveNamespace } from '../../kube/connection.js';

export function parseExpectedStatus(text: string): StatusRange[] | undefined {
  const ranges: StatusRange[] = [];
  for (const part of text.split(/[,\s]+/).filter(Boolean)) {
    const match = /^([1-5]\d\d)(?:-([1-5]\d\d))?$/.exec(part);
    if (!match) return undefined;
    const from = Number(match[1]);
    const to = Number(match[2] ?? match[1]);
    if (to < from) return undefined;
    ranges.push({ from, to });
  }
  return ranges.length ? ranges : undefined;
}

const QUERY_LINE = /^([A-Za-z0-9_.-]+):\s*(.+?)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)$/;

export function parsePromQuery(line: string): PromQuery | undefined {
  const match = QUERY_LINE.exec(line);
  if (!match) return undefined;
  return { name: match[1] ?? '', expr: match[2] ?? '', op: match[3] as PromQuery['op'], threshold: Number(match[4]) };
}

function lines<T>(parse: (line: string) => T | undefined, problem: (line: string) => string) {
  return z
    .string()
    .optional()
    .transform((value, ctx) => {
      const result: T[] = [];
      for (const line of splitLines(value)) {
        const parsed = parse(line);
        if (parsed === undefined) {
          ctx.addIssue({ code: 'custom', message: problem(line) });
          return z.NEVER;
        }
        result.push(parsed);
      }
      return result;
    });
}

const urlLine = (line: string): string | undefined => (httpUrl(line) ? line : undefined);
const tcpLine = (line: string): { host: string; port: number } | undefined => {
  const match = /^\[?([^\]\s]+?)\]?:(\d{1,5})$/.exec(line);
  const port = Number(match?.[2]);
  return match && port > 0 && port < 65536 ? { host: match[1] ?? '', port } : undefined;
};
const headerLine = (line: string): [string, string] | undefined => {
  const match = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+):\s*(.*)$/.exec(line);
  return match && !headerValueProblem(match[2] ?? '') ? [match[1] ?? '', match[2] ?? ''] : undefined;
};

/** Every input of verify, declared once. */
export const verifyInputs = {
  services: input(dnsLabelListInput({ required: false, hint: '' }), { description: 'Services to check, separated by commas or newlines.' }),
  'health-url-template': input(optionalString(), { description: 'Health URL with `{service}`, e.g. https://api.keiko.com/{service}/health.' }),
  'health-urls': input(
    lines(urlLine, (l) => `has "${l}", which is not an http(s) URL`),
    { description: 'Extra health URLs, one per line.' },
  ),
  'expected-status': input(
    requiredString('list HTTP statuses such as 200 or 200-299').transform((text, ctx) => {
      const ranges = parseExpectedStatus(text);
      if (ranges) return ranges;
      ctx.addIssue({ code: 'custom', message: `must list HTTP statuses or ranges such as 200 or 200-299, got "${text}"` });
      return z.NEVER;
    }),
    { description: 'Accepted HTTP statuses: a list or ranges such as 200-299.', default: '200' },
  ),
  'expect-body': input(optionalString(), { description: 'Text that must appear in the body, or json:<path>=<value>.' }),
  headers: input(
    lines(headerLine, () => 'must be `Name: value`, one header per line, values in printable characters (no line breaks or control characters)'),
    { description: '`Name: value` per line, sent with every health request (secret).', secret: true },
  ),
  'max-latency': input(optionalDurationInput('800ms or 2s'), { description: 'Slower answers count as failed, e.g. 800ms.' }),
  'database-url': input(urlInput(['postgres:', 'postgresql:'], 'postgresql://app@db.internal:5432/keiko'), {
    description: 'PostgreSQL URL: connect and SELECT 1 (secret).',
    secret: true,
  }),
  'redis-url': input(urlInput(['redis:', 'rediss:'], 'redis://cache.internal:6379/0'), { description: 'Redis URL: PING (secret).', secret: true }),
  tcp: input(
    lines(tcpLine, (l) => `has "${l}": write host:port, one per line`),
    { description: '`host:port` per line for other dependencies.' },
  ),
  ...KUBE_CONNECTION_INPUTS,
  'prometheus-service': input(optionalString(), {
    description: 'In-cluster Prometheus as namespace/service:port, reached through the API server service proxy.',
  }),
  'prometheus-url': input(urlInput(HTTP_SCHEMES, 'http://prometheus.monitoring:9090'), { description: 'Prometheus base URL.' }),
  'alert-selector': input(optionalString(), {
    description: 'Fail on firing alerts matching these labels, e.g. severity=critical,namespace=keiko-production.',
  }),
  'ignore-alerts': input(
    z
      .string()
      .optional()
      .transform((v) => splitList(v)),
    { description: 'Alert names never counted (always-firing alerts).', default: 'Watchdog' },
  ),
  'prometheus-queries': input(
    lines(parsePromQuery, (l) => `has "${l}": write \`name: <PromQL> <op> <number>\` with op one of < <= > >= == !=`),
    { description: 'One per line: `name: <PromQL> <op> <number>`.' },
  ),
  'appinsights-app-id': input(optionalString(), {
    description: 'Application Insights application id: fail on too many exceptions or failed requests.',
  }),
  'appinsights-key': input(tokenInput(), { description: 'Application Insights API key (secret).', secret: true }),
  'appinsights-api-url': input(
    urlInput(HTTP_SCHEMES, 'https://api.applicationinsights.io').transform((v) => v ?? ''),
    { description: 'Application Insights query API base URL.', default: 'https://api.applicationinsights.io' },
  ),
  'appinsights-window': input(durationInput(), { description: 'How far back the Application Insights queries look.', default: '15m' }),
  'appinsights-max-exceptions': input(integerInput(0, 1_000_000), { description: 'Most exceptions allowed in the window.', default: '50' }),
  'appinsights-max-failed-requests': input(integerInput(0, 1_000_000), { description: 'Most failed requests allowed in the window.', default: '50' }),
  'grafana-url': input(urlInput(HTTP_SCHEMES, 'https://grafana.example.com'), {
    description: 'Grafana base URL: the check run is annotated on dashboards at start and end.',
  }),
  'grafana-token': input(tokenInput(), { description: 'Grafana service account token (secret).', secret: true }),
  'smoke-commands': input(
    z
      .string()
      .optional()
      .transform((v) => splitLines(v)),
    {
      description:
        "One command per line, each run as the workflow author's own shell line (`bash -c`, like a `run:` step) in `working-directory`, e.g. `cd services/chat-service && pytest tests/integration/`. The runner's inputs and secrets are not in its environment. A failing smoke test raises the severity one level at most.",
    },
  ),
  'platform-services': input(dnsLabelListInput({ required: false, hint: '' }), {
    description:
      "The platform's services, for the severity (the share of them affected). Default: the deployments of the namespace; without a namespace, the services of this run.",
  }),
  timeout: input(durationInput(), { description: 'Limit for the whole run: every check, retry and the stability window.', default: '10m' }),
  'working-directory': input(requiredString('write a folder inside the workspace, e.g. .'), { description: 'Directory for smoke commands.', default: '.' }),
  'smoke-timeout': input(durationInput(), { description: 'Limit for each smoke command.', default: '10m' }),
  retries: input(integerInput(0, 100), { description: 'Attempts after the first for each check.', default: '5' }),
  'retry-interval': input(durationInput(), { description: 'Wait between attempts.', default: '5s' }),
  'request-timeout': input(durationInput(), { description: 'Limit for each request.', default: '10s' }),
  'stability-window': input(optionalDurationInput('2m'), { description: 'Checks repeat and must stay green for this long, e.g. 2m.' }),
  'fail-on-unhealthy': input(booleanInput(), { description: 'Fail the step when unhealthy.', default: 'true' }),
};

/** Every output of verify, declared once. */
export const verifyOutputs = {
  healthy: '`true` or `false`.',
  severity: '`none`, `low`, `medium`, `high` or `critical` (the runbook decision matrix).',
  failed: 'Names of the failed checks.',
  report: 'JSON: every check with status, attempts, latency and detail; the severity and the rules that set it.',
};
export type VerifyOutput = keyof typeof verifyOutputs;

export const verifySchema = z.object(inputShape(verifyInputs)).superRefine((inputs, ctx) => {
  const add = (path: string, message: string): void => ctx.addIssue({ code: 'custom', path: [path], message });
  const template = inputs['health-url-template'];
  if (template && !template.includes('{service}')) add('health-url-template', 'must contain {service}, e.g. https://api.keiko.com/{service}/health');
  else if (template && !httpUrl(template.replaceAll('{service}', 'x'))) add('health-url-template', 'must be an http(s) URL');
  else if (template && inputs.services.length === 0) add('services', 'is required with health-url-template: the services whose {service} URLs to check');
  if (inputs['appinsights-app-id'] && !inputs['appinsights-key']) add('appinsights-key', 'is required with appinsights-app-id: pass the API key as a secret');
  if (inputs['grafana-url'] && !inputs['grafana-token']) add('grafana-token', 'is required with grafana-url: pass a service account token as a secret');
  const window = inputs['stability-window'];
  if (window !== undefined && window < inputs['retry-interval']) {
    add('stability-window', 'must be at least as long as retry-interval (the checks repeat every retry-interval inside the window)');
  }
  const kubeWanted = Boolean(inputs.namespace || inputs.environment);
  if (kubeWanted) {
    const problem = namespaceProblem(inputs);
    if (problem) add(problem.input, problem.message);
  }
  const configured =
    Boolean(template) ||
    inputs['health-urls'].length > 0 ||
    Boolean(inputs['database-url'] || inputs['redis-url']) ||
    inputs.tcp.length > 0 ||
    Boolean(resolveNamespace(inputs)) ||
    Boolean(inputs['prometheus-url'] || inputs['prometheus-service']) ||
    inputs['smoke-commands'].length > 0 ||
    Boolean(inputs['appinsights-app-id']);
  if (!configured) {
    add(
      'health-urls',
      'or another check is required: configure at least one of health-url-template + services, health-urls, database-url, redis-url, tcp, namespace/environment, prometheus-url, prometheus-service, smoke-commands, appinsights-app-id',
    );
  }
});

export type VerifyInputs = z.output<typeof verifySchema>;
