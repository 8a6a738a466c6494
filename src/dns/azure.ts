import { type DnsEndpoint, type DnsProvider, type DnsRecord, dnsRequest, type RecordType } from './provider.js';

interface RecordSet {
  properties: { TTL: number; ARecords?: { ipv4Address: string }[]; CNAMERecord?: { cname: string } };
}

const API_VERSION = '2018-05-01';

/** Azure DNS through ARM record sets (…/dnsZones/{zone}/{A|CNAME}/{name}). */
export function azureDnsProvider(apiUrl: string, endpoint: DnsEndpoint, subscription: string, resourceGroup: string): DnsProvider {
  const url = (zone: string, type: RecordType, record: string): string =>
    `${apiUrl.replace(/\/+$/, '')}/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/Microsoft.Network/dnsZones/${zone}/${type}/${record}?api-version=${API_VERSION}`;
  const get = (zone: string, type: RecordType, record: string) => dnsRequest<RecordSet>('Azure DNS', url(zone, type, record), endpoint);
  return {
    name: 'azure',
    async read(zone, record) {
      const a = await get(zone, 'A', record);
      if (a?.properties.ARecords?.length) return { type: 'A', values: a.properties.ARecords.map((r) => r.ipv4Address), ttl: a.properties.TTL };
      const cname = await get(zone, 'CNAME', record);
      if (cname?.properties.CNAMERecord) return { type: 'CNAME', values: [cname.properties.CNAMERecord.cname], ttl: cname.properties.TTL };
      return undefined;
    },
    async write(zone, record, value, previous) {
      // a name holds either A records or one CNAME: switching type removes the other record set first
      if (previous && previous.type !== value.type) await dnsRequest('Azure DNS', url(zone, previous.type, record), endpoint, { method: 'DELETE' });
      const properties =
        value.type === 'A'
          ? { TTL: value.ttl, ARecords: value.values.map((ipv4Address) => ({ ipv4Address })) }
          : { TTL: value.ttl, CNAMERecord: { cname: value.values[0] } };
      await dnsRequest('Azure DNS', url(zone, value.type, record), endpoint, { method: 'PUT', body: { properties } });
    },
    async remove(zone, record, previous) {
      await dnsRequest('Azure DNS', url(zone, previous.type, record), endpoint, { method: 'DELETE' });
    },
  };
}

export type { DnsRecord };
