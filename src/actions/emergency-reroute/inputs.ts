import { z } from 'zod';
import { booleanInput, dnsLabelProblem, durationInput, enumInput, integerInput, optionalPatternInput, optionalString } from '../../core/inputs.js';
import { HTTP_SCHEMES, isHostname, isIpv4, tokenInput, urlInput } from '../../core/url-inputs.js';
import { kubeTargetFields, namespaceProblem } from '../../kube/connection.js';

export const emergencyRerouteSchema = z
  .object({
    mode: enumInput(['activate', 'restore'] as const, 'activate'),
    ...kubeTargetFields(),
    'ingress-manifest': optionalString(),
    'circuit-breaker': booleanInput(true),
    'gateway-deployment': z
      .string()
      .optional()
      .transform((value, ctx) => {
        const text = value?.trim() || 'gateway-bff';
        const problem = dnsLabelProblem(text);
        if (!problem) return text;
        ctx.addIssue({ code: 'custom', message: `is ${problem}` });
        return z.NEVER;
      }),
    'failure-threshold': integerInput(5, 1, 1000),
    'dns-provider': z
      .string()
      .optional()
      .transform((value, ctx) => {
        const text = value?.trim();
        if (!text) return undefined;
        if (text === 'azure' || text === 'cloudflare') return text;
        ctx.addIssue({ code: 'custom', message: `must be azure or cloudflare (or empty for no DNS change), got "${text}"` });
        return z.NEVER;
      }),
    'dns-zone': optionalPatternInput(/./, () => '').refine((v) => v === undefined || isHostname(v), { message: 'must be a DNS zone name such as keiko.com' }),
    'dns-record': optionalPatternInput(
      /^(@|\*|[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$/,
      (text) => `must be a record name inside the zone such as api, www or @ for the apex, got "${text}"`,
    ),
    'dns-target': optionalPatternInput(/^[^\s]+$/, (text) => `must be a hostname (for a CNAME) or an IPv4 address (for an A record), got "${text}"`).refine(
      (v) => v === undefined || isIpv4(v) || isHostname(v),
      { message: 'must be a hostname (for a CNAME, e.g. backup.keiko.com) or an IPv4 address (for an A record, e.g. 203.0.113.10)' },
    ),
    'dns-ttl': integerInput(60, 1, 86_400),
    'dns-token': tokenInput(),
    'dns-api-url': urlInput(HTTP_SCHEMES, 'https://api.cloudflare.com/client/v4'),
    'azure-subscription-id': optionalString(),
    'azure-resource-group': optionalString(),
    force: booleanInput(false),
    timeout: durationInput('5m'),
    'dry-run': booleanInput(false),
  })
  .superRefine((inputs, ctx) => {
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
