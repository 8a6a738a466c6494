import type { ActionContext } from '../../core/action.js';
import { ConfigurationError } from '../../core/errors.js';
import { runTool } from '../../core/exec.js';
import { azureDnsProvider } from '../../dns/azure.js';
import { cloudflareProvider } from '../../dns/cloudflare.js';
import { type DnsEndpoint, type DnsProvider, type DnsRecord, recordTypeFor } from '../../dns/provider.js';
import type { RerouteState } from '../../kube/reroute-state.js';
import type { EmergencyRerouteInputs } from './inputs.js';

/** The token from the input, or for Azure the session azure/login left behind. */
async function azureToken(context: ActionContext): Promise<string> {
  const run = await runTool('az', ['account', 'get-access-token', '--resource', 'https://management.azure.com/', '--query', 'accessToken', '-o', 'tsv'], {
    log: context.log,
  }).catch(() => undefined);
  const token = run?.exitCode === 0 ? run.stdout.trim() : '';
  if (!token)
    throw new ConfigurationError(
      'is empty and no azure/login session was found (`az account get-access-token` failed): run azure/login first, or pass a token',
      'dns-token',
    );
  context.secrets.add(token);
  return token;
}

export async function dnsProvider(inputs: EmergencyRerouteInputs, context: ActionContext): Promise<DnsProvider | undefined> {
  if (!inputs['dns-provider']) return undefined;
  const endpoint = (token: string): DnsEndpoint => ({ token, log: context.log, signal: context.clock.signal });
  if (inputs['dns-provider'] === 'cloudflare')
    return cloudflareProvider(inputs['dns-api-url'] ?? 'https://api.cloudflare.com/client/v4', endpoint(inputs['dns-token'] ?? ''));
  const token = inputs['dns-token'] ?? (await azureToken(context));
  return azureDnsProvider(
    inputs['dns-api-url'] ?? 'https://management.azure.com',
    endpoint(token),
    inputs['azure-subscription-id'] ?? '',
    inputs['azure-resource-group'] ?? '',
  );
}

export function describeRecord(record: DnsRecord | null | undefined): string {
  return record ? `${record.type} ${record.values.join(', ')} (TTL ${record.ttl}${record.proxied ? ', proxied' : ''})` : 'absent';
}

export interface DnsSwitch {
  change: string;
  /** Resolvers that cached the old record before the switch may serve it until then (the old TTL). */
  staleUntil: string | undefined;
}

/**
 * Lowers the TTL, then points the record at the target, keeping every other field (Cloudflare's
 * proxied) as it was. Resolvers that cached the record before may keep the old answer for up to
 * the old TTL: the result says until when. Undefined when the record already points there.
 */
export async function switchDns(
  provider: DnsProvider,
  inputs: EmergencyRerouteInputs,
  context: ActionContext,
  now = Date.now(),
): Promise<DnsSwitch | undefined> {
  const zone = inputs['dns-zone'] ?? '';
  const record = inputs['dns-record'] ?? '';
  const target = inputs['dns-target'] ?? '';
  const ttl = inputs['dns-ttl'];
  let current = await provider.read(zone, record);
  const wanted: DnsRecord = { type: recordTypeFor(target), values: [target], ttl, ...(current?.proxied !== undefined ? { proxied: current.proxied } : {}) };
  if (current && current.type === wanted.type && current.values.join() === wanted.values.join() && current.ttl === ttl) return undefined;
  const oldTtl = current?.ttl;
  if (current && current.ttl > ttl) {
    await provider.write(zone, record, { ...current, ttl }, current);
    context.log.info(`DNS ${record}.${zone}: TTL ${current.ttl} → ${ttl} before switching`);
    current = { ...current, ttl };
  }
  await provider.write(zone, record, wanted, current);
  const staleUntil = oldTtl ? new Date(now + oldTtl * 1000).toISOString() : undefined;
  return { change: `${describeRecord(current)} → ${describeRecord(wanted)}`, staleUntil };
}

export async function restoreDns(provider: DnsProvider, dns: NonNullable<RerouteState['dns']>): Promise<string> {
  const current = await provider.read(dns.zone, dns.record);
  if (!dns.previous) {
    if (current) await provider.remove(dns.zone, dns.record, current);
    return `${describeRecord(current)} → absent`;
  }
  await provider.write(dns.zone, dns.record, dns.previous, current);
  return `${describeRecord(current)} → ${describeRecord(dns.previous)}`;
}
