import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';

/**
 * A proxy in front of any HTTP emulator (Kubernetes, Vercel, DNS, GitHub, Prometheus, webhooks)
 * that misbehaves on purpose, the way real servers and networks do. Tests choose the fault; the
 * emulator behind it stays honest, so "the server applied it but the answer was lost" is real.
 */
export type HttpFault =
  /** Accept the request and never answer. */
  | { kind: 'hang' }
  /** Hold the request until the test calls `release()`, then serve it: a wait decided by an event, not a delay. */
  | { kind: 'hold' }
  /** Answer every request `delayMs` late. */
  | { kind: 'slow'; delayMs: number }
  /** Forward, send the status line and part of the body, then reset the connection. */
  | { kind: 'reset' }
  /** Forward (the server applies it), then drop the connection without answering. */
  | { kind: 'lose' }
  /** Answer with this status instead of forwarding (401, 403, 404, 429, 5xx, an empty 4xx). */
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> };

export interface FaultRule {
  fault: HttpFault;
  method?: string;
  /** Substring or pattern of the path and query. */
  path?: string | RegExp;
  /** How many requests it hits; unlimited when unset. */
  times?: number;
}

export interface FaultProxy {
  url: string;
  /** Every request seen: method, path and what the client got ('hang', 'reset', 'lost', or the status). */
  requests: { method: string; path: string; outcome: string }[];
  add(rule: FaultRule): void;
  clear(): void;
  /** Resolves when a request is being held (a `hold` fault). */
  held(): Promise<void>;
  /** Serves every held request and stops holding. */
  release(): void;
  close(): Promise<void>;
}

function matches(rule: FaultRule & { hits: number }, req: IncomingMessage): boolean {
  if (rule.times !== undefined && rule.hits >= rule.times) return false;
  if (rule.method && rule.method !== req.method) return false;
  if (rule.path && !(typeof rule.path === 'string' ? (req.url ?? '').includes(rule.path) : rule.path.test(req.url ?? ''))) return false;
  return true;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function forward(upstream: URL, req: IncomingMessage, body: Buffer): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, host: upstream.host };
    const request = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers }, resolve);
    request.on('error', reject);
    request.end(body);
  });
}

export async function startFaultProxy(upstreamUrl: string): Promise<FaultProxy> {
  const upstream = new URL(upstreamUrl);
  const rules: (FaultRule & { hits: number })[] = [];
  const requests: FaultProxy['requests'] = [];
  const sockets = new Set<Socket>();
  const waiting: (() => void)[] = [];
  let onHeld: (() => void) | undefined;
  let holding: Promise<void> | undefined;
  let released = false;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const record = { method: req.method ?? 'GET', path: req.url ?? '/', outcome: '' };
    requests.push(record);
    const rule = rules.find((r) => matches(r, req));
    if (rule) rule.hits++;
    const fault = rule?.fault;
    const body = await readBody(req);
    if (fault?.kind === 'hang') return void (record.outcome = 'hang');
    if (fault?.kind === 'hold' && !released) {
      record.outcome = 'held';
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        onHeld?.();
      });
    }
    if (fault?.kind === 'status') {
      record.outcome = String(fault.status);
      res.writeHead(fault.status, { ...(fault.body ? { 'content-type': 'application/json' } : {}), ...fault.headers });
      return void res.end(fault.body ?? '');
    }
    if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs));
    const answer = await forward(upstream, req, body);
    if (fault?.kind === 'lose') {
      answer.resume();
      answer.on('end', () => req.socket.destroy());
      return void (record.outcome = 'lost');
    }
    record.outcome = String(answer.statusCode);
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    if (fault?.kind === 'reset') {
      record.outcome = 'reset';
      res.flushHeaders();
      answer.once('data', (chunk: Buffer) => {
        res.write(chunk.subarray(0, Math.max(1, Math.floor(chunk.length / 2))));
        setImmediate(() => req.socket.destroy());
      });
      answer.once('end', () => req.socket.destroy());
      return;
    }
    answer.pipe(res);
  };
  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname === '/' ? '' : upstream.pathname.replace(/\/+$/, '')}`,
    requests,
    add: (rule) => rules.push({ ...rule, hits: 0 }),
    clear: () => void (rules.length = 0),
    held: () =>
      (holding ??= waiting.length
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            onHeld = resolve;
          })),
    release: () => {
      released = true;
      for (const resolve of waiting.splice(0)) resolve();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export type TcpFault = 'pass' | 'hang' | 'reset';

/** The same for PostgreSQL and Redis, at the TCP level: pass through, accept and never answer, or reset. */
export async function startTcpFaultProxy(upstreamPort: number, upstreamHost = '127.0.0.1'): Promise<{ port: number; fault: TcpFault; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const state = { fault: 'pass' as TcpFault };
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (state.fault === 'hang') return;
    if (state.fault === 'reset') return void client.resetAndDestroy();
    const upstream = net.connect(upstreamPort, upstreamHost);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    get fault() {
      return state.fault;
    },
    set fault(value: TcpFault) {
      state.fault = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A local address where nothing listens: connections are refused. */
export async function refusedUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
