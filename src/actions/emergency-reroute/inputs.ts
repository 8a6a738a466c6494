import { z } from 'zod';
import { input, inputShape } from '../../core/input-table.js';
import {
  booleanInput,
  dnsLabelProblem,
  durationInput,
  enumInput,
  integerInput,
  optionalPatternInput,
  optionalString,
  requiredString,
} from '../../core/inputs.js';
import { HTTP_SCHEMES, isHostname, isIpv4, tokenInput, urlInput } from '../../core/url-inputs.js';
import { KUBE_CONNECTION_INPUTS, namespaceProblem } from '../../kube/connection.js';

const RECORD_NAME = /^(@|\*|[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$/;

/** Every input of emergency-reroute, declared once. */
export const emergencyRerouteInputs = {
  mode: input(enumInput(['activate', 'restore'] as const), { description: '`activate` or `restore`.', default: 'activate' }),
  ...KUBE_CONNECTION_INPUTS,
  'ingress-manifest': input(optionalString(), {
    description: 'Backup ingress manifest (Ingress and Service objects); set empty to skip.',
    default: 'infra/kubernetes/emergency/backup-ingress.yaml',
    blankMeansNone: true,
  }),
  'circuit-breaker': input(booleanInput(), { description: 'Enable the gateway circuit breaker.', default: 'true' }),
  'gateway-deployment': input(
    requiredString('name the gateway deployment').transform((text, ctx) => {
      const problem = dnsLabelProblem(text);
      if (!problem) return text;
      ctx.addIssue({ code: 'custom', message: `is ${problem}` });
      return z.NEVER;
    }),
    { description: 'Gateway deployment name.', default: 'gateway-bff' },
  ),
  'failure-threshold': input(integerInput(1, 1000), { description: 'FAILURE_THRESHOLD for the circuit breaker, 1–1000.', default: '5' }),
  'dns-provider': input(
    optionalPatternInput(/^(azure|cloudflare)$/, (text) => `must be azure or cloudflare (or empty for no DNS change), got "${text}"`).transform(
      (v) => v as 'azure' | 'cloudflare' | undefined,
    ),
    { description: '`azure` or `cloudflare`: also point a DNS record at the backup environment (empty: no DNS change).' },
  ),
  'dns-zone': input(
    optionalPatternInput(/./, () => '').refine((v) => v === undefined || isHostname(v), { message: 'must be a DNS zone name such as keiko.com' }),
    { description: 'DNS zone, e.g. keiko.com.' },
  ),
  'dns-record': input(
    optionalPatternInput(RECORD_NAME, (text) => `must be a record name inside the zone such as api, www or @ for the apex, got "${text}"`),
    { description: 'Record name inside the zone, e.g. api (or @).' },
  ),
  'dns-target': input(
    optionalPatternInput(/^[^\s]+$/, (text) => `must be a hostname (for a CNAME) or an IPv4 address (for an A record), got "${text}"`).refine(
      (v) => v === undefined || isIpv4(v) || isHostname(v),
      { message: 'must be a hostname (for a CNAME, e.g. backup.keiko.com) or an IPv4 address (for an A record, e.g. 203.0.113.10)' },
    ),
    { description: 'New value: a hostname (CNAME) or an IPv4 address (A record).' },
  ),
  'dns-ttl': input(integerInput(1, 86_400), { description: 'TTL set before the switch and kept while rerouted (seconds).', default: '60' }),
  'dns-token': input(tokenInput(), {
    description: 'Cloudflare API token, or an Azure bearer token (default for Azure: the azure/login session via `az account get-access-token`) (secret).',
    secret: true,
  }),
  'dns-api-url': input(urlInput(HTTP_SCHEMES, 'https://api.cloudflare.com/client/v4'), {
    description: 'DNS API base URL (default: https://api.cloudflare.com/client/v4 or https://management.azure.com).',
  }),
  'azure-subscription-id': input(optionalString(), { description: 'Azure subscription of the DNS zone.' }),
  'azure-resource-group': input(optionalString(), { description: 'Azure resource group of the DNS zone.' }),
  force: input(booleanInput(), { description: 'Take over fields another field manager owns (server-side apply force).', default: 'false' }),
  timeout: input(durationInput(), { description: 'Limit for the whole run.', default: '5m' }),
  'dry-run': input(booleanInput(), { description: 'Validate, diff and server-side dry-run; change nothing.', default: 'false' }),
};

/** Every output of emergency-reroute, declared once. */
export const emergencyRerouteOutputs = {
  applied: 'Kind/name of every object applied or restored.',
  state: 'JSON snapshot of what was there before.',
  result: 'JSON report.',
};
export type EmergencyRerouteOutput = keyof typeof emergencyRerouteOutputs;

export const emergencyRerouteSchema = z.object(inputShape(emergencyRerouteInputs)).superRefine((inputs, ctx) => {
  const problem = namespaceProblem(inputs);
  if (problem) ctx.addIssue({ code: 'custom', path: [problem.input], message: problem.message });
  if (inputs['dns-provider']) {
    const needed: ('dns-zone' | 'dns-record' | 'dns-target')[] = ['dns-zone', 'dns-record', ...(inputs.mode === 'activate' ? (['dns-target'] as const) : [])];
    for (const name of needed) {
      if (!inputs[name]) ctx.addIssue({ code: 'custom', path: [name], message: `is required with dns-provider: ${inputs['dns-provider']}` });
    }
    if (inputs['dns-provider'] === 'azure') {
      for (const name of ['azure-subscription-id', 'azure-resource-group'] as const)
        if (!inputs[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'is required with dns-provider: azure' });
    }
    if (inputs['dns-provider'] === 'cloudflare' && !inputs['dns-token'])
      ctx.addIssue({
        code: 'custom',
        path: ['dns-token'],
        message: 'is required with dns-provider: cloudflare: a Cloudflare API token with DNS edit rights',
      });
  }
});

export type EmergencyRerouteInputs = z.output<typeof emergencyRerouteSchema>;
