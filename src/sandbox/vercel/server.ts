import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { accountRoute } from './account.js';
import { type Deployment, type VercelFixture, VercelState } from './state.js';

export interface VercelRequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  authorization: string | undefined;
}

export interface VercelFault {
  method?: string;
  path?: string | RegExp;
  status: 409 | 429 | 500 | 503;
  /** For 429: seconds until X-RateLimit-Reset. */
  resetSeconds?: number;
  times?: number;
}

export interface VercelEmulator {
  url: string;
  token: string;
  state: VercelState;
  requests: VercelRequestRecord[];
  fault(fault: VercelFault): void;
  close(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body?: object, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}), ...headers });
  res.end(text);
}

function deploymentV6(d: Deployment, state: VercelState): object {
  const creator = { uid: 'user_keikooncall0000000001', username: 'keiko-oncall', email: 'oncall@keiko.com' };
  return {
    uid: d.uid,
    name: d.name,
    url: d.url,
    created: d.createdAt,
    createdAt: d.createdAt,
    buildingAt: d.createdAt,
    ready: d.state === 'READY' ? d.createdAt + 30_000 : null,
    state: d.state,
    readyState: d.state,
    type: 'LAMBDAS',
    creator,
    target: d.target,
    meta: d.meta,
    projectId: state.project.id,
    inspectorUrl: `https://vercel.com/${state.team?.slug ?? 'keiko-oncall'}/${d.name}/${d.uid.replace(/^dpl_/, '')}`,
    isRollbackCandidate: d.state === 'READY' && d.target === 'production',
  };
}

function deploymentV13(d: Deployment, state: VercelState): object {
  return {
    id: d.uid,
    name: d.name,
    url: d.url,
    createdAt: d.createdAt,
    readyState: d.state,
    target: d.target,
    projectId: state.project.id,
    meta: d.meta,
    alias: state.domains.filter((domain) => state.aliasTarget(domain) === d.uid),
    ownerId: state.team?.id ?? 'user_keiko',
    ...(state.team ? { team: { id: state.team.id, slug: state.team.slug, name: state.team.slug } } : {}),
  };
}

function projectJson(state: VercelState): object {
  const production = state.production();
  const p = state.project;
  return {
    id: p.id,
    name: p.name,
    accountId: state.team?.id ?? 'user_keiko',
    createdAt: state.deployments[0]?.createdAt ?? Date.now(),
    updatedAt: production?.createdAt ?? Date.now(),
    nodeVersion: '22.x',
    framework: 'nextjs',
    latestDeployments: production
      ? [{ id: production.uid, url: production.url, createdAt: production.createdAt, readyState: production.state, target: production.target }]
      : [],
    autoAssignCustomDomains: p.autoAssignCustomDomains,
    link: { type: 'github', org: 'keiko', repo: 'frontend', repoId: p.repoId, productionBranch: 'main' },
    targets: production
      ? {
          production: {
            id: production.uid,
            url: production.url,
            alias: state.domains,
            aliasAssigned: production.createdAt,
            readyState: production.state,
            createdAt: production.createdAt,
            meta: production.meta,
          },
        }
      : {},
    lastAliasRequest: p.lastAliasRequest,
    lastRollbackTarget: null,
  };
}

/** The endpoints keiko-rollback (and the Vercel CLI's rollback/promote) use, with the REST API's shapes and rules. */
function route(state: VercelState, method: string, url: URL, body: string): { status: number; body?: object } {
  const path = url.pathname;
  const project = (idOrName: string): void => {
    if (idOrName !== state.project.id && idOrName !== state.project.name) throw new ApiError(404, 'not_found', 'Project not found');
  };
  let m: RegExpExecArray | null;
  if (method === 'GET' && (m = /^\/v9\/projects\/([^/]+)$/.exec(path))) {
    project(decodeURIComponent(m[1] ?? ''));
    return { status: 200, body: projectJson(state) };
  }
  if (method === 'GET' && path === '/v6/deployments') {
    const projectId = url.searchParams.get('projectId');
    if (projectId) project(projectId);
    const target = url.searchParams.get('target');
    const until = Number(url.searchParams.get('until') ?? Number.MAX_SAFE_INTEGER);
    const limit = Math.min(100, Number(url.searchParams.get('limit') ?? 20));
    const all = state.deployments.filter((d) => (!target || d.target === target) && d.createdAt < until).sort((a, b) => b.createdAt - a.createdAt);
    const page = all.slice(0, limit);
    const last = page[page.length - 1];
    return {
      status: 200,
      body: {
        deployments: page.map((d) => deploymentV6(d, state)),
        pagination: { count: page.length, next: all.length > limit && last ? last.createdAt : null, prev: null },
      },
    };
  }
  if (method === 'GET' && (m = /^\/v13\/deployments\/(.+)$/.exec(path))) {
    const found = state.find(decodeURIComponent(m[1] ?? ''));
    if (!found) throw new ApiError(404, 'not_found', 'The deployment could not be found.');
    return { status: 200, body: deploymentV13(found, state) };
  }
  if (method === 'POST' && (m = /^\/v(?:1|9)\/projects\/([^/]+)\/rollback\/([^/]+)$/.exec(path))) {
    project(decodeURIComponent(m[1] ?? ''));
    const to = state.find(decodeURIComponent(m[2] ?? ''));
    if (!to) throw new ApiError(404, 'not_found', 'Deployment not found');
    if (to.uid === state.project.productionId)
      throw new ApiError(409, 'conflict', 'Cannot roll back to the current production deployment: it is already the current deployment');
    if (to.state !== 'READY' || to.target !== 'production')
      throw new ApiError(400, 'bad_request', `Deployment ${to.uid} is not a READY production deployment and cannot be a rollback candidate`);
    if (state.plan === 'hobby') {
      const older = state.deployments
        .filter((d) => d.state === 'READY' && d.target === 'production' && d.createdAt < (state.production()?.createdAt ?? 0))
        .sort((a, b) => b.createdAt - a.createdAt);
      if (older[0]?.uid !== to.uid) throw new ApiError(402, 'plan_limit', 'To roll back further than the previous production deployment, upgrade to pro');
    }
    state.startAliasJob('rollback', to);
    return { status: 201 };
  }
  if (method === 'POST' && (m = /^\/v10\/projects\/([^/]+)\/promote\/([^/]+)$/.exec(path))) {
    project(decodeURIComponent(m[1] ?? ''));
    const to = state.find(decodeURIComponent(m[2] ?? ''));
    if (!to) throw new ApiError(404, 'not_found', 'Deployment not found');
    if (to.state !== 'READY') throw new ApiError(400, 'bad_request', `Deployment ${to.uid} is not READY`);
    state.startAliasJob('promote', to);
    return { status: 201 };
  }
  if (method === 'GET' && (m = /^\/v9\/projects\/([^/]+)\/(rollback|promote)\/aliases$/.exec(path))) {
    project(decodeURIComponent(m[1] ?? ''));
    const failedOnly = url.searchParams.get('failedOnly') === 'true';
    return { status: 200, body: { aliases: state.aliasStatuses.filter((a) => !failedOnly || a.status === 'failed'), pagination: null } };
  }
  if (method === 'POST' && path === '/v13/deployments') {
    const request = JSON.parse(body || '{}') as { name?: string; project?: string; target?: string; gitSource?: { ref?: string; repoId?: number } };
    project(request.project ?? request.name ?? '');
    if (!request.gitSource?.ref) throw new ApiError(400, 'bad_request', 'gitSource.ref is required');
    if (request.gitSource.repoId !== state.project.repoId) throw new ApiError(400, 'incorrect_git_source_info', 'The repository is not linked to this project');
    return { status: 200, body: deploymentV13(state.startBuild(request.gitSource.ref), state) };
  }
  const account = accountRoute(state, method, url, () => projectJson(state));
  if (account) return account;
  throw new ApiError(404, 'not_found', `The requested path was not found: ${method} ${path}`);
}

export async function startVercelEmulator(fixture: VercelFixture = {}, port = 0): Promise<VercelEmulator> {
  const state = new VercelState(fixture);
  const requests: VercelRequestRecord[] = [];
  const faults: (VercelFault & { remaining: number })[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const record: VercelRequestRecord = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
      authorization: req.headers.authorization,
    };
    requests.push(record);
    res.on('finish', () => (record.status = res.statusCode));
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const fault = faults.find(
      (f) =>
        f.remaining > 0 &&
        (!f.method || f.method === method) &&
        (!f.path || (f.path instanceof RegExp ? f.path.test(url.pathname) : url.pathname.includes(f.path))),
    );
    if (fault) {
      fault.remaining--;
      const reset = Math.ceil(Date.now() / 1000) + (fault.resetSeconds ?? 1);
      const headers: Record<string, string> =
        fault.status === 429 ? { 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) } : {};
      const error =
        fault.status === 409
          ? { code: 'conflict', message: 'Cannot roll back: the deployment is already the current deployment' }
          : fault.status === 429
            ? { code: 'rate_limited', message: 'Rate limit exceeded' }
            : { code: 'internal_server_error', message: 'An unexpected internal error occurred' };
      return send(res, fault.status, { error }, headers);
    }
    // as Vercel does: a bad token is 403 with invalidToken, which is what the Vercel CLI looks for
    if (req.headers.authorization !== `Bearer ${state.token}`)
      return send(res, 403, { error: { code: 'forbidden', message: 'Not authorized', invalidToken: true } });
    const teamId = url.searchParams.get('teamId');
    const slug = url.searchParams.get('slug');
    if ((teamId && teamId !== state.team?.id) || (slug && slug !== state.team?.slug)) {
      return send(res, 403, { error: { code: 'forbidden', message: "You don't have permission to access this resource." } });
    }
    if (state.team && !state.northstar && !teamId && !slug && url.pathname.includes('/projects/'))
      return send(res, 404, { error: { code: 'not_found', message: 'Project not found' } });
    try {
      const result = route(state, method, url, Buffer.concat(chunks).toString('utf8'));
      send(res, result.status, result.body);
    } catch (error) {
      if (error instanceof ApiError) return send(res, error.status, { error: { code: error.code, message: error.message } });
      send(res, 500, { error: { code: 'internal_server_error', message: String(error) } });
    }
  };
  const server = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token: state.token,
    state,
    requests,
    fault: (f) => faults.push({ ...f, remaining: f.times ?? 1 }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
