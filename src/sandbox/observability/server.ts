import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ObservabilityEmulator {
  url: string;
  grafanaToken: string;
  appInsightsKey: string;
  appId: string;
  annotations: { time: number; tags: string[]; text: string }[];
  queries: string[];
  counts: { exceptions: number; failedRequests: number };
  failNext(count: number): void;
  close(): Promise<void>;
}

/** Grafana's annotations API and the Application Insights query API, with their documented shapes. */
export async function startObservabilityEmulator(): Promise<ObservabilityEmulator> {
  const state: Omit<ObservabilityEmulator, 'url' | 'failNext' | 'close'> = {
    grafanaToken: `glsa_${Math.random().toString(36).slice(2)}`,
    appInsightsKey: `aik${Math.random().toString(36).slice(2)}`,
    appId: 'a1b2c3d4-app',
    annotations: [],
    queries: [],
    counts: { exceptions: 0, failedRequests: 0 },
  };
  let failures = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: object): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (failures > 0) {
        failures--;
        return send(500, { message: 'internal server error' });
      }
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/api/annotations' && req.method === 'POST') {
        if (req.headers.authorization !== `Bearer ${state.grafanaToken}`) return send(401, { message: 'Unauthorized' });
        state.annotations.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ObservabilityEmulator['annotations'][number]);
        return send(200, { id: state.annotations.length, message: 'Annotation added' });
      }
      if (url.pathname === `/v1/apps/${state.appId}/query`) {
        if (req.headers['x-api-key'] !== state.appInsightsKey)
          return send(403, { error: { code: 'InvalidApiKeyError', message: 'Valid authentication was not provided' } });
        const query = url.searchParams.get('query') ?? '';
        state.queries.push(query);
        const count = query.startsWith('exceptions') ? state.counts.exceptions : state.counts.failedRequests;
        return send(200, { tables: [{ name: 'PrimaryResult', columns: [{ name: 'Count', type: 'long' }], rows: [[count]] }] });
      }
      send(404, { message: 'Not found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    failNext: (count: number) => void (failures = count),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}
