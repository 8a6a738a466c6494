import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Reviewer {
  type: 'User' | 'Team';
  id: number;
}

interface Environment {
  id: number;
  name: string;
  wait_timer: number;
  prevent_self_review: boolean;
  reviewers: Reviewer[];
  deployment_branch_policy: { protected_branches: boolean; custom_branch_policies: boolean } | null;
}

export interface GitHubEmulator {
  url: string;
  adminToken: string;
  readToken: string;
  environments: Map<string, Environment>;
  deployments: { id: number; ref: string; environment: string; task: string; payload: unknown; statuses: { state: string; description?: string }[] }[];
  issues: { number: number; title: string; body: string; labels: string[] }[];
  requests: { method: string; path: string; status: number }[];
  close(): Promise<void>;
}

const USERS: Record<string, number> = { 'keiko-cto': 101, 'keiko-lead': 102, 'keiko-oncall': 103, octocat: 104 };
const TEAMS: Record<string, number> = { 'keiko/leads': 201, 'keiko/platform': 202, 'keiko/oncall': 203 };

/** The GitHub REST endpoints the workflow and `environments sync|check` use, with GitHub's documented shapes. */
export async function startGitHubEmulator(): Promise<GitHubEmulator> {
  const adminToken = `ghp_admin${Math.random().toString(36).slice(2)}`;
  const readToken = `ghp_read${Math.random().toString(36).slice(2)}`;
  const environments = new Map<string, Environment>();
  const deployments: GitHubEmulator['deployments'] = [];
  const issues: GitHubEmulator['issues'] = [];
  const requests: GitHubEmulator['requests'] = [];
  let nextId = 1000;

  const environmentJson = (env: Environment): object => {
    const rules: object[] = [];
    if (env.reviewers.length) {
      rules.push({
        id: env.id + 1,
        type: 'required_reviewers',
        prevent_self_review: env.prevent_self_review,
        reviewers: env.reviewers.map((r) => {
          if (r.type === 'User') return { type: 'User', reviewer: { login: Object.keys(USERS).find((k) => USERS[k] === r.id), id: r.id, type: 'User' } };
          const key = Object.keys(TEAMS).find((k) => TEAMS[k] === r.id) ?? '';
          return { type: 'Team', reviewer: { id: r.id, slug: key.split('/')[1], name: key.split('/')[1] } };
        }),
      });
    }
    if (env.wait_timer) rules.push({ id: env.id + 2, type: 'wait_timer', wait_timer: env.wait_timer });
    if (env.deployment_branch_policy) rules.push({ id: env.id + 3, type: 'branch_policy' });
    return { id: env.id, node_id: `EN_${env.id}`, name: env.name, url: '', html_url: '', created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', protection_rules: rules, deployment_branch_policy: env.deployment_branch_policy };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
    const send = (status: number, payload: object): void => {
      requests.push({ method, path: url.pathname, status });
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(payload));
    };
    const token = (req.headers.authorization ?? '').replace(/^(token|bearer)\s+/i, '');
    if (token !== adminToken && token !== readToken) return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    let m: RegExpExecArray | null;
    if (method === 'GET' && (m = /^\/users\/([^/]+)$/.exec(url.pathname))) {
      const id = USERS[m[1] ?? ''];
      return id ? send(200, { login: m[1], id, type: 'User' }) : send(404, { message: 'Not Found' });
    }
    if (method === 'GET' && (m = /^\/orgs\/([^/]+)\/teams\/([^/]+)$/.exec(url.pathname))) {
      const id = TEAMS[`${m[1]}/${m[2]}`];
      return id ? send(200, { id, slug: m[2], name: m[2] }) : send(404, { message: 'Not Found' });
    }
    if ((m = /^\/repos\/([^/]+)\/([^/]+)\/environments\/([^/]+)$/.exec(url.pathname))) {
      const key = `${m[1]}/${m[2]}/${m[3]}`;
      if (method === 'GET') {
        const env = environments.get(key);
        return env ? send(200, environmentJson(env)) : send(404, { message: 'Not Found' });
      }
      if (method === 'PUT') {
        if (token !== adminToken) return send(403, { message: 'Resource not accessible by integration' });
        const env: Environment = {
          id: environments.get(key)?.id ?? nextId++ * 10,
          name: m[3] ?? '',
          wait_timer: Number(body.wait_timer ?? 0),
          prevent_self_review: Boolean(body.prevent_self_review),
          reviewers: (body.reviewers as Reviewer[] | undefined) ?? [],
          deployment_branch_policy: (body.deployment_branch_policy as Environment['deployment_branch_policy']) ?? null,
        };
        environments.set(key, env);
        return send(200, environmentJson(env));
      }
    }
    if (method === 'POST' && (m = /^\/repos\/([^/]+)\/([^/]+)\/deployments$/.exec(url.pathname))) {
      const deployment = { id: nextId++, ref: String(body.ref), environment: String(body.environment), task: String(body.task ?? 'deploy'), payload: body.payload ?? {}, statuses: [] };
      deployments.push(deployment);
      return send(201, { ...deployment, statuses_url: '', sha: '0'.repeat(40) });
    }
    if (method === 'POST' && (m = /^\/repos\/([^/]+)\/([^/]+)\/deployments\/(\d+)\/statuses$/.exec(url.pathname))) {
      const deployment = deployments.find((d) => d.id === Number(m?.[3]));
      if (!deployment) return send(404, { message: 'Not Found' });
      const status = { state: String(body.state), description: body.description as string | undefined };
      deployment.statuses.push(status);
      return send(201, { id: nextId++, ...status, environment: body.environment });
    }
    if (method === 'POST' && (m = /^\/repos\/([^/]+)\/([^/]+)\/issues$/.exec(url.pathname))) {
      const issue = { number: issues.length + 1, title: String(body.title), body: String(body.body ?? ''), labels: (body.labels as string[]) ?? [] };
      issues.push(issue);
      return send(201, { ...issue, state: 'open', html_url: `https://github.com/${m[1]}/${m[2]}/issues/${issue.number}` });
    }
    send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
  };

  const server = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    adminToken,
    readToken,
    environments,
    deployments,
    issues,
    requests,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
