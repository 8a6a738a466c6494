import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface NotifyEmulator {
  url: string;
  apiKey: string;
  pageId: string;
  slackWebhook: string;
  teamsWebhook: string;
  incidents: { id: string; name: string; status: string; body: string; components: Record<string, string>; updates?: number }[];
  messages: { kind: 'slack' | 'teams'; body: Record<string, unknown> }[];
  /** The next N requests answer 500. */
  failNext(count: number): void;
  close(): Promise<void>;
}

/** Atlassian Statuspage's incidents endpoint and Slack/Teams incoming webhooks, as documented. */
export async function startNotifyEmulator(): Promise<NotifyEmulator> {
  const apiKey = `sp_${Math.random().toString(36).slice(2)}`;
  const pageId = 'kctbh9vrtdwd';
  const incidents: NotifyEmulator['incidents'] = [];
  const messages: NotifyEmulator['messages'] = [];
  let failures = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    const send = (status: number, payload: object | string): void => {
      res.writeHead(status, { 'content-type': typeof payload === 'string' ? 'text/plain' : 'application/json' });
      res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
    };
    if (failures > 0) {
      failures--;
      return send(500, { error: 'internal error' });
    }
    const url = req.url ?? '';
    if (url === `/v1/pages/${pageId}/incidents` && req.method === 'POST') {
      if (req.headers.authorization !== `OAuth ${apiKey}`) return send(401, { error: 'Could not authenticate' });
      const incident = body.incident as { name: string; status: string; body: string; components: Record<string, string> };
      const id = `inc${incidents.length + 1}`;
      incidents.push({ id, ...incident });
      return send(201, { id, name: incident.name, status: incident.status, shortlink: `https://stspg.io/${id}`, page_id: pageId });
    }
    const existing = new RegExp(`^/v1/pages/${pageId}/incidents/([^/]+)$`).exec(url);
    if (existing && req.method === 'PATCH') {
      if (req.headers.authorization !== `OAuth ${apiKey}`) return send(401, { error: 'Could not authenticate' });
      const found = incidents.find((i) => i.id === existing[1]);
      if (!found) return send(404, { error: 'Incident not found' });
      const update = body.incident as { status?: string; body?: string; components?: Record<string, string> };
      Object.assign(found, {
        ...(update.status ? { status: update.status } : {}),
        ...(update.body ? { body: update.body } : {}),
        ...(update.components ? { components: update.components } : {}),
      });
      found.updates = (found.updates ?? 0) + 1;
      return send(200, { id: found.id, name: found.name, status: found.status, shortlink: `https://stspg.io/${found.id}`, page_id: pageId });
    }
    if (url.startsWith('/services/T000/B000/') && req.method === 'POST') {
      if (!url.endsWith('/keikosecret')) return send(403, 'invalid_token');
      messages.push({ kind: 'slack', body });
      return send(200, 'ok');
    }
    if (url.startsWith('/webhookb2/') && req.method === 'POST') {
      messages.push({ kind: 'teams', body });
      return send(200, '1');
    }
    send(404, { error: 'not found' });
  };
  const server = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    apiKey,
    pageId,
    slackWebhook: `${url}/services/T000/B000/keikosecret`,
    teamsWebhook: `${url}/webhookb2/keiko@tenant/IncomingWebhook/abc/def`,
    incidents,
    messages,
    failNext: (count) => void (failures = count),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
