import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openApiDocument, openApiRoot, VERSION_INFO } from './discovery.js';
import { FaultInjector } from './faults.js';
import { type ParsedRequest, ResourceHandlers } from './handlers.js';
import { apiGroupList, findResource, type ResourceType, resourceList } from './resources.js';
import { serveScale } from './scale.js';
import { conflict, StatusError, sendJson, sendStatus } from './status.js';
import type { ObjectStore } from './store.js';
import { toTable, wantsTable } from './table.js';
import type { KubeObject } from './types.js';
import { serveWatch } from './watch.js';

export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | undefined;
  /** The bearer token the client sent (to prove which credential a client used, e.g. one an exec plugin returned). */
  bearer: string | undefined;
  verb: string;
  resource: string | undefined;
  group: string | undefined;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
  status: number;
  /** When the request arrived and when its answer was sent (epoch ms; for a watch, when it ended): the bench's trace. */
  at: number;
  doneAt: number | undefined;
}

interface Route {
  type: ResourceType;
  namespace: string;
  name: string | undefined;
  subresource: string | undefined;
  rest: string[];
}

/** /api/v1/namespaces/ns/pods/name/status → the resource, namespace, name and subresource. */
function routeOf(segments: string[]): Route | undefined {
  let group = '';
  let version: string;
  let rest: string[];
  if (segments[0] === 'api') {
    version = segments[1] ?? '';
    rest = segments.slice(2);
  } else if (segments[0] === 'apis') {
    group = segments[1] ?? '';
    version = segments[2] ?? '';
    rest = segments.slice(3);
  } else return undefined;
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(group === '' && (rest[2] === 'status' || rest[2] === 'finalize'))) {
    namespace = rest[1] ?? '';
    rest = rest.slice(2);
  }
  const type = findResource(group, version, rest[0] ?? '');
  if (!type) return undefined;
  return { type, namespace, name: rest[1], subresource: rest[2], rest: rest.slice(3) };
}

function verbOf(method: string, route: Route | undefined, query: URLSearchParams): string {
  // the API server reads the flag with Go's strconv.ParseBool: the Python client sends "True"
  const watching = ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(query.get('watch') ?? '');
  switch (method) {
    case 'GET':
      return route?.name ? 'get' : watching ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return route?.name ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export interface KubeServer {
  server: http.Server;
  url: string;
  requests: RequestRecord[];
  faults: FaultInjector;
  serviceProxies: Map<string, string>;
  /** TCP connections clients opened: in all, open now, and the most open at once (the bench's connection count). */
  connections: { total: number; open: number; peak: number };
  close(): Promise<void>;
}

export async function startKubeServer(store: ObjectStore, options: { port?: number; host?: string; bookmarkIntervalMs?: number } = {}): Promise<KubeServer> {
  const handlers = new ResourceHandlers(store);
  const requests: RequestRecord[] = [];
  const faults = new FaultInjector();
  const serviceProxies = new Map<string, string>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const route = routeOf(segments);
    const method = req.method ?? 'GET';
    const verb = verbOf(method, route, url.searchParams);
    const record: RequestRecord = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: req.headers['content-type'],
      bearer: /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1],
      verb: route?.subresource === 'proxy' ? 'proxy' : verb,
      resource: route ? (route.subresource && route.subresource !== 'proxy' ? `${route.type.resource}/${route.subresource}` : route.type.resource) : undefined,
      group: route?.type.group,
      namespace: route?.namespace || undefined,
      name: route?.name,
      subresource: route?.subresource,
      status: 0,
      at: Date.now(),
      doneAt: undefined,
    };
    requests.push(record);
    res.on('finish', () => {
      record.status = res.statusCode;
      record.doneAt = Date.now();
    });
    const body = method === 'GET' || method === 'HEAD' ? '' : await readBody(req);

    const fault = faults.take(verb, url.pathname);
    if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault?.status === 409 && route) return sendStatus(res, conflict(route.type, route.name ?? ''));
    if (fault?.status) {
      const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { 'Retry-After': String(fault.retryAfterSeconds) } : {};
      const reason =
        fault.status === 429 ? 'TooManyRequests' : fault.status === 503 ? 'ServiceUnavailable' : fault.status === 403 ? 'Forbidden' : 'InternalError';
      const message =
        fault.status === 429
          ? 'Too many requests, please try again later.'
          : fault.status === 503
            ? 'the server is currently unable to handle the request'
            : fault.status === 403
              ? `${route?.type.resource ?? 'resource'} "${route?.name ?? ''}" is forbidden: User "keiko-rollback" cannot ${verb} resource "${route?.type.resource ?? ''}"`
              : 'an error on the server ("injected") has prevented the request from succeeding';
      return sendStatus(res, new StatusError(fault.status, reason, message, undefined, headers));
    }

    if (!route) return serveNonResource(url, res);
    const parsed: ParsedRequest = {
      method,
      type: route.type,
      namespace: route.namespace,
      name: route.name,
      subresource: route.subresource,
      query: url.searchParams,
      contentType: req.headers['content-type'] ?? '',
      userAgent: req.headers['user-agent'] ?? '',
      body,
    };
    if (route.subresource === 'proxy') return proxy(route, url, req, res, body);
    if (route.subresource === 'scale' && (route.type.resource === 'deployments' || route.type.resource === 'replicasets'))
      return sendJson(res, 200, serveScale(store, parsed));
    if (route.subresource && route.subresource !== 'status') throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    switch (verb) {
      case 'get': {
        const object = handlers.get(parsed);
        return sendJson(
          res,
          200,
          wantsTable(req.headers.accept) ? toTable(route.type, [object], String(store.currentRevision), url.searchParams.get('includeObject')) : object,
        );
      }
      case 'list': {
        const list = handlers.list(parsed) as { items: KubeObject[]; metadata: { resourceVersion: string } };
        return sendJson(
          res,
          200,
          wantsTable(req.headers.accept) ? toTable(route.type, list.items, list.metadata.resourceVersion, url.searchParams.get('includeObject')) : list,
        );
      }
      case 'watch':
        return serveWatch(store, parsed, res, {
          bookmarkIntervalMs: options.bookmarkIntervalMs ?? 1000,
          ...(fault?.dropWatchAfterEvents !== undefined ? { dropAfterEvents: fault.dropWatchAfterEvents } : {}),
        });
      case 'create': {
        const created = handlers.create(parsed);
        return sendJson(res, created.code, created.object);
      }
      case 'update':
        return sendJson(res, 200, handlers.update(parsed));
      case 'patch': {
        const patched = handlers.patch(parsed);
        if (fault?.loseResponse) return void res.socket?.destroy();
        return sendJson(res, patched.code, patched.object);
      }
      case 'delete':
        return sendJson(res, 200, handlers.delete(parsed));
      default:
        throw new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    }
  }

  // each branch answers and ends the request; the value returned is sendJson's (nothing)
  function serveNonResource(url: URL, res: ServerResponse) {
    const path = url.pathname.replace(/\/+$/, '');
    if (path === '/version') return sendJson(res, 200, VERSION_INFO);
    if (path === '/api')
      return sendJson(res, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${(server.address() as AddressInfo).port}` }],
      });
    if (path === '/apis') return sendJson(res, 200, apiGroupList());
    if (path === '/openapi/v3') return sendJson(res, 200, openApiRoot());
    const gv = /^\/(?:openapi\/v3\/)?(?:api\/(v1)|apis\/([^/]+)\/(v\d+(?:(?:alpha|beta)\d+)?))$/.exec(path);
    if (gv) {
      const group = gv[2] ?? '';
      const version = gv[1] ?? gv[3] ?? '';
      if (path.startsWith('/openapi/v3/')) return sendJson(res, 200, openApiDocument(group, version));
      return sendJson(res, 200, resourceList(group, version));
    }
    if (path === '/healthz' || path === '/readyz' || path === '/livez') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      return void res.end('ok');
    }
    sendStatus(res, new StatusError(404, 'NotFound', 'the server could not find the requested resource'));
  }

  async function proxy(route: Route, url: URL, req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const [service = '', port] = (route.name ?? '').split(':');
    const target = serviceProxies.get(`${route.namespace}/${service}:${port ?? ''}`) ?? serviceProxies.get(`${route.namespace}/${service}:`);
    if (!target) throw new StatusError(503, 'ServiceUnavailable', `no endpoints available for service "${route.name}"`);
    const forward = new URL(route.rest.map(encodeURIComponent).join('/') + url.search, target.endsWith('/') ? target : `${target}/`);
    const response = await fetch(forward, {
      method: req.method ?? 'GET',
      headers: { accept: req.headers.accept ?? '*/*', 'content-type': req.headers['content-type'] ?? 'text/plain' },
      ...(body ? { body } : {}),
    });
    const text = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, { 'Content-Type': response.headers.get('content-type') ?? 'application/octet-stream', 'Content-Length': text.length });
    res.end(text);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.end();
      if (error instanceof StatusError) return sendStatus(res, error);
      sendStatus(res, new StatusError(500, 'InternalError', `Internal error occurred: ${error instanceof Error ? error.message : String(error)}`));
    });
  });
  server.keepAliveTimeout = 60_000;
  const connections = { total: 0, open: 0, peak: 0 };
  server.on('connection', (socket) => {
    connections.total++;
    connections.peak = Math.max(connections.peak, ++connections.open);
    socket.on('close', () => connections.open--);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://${options.host ?? '127.0.0.1'}:${address.port}`,
    requests,
    faults,
    serviceProxies,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
