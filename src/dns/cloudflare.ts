import { ConfigurationError } from '../core/errors.js';
import { type DnsEndpoint, type DnsProvider, type DnsRecord, dnsRequest, type RecordType } from './provider.js';

interface Envelope<T> {
  success: boolean;
  result: T;
  errors?: { code: number; message: string }[];
}
interface CfRecord {
  id: string;
  type: string;
  name: string;
  content: string;
  ttl: number;
  proxied?: boolean;
}

/** Cloudflare's v4 API: zones by name, dns_records by name, PUT/POST/DELETE. */
export function cloudflareProvider(apiUrl: string, endpoint: DnsEndpoint): DnsProvider {
  const base = apiUrl.replace(/\/+$/, '');
  const zoneId = async (zone: string): Promise<string> => {
    const zones = await dnsRequest<Envelope<{ id: string }[]>>('Cloudflare', `${base}/zones?name=${encodeURIComponent(zone)}`, endpoint);
    const id = zones?.result[0]?.id;
    if (!id) throw new ConfigurationError(`"${zone}" is not a Cloudflare zone this token can see`, 'dns-zone');
    return id;
  };
  const fqdn = (zone: string, record: string): string => (record === '@' ? zone : `${record}.${zone}`);
  const existing = async (zone: string, record: string): Promise<{ zone: string; records: CfRecord[] }> => {
    const id = await zoneId(zone);
    const list = await dnsRequest<Envelope<CfRecord[]>>(
      'Cloudflare',
      `${base}/zones/${id}/dns_records?name=${encodeURIComponent(fqdn(zone, record))}`,
      endpoint,
    );
    return { zone: id, records: (list?.result ?? []).filter((r) => r.type === 'A' || r.type === 'CNAME') };
  };
  return {
    name: 'cloudflare',
    async read(zone, record) {
      const { records } = await existing(zone, record);
      const first = records[0];
      return first ? { type: first.type as RecordType, values: records.map((r) => r.content), ttl: first.ttl, proxied: first.proxied ?? false } : undefined;
    },
    async write(zone, record, value) {
      const { zone: id, records } = await existing(zone, record);
      for (const stale of records.slice(value.values.length))
        await dnsRequest('Cloudflare', `${base}/zones/${id}/dns_records/${stale.id}`, endpoint, { method: 'DELETE' });
      for (const [i, content] of value.values.entries()) {
        const body = { type: value.type, name: fqdn(zone, record), content, ttl: value.ttl, proxied: value.proxied ?? false };
        const current = records[i];
        if (current) await dnsRequest('Cloudflare', `${base}/zones/${id}/dns_records/${current.id}`, endpoint, { method: 'PUT', body });
        else await dnsRequest('Cloudflare', `${base}/zones/${id}/dns_records`, endpoint, { method: 'POST', body });
      }
    },
    async remove(zone, record) {
      const { zone: id, records } = await existing(zone, record);
      for (const r of records) await dnsRequest('Cloudflare', `${base}/zones/${id}/dns_records/${r.id}`, endpoint, { method: 'DELETE' });
    },
  };
}

export type { DnsRecord };
