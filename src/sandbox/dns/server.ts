import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DnsEmulatorRecord {
  type: 'A' | 'CNAME';
  name: string;
  content: string;
  ttl: number;
  /** Cloudflare's orange cloud. */
  proxied?: boolean;
}

export interface DnsEmulator {
  url: string;
  token: string;
  zone: string;
  /** Live records by fully qualified name (both providers share them). */
  records: DnsEmulatorRecord[];
  writes: { method: string; path: string; body: unknown }[];
  failNext(count: number): void;
  close(): Promise<void>;
}

/**
 * Cloudflare's v4 DNS endpoints under /client/v4 and Azure DNS record sets under /subscriptions/…,
 * with the documented envelopes, bearer auth (401 otherwise) and 5xx injection.
 */
export async function startDnsEmulator(options: { zone?: string; records?: DnsEmulatorRecord[] } = {}): Promise<DnsEmulator> {
  const zone = options.zone ?? 'keiko.com';
  const token = `dns_${Math.random().toString(36).slice(2)}`;
  const records: DnsEmulatorRecord[] = options.records ?? [{ type: 'CNAME', name: `api.${zone}`, content: 'primary.keiko.net', ttl: 3600 }];
  const writes: DnsEmulator['writes'] = [];
  let failures = 0;
  let nextId = 1;
  const ids = new Map<DnsEmulatorRecord, string>();
  const idOf = (r: DnsEmulatorRecord): string => {
    const known = ids.get(r);
    if (known) return known;
    const id = `rec${nextId++}`;
    ids.set(r, id);
    return id;
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const method = req.method ?? 'GET';
      const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : undefined;
      const send = (status: number, payload?: object): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(payload ? JSON.stringify(payload) : '');
      };
      if (failures > 0) {
        failures--;
        return send(503, { error: { code: 'ServiceUnavailable', message: 'try again' } });
      }
      if (req.headers.authorization !== `Bearer ${token}`) {
        return url.pathname.startsWith('/client/v4')
          ? send(401, { success: false, errors: [{ code: 10000, message: 'Authentication error' }], result: null })
          : send(401, { error: { code: 'AuthenticationFailed', message: 'Authentication failed.' } });
      }
      if (method !== 'GET') writes.push({ method, path: url.pathname, body });
      let m: RegExpExecArray | null;
      // Cloudflare
      if (url.pathname === '/client/v4/zones')
        return send(200, { success: true, errors: [], result: url.searchParams.get('name') === zone ? [{ id: 'zone1', name: zone }] : [] });
      if ((m = /^\/client\/v4\/zones\/zone1\/dns_records(?:\/(rec\d+))?$/.exec(url.pathname))) {
        const wanted = url.searchParams.get('name');
        if (method === 'GET')
          return send(200, {
            success: true,
            errors: [],
            result: records
              .filter((r) => !wanted || r.name === wanted)
              .map((r) => ({ id: idOf(r), type: r.type, name: r.name, content: r.content, ttl: r.ttl, proxied: r.proxied ?? false })),
          });
        const target = records.find((r) => idOf(r) === m?.[1]);
        const input = body as { type: 'A' | 'CNAME'; name: string; content: string; ttl: number; proxied?: boolean } | undefined;
        if (method === 'POST' && input) {
          const created = { type: input.type, name: input.name, content: input.content, ttl: input.ttl, proxied: input.proxied ?? false };
          records.push(created);
          return send(200, { success: true, errors: [], result: { id: idOf(created), ...created } });
        }
        if (!target) return send(404, { success: false, errors: [{ code: 81044, message: 'Record does not exist.' }], result: null });
        if (method === 'PUT' && input) {
          Object.assign(target, { type: input.type, name: input.name, content: input.content, ttl: input.ttl, proxied: input.proxied ?? false });
          return send(200, { success: true, errors: [], result: { id: idOf(target), ...target } });
        }
        if (method === 'DELETE') {
          records.splice(records.indexOf(target), 1);
          return send(200, { success: true, errors: [], result: { id: m[1] } });
        }
      }
      // Azure DNS
      if ((m = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/dnsZones\/([^/]+)\/(A|CNAME)\/([^/]+)$/.exec(url.pathname))) {
        if (m[1] !== zone)
          return send(404, { error: { code: 'ResourceNotFound', message: `The Resource 'Microsoft.Network/dnszones/${m[1]}' was not found.` } });
        const type = m[2] as 'A' | 'CNAME';
        const name = m[3] === '@' ? zone : `${m[3]}.${zone}`;
        const matching = records.filter((r) => r.type === type && r.name === name);
        if (method === 'GET') {
          if (!matching.length) return send(404, { error: { code: 'NotFound', message: `The resource record '${m[3]}' does not exist in resource group.` } });
          const properties =
            type === 'A'
              ? { TTL: matching[0]?.ttl, ARecords: matching.map((r) => ({ ipv4Address: r.content })) }
              : { TTL: matching[0]?.ttl, CNAMERecord: { cname: matching[0]?.content } };
          return send(200, { id: url.pathname, name: m[3], type: `Microsoft.Network/dnszones/${type}`, etag: 'x', properties });
        }
        for (const r of matching) records.splice(records.indexOf(r), 1);
        if (method === 'DELETE') return send(200);
        const props = (body?.properties ?? {}) as { TTL: number; ARecords?: { ipv4Address: string }[]; CNAMERecord?: { cname: string } };
        const values = type === 'A' ? (props.ARecords ?? []).map((a) => a.ipv4Address) : [props.CNAMERecord?.cname ?? ''];
        for (const content of values) records.push({ type, name, content, ttl: props.TTL });
        return send(200, { id: url.pathname, name: m[3], properties: props });
      }
      send(404, { error: { code: 'NotFound', message: 'not found' } });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token,
    zone,
    records,
    writes,
    failNext: (n) => void (failures = n),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
