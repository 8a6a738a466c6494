import { z } from 'zod';
import type { StatusRange } from '../../checks/http.js';
import {
  booleanInput,
  dnsLabelListInput,
  durationInput,
  httpUrl,
  integerInput,
  optionalDurationInput,
  optionalString,
  splitLines,
  splitList,
} from '../../core/inputs.js';
import { HTTP_SCHEMES, headerValueProblem, tokenInput, urlInput } from '../../core/url-inputs.js';
import { kubeTargetFields, namespaceProblem, resolveNamespace } from '../../kube/connection.js';

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

import type { PromQuery } from '../../checks/prometheus.js';

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

export const verifySchema = z
  .object({
    services: dnsLabelListInput({ required: false, hint: '' }),
    'health-url-template': optionalString(),
    'health-urls': lines(urlLine, (l) => `has "${l}", which is not an http(s) URL`),
    'expected-status': z
      .string()
      .optional()
      .transform((value, ctx) => {
        const text = value?.trim() || '200';
        const ranges = parseExpectedStatus(text);
        if (ranges) return ranges;
        ctx.addIssue({ code: 'custom', message: `must list HTTP statuses or ranges such as 200 or 200-299, got "${text}"` });
        return z.NEVER;
      }),
    'expect-body': optionalString(),
    headers: lines(headerLine, () => 'must be `Name: value`, one header per line, values in printable characters (no line breaks or control characters)'),
    'max-latency': optionalDurationInput('800ms or 2s'),
    'database-url': urlInput(['postgres:', 'postgresql:'], 'postgresql://app@db.internal:5432/keiko'),
    'redis-url': urlInput(['redis:', 'rediss:'], 'redis://cache.internal:6379/0'),
    tcp: lines(tcpLine, (l) => `has "${l}": write host:port, one per line`),
    ...kubeTargetFields(),
    'prometheus-service': optionalString(),
    'prometheus-url': urlInput(HTTP_SCHEMES, 'http://prometheus.monitoring:9090'),
    'alert-selector': optionalString(),
    'ignore-alerts': z
      .string()
      .optional()
      .transform((v) => splitList(v ?? 'Watchdog')),
    'prometheus-queries': lines(parsePromQuery, (l) => `has "${l}": write \`name: <PromQL> <op> <number>\` with op one of < <= > >= == !=`),
    'appinsights-app-id': optionalString(),
    'appinsights-key': tokenInput(),
    'appinsights-api-url': urlInput(HTTP_SCHEMES, 'https://api.applicationinsights.io', 'https://api.applicationinsights.io').transform(
      (v) => v ?? 'https://api.applicationinsights.io',
    ),
    'appinsights-window': durationInput('15m'),
    'appinsights-max-exceptions': integerInput(50, 0, 1_000_000),
    'appinsights-max-failed-requests': integerInput(50, 0, 1_000_000),
    'grafana-url': urlInput(HTTP_SCHEMES, 'https://grafana.example.com'),
    'grafana-token': tokenInput(),
    'smoke-commands': z
      .string()
      .optional()
      .transform((v) => splitLines(v)),
    'platform-services': dnsLabelListInput({ required: false, hint: '' }),
    timeout: durationInput('10m'),
    'working-directory': z
      .string()
      .optional()
      .transform((v) => v?.trim() || '.'),
    'smoke-timeout': durationInput('10m'),
    retries: integerInput(5, 0, 100),
    'retry-interval': durationInput('5s'),
    'request-timeout': durationInput('10s'),
    'stability-window': optionalDurationInput('2m'),
    'fail-on-unhealthy': booleanInput(true),
  })
  .superRefine((inputs, ctx) => {
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
