import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleIssues, type Issue, type IssueComment } from './issues.js';

interface Reviewer {
  type: 'User' | 'Team';
  id: number;
}

export interface BranchPolicy {
  id: number;
  name: string;
  type: 'branch' | 'tag';
}

export interface Environment {
  id: number;
  name: string;
  wait_timer: number;
  prevent_self_review: boolean;
  can_admins_bypass?: boolean;
  reviewers: Reviewer[];
  deployment_branch_policy: { protected_branches: boolean; custom_branch_policies: boolean } | null;
  branch_policies?: BranchPolicy[];
}

export interface Deployment {
  id: number;
  ref: string;
  environment: string;
  task: string;
  payload: unknown;
  created_at: string;
  statuses: { state: string; description?: string }[];
}

export interface GitHubEmulatorOptions {
  /** `free-private`: a private repository on GitHub Free/Pro/Team, where required reviewers answer 422. */
  plan?: 'enterprise' | 'free-private';
}

export interface GitHubEmulator {
  url: string;
  adminToken: string;
  readToken: string;
  environments: Map<string, Environment>;
  deployments: Deployment[];
  issues: Issue[];
  /** Members of each team (`org/slug` → logins). */
  teams: Map<string, string[]>;
  requests: { method: string; path: string; status: number }[];
  /** A comment on an issue, as the user `login` would write it in the web UI. */
  comment(issue: number, login: string, body: string): IssueComment;
  /** Resolves when an issue whose title contains `text` exists. */
  waitForIssue(text: string): Promise<Issue>;
  close(): Promise<void>;
}

const USERS: Record<string, number> = { 'keiko-cto': 101, 'keiko-lead': 102, 'keiko-oncall': 103, octocat: 104, 'keiko-dev': 105 };
const TEAMS: Record<string, number> = { 'keiko/leads': 201, 'keiko/platform': 202, 'keiko/oncall': 203 };

function environmentJson(env: Environment): object {
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
  return {
    id: env.id,
    node_id: `EN_${env.id}`,
    name: env.name,
    url: '',
    html_url: '',
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    can_admins_bypass: env.can_admins_bypass ?? true,
    protection_rules: rules,
    deployment_branch_policy: env.deployment_branch_policy,
  };
}

/** The GitHub REST endpoints the workflows and the CLI use, with GitHub's documented shapes. */
export async function startGitHubEmulator(options: GitHubEmulatorOptions = {}): Promise<GitHubEmulator> {
  const adminToken = `ghp_admin${Math.random().toString(36).slice(2)}`;
  const readToken = `ghp_read${Math.random().toString(36).slice(2)}`;
  const environments = new Map<string, Environment>();
  const deployments: Deployment[] = [];
  const issues: Issue[] = [];
  const teams = new Map<string, string[]>([
    ['keiko/leads', ['keiko-lead', 'keiko-cto']],
    ['keiko/oncall', ['keiko-oncall']],
    ['keiko/platform', ['keiko-lead', 'keiko-oncall', 'keiko-dev']],
  ]);
  const requests: GitHubEmulator['requests'] = [];
  const issueWaiters: { text: string; resolve: (issue: Issue) => void }[] = [];
  let nextId = 1000;
  const newId = (): number => nextId++;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
    const send = (status: number, payload?: object): void => {
      requests.push({ method, path: url.pathname, status });
      res.writeHead(status, payload ? { 'content-type': 'application/json; charset=utf-8' } : {});
      res.end(payload ? JSON.stringify(payload) : undefined);
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
    if (method === 'GET' && (m = /^\/orgs\/([^/]+)\/teams\/([^/]+)\/memberships\/([^/]+)$/.exec(url.pathname))) {
      // GitHub answers 404 both for "not a member" and for a token that may not read the organization
      if (token !== adminToken) return send(404, { message: 'Not Found' });
      return teams.get(`${m[1]}/${m[2]}`)?.includes(m[3] ?? '') ? send(200, { url: '', role: 'member', state: 'active' }) : send(404, { message: 'Not Found' });
    }
    if ((m = /^\/repos\/([^/]+)\/([^/]+)\/environments\/([^/]+)(\/deployment-branch-policies(?:\/(\d+))?)?$/.exec(url.pathname))) {
      const key = `${m[1]}/${m[2]}/${m[3]}`;
      const env = environments.get(key);
      if (m[4]) {
        if (!env) return send(404, { message: 'Not Found' });
        if (!env.deployment_branch_policy?.custom_branch_policies) return send(404, { message: 'Not Found' });
        const policies = (env.branch_policies ??= []);
        if (method === 'GET' && !m[5])
          return send(200, { total_count: policies.length, branch_policies: policies.map((p) => ({ ...p, node_id: `DBP_${p.id}` })) });
        if (token !== adminToken) return send(403, { message: 'Resource not accessible by integration' });
        if (method === 'POST' && !m[5]) {
          const policy: BranchPolicy = { id: newId(), name: String(body.name), type: body.type === 'tag' ? 'tag' : 'branch' };
          policies.push(policy);
          return send(200, { ...policy, node_id: `DBP_${policy.id}` });
        }
        if (method === 'DELETE' && m[5]) {
          env.branch_policies = policies.filter((p) => p.id !== Number(m?.[5]));
          return send(204);
        }
        return send(404, { message: 'Not Found' });
      }
      if (method === 'GET') return env ? send(200, environmentJson(env)) : send(404, { message: 'Not Found' });
      if (method === 'PUT') {
        if (token !== adminToken) return send(403, { message: 'Resource not accessible by integration' });
        const reviewers = (body.reviewers as Reviewer[] | undefined) ?? [];
        if (options.plan === 'free-private' && reviewers.length) {
          return send(422, {
            message: 'Validation Failed',
            errors: [
              {
                resource: 'ProtectionRule',
                code: 'custom',
                message: 'Failed to create the environment protection rule: required reviewers are not available for private repositories on this plan',
              },
            ],
            documentation_url: 'https://docs.github.com/rest/deployments/environments#create-or-update-an-environment',
          });
        }
        const next: Environment = {
          id: env?.id ?? newId() * 10,
          name: m[3] ?? '',
          wait_timer: Number(body.wait_timer ?? 0),
          prevent_self_review: Boolean(body.prevent_self_review),
          can_admins_bypass: body.can_admins_bypass === undefined ? true : Boolean(body.can_admins_bypass),
          reviewers,
          deployment_branch_policy: (body.deployment_branch_policy as Environment['deployment_branch_policy']) ?? null,
          branch_policies: env?.branch_policies ?? [],
        };
        environments.set(key, next);
        return send(200, environmentJson(next));
      }
    }
    if ((m = /^\/repos\/([^/]+)\/([^/]+)\/deployments$/.exec(url.pathname))) {
      if (method === 'GET') {
        const q = url.searchParams;
        const found = deployments.filter(
          (d) =>
            (!q.get('environment') || d.environment === q.get('environment')) &&
            (!q.get('task') || d.task === q.get('task')) &&
            (!q.get('ref') || d.ref === q.get('ref')),
        );
        return send(
          200,
          [...found].reverse().map((d) => ({
            id: d.id,
            ref: d.ref,
            environment: d.environment,
            task: d.task,
            payload: d.payload,
            created_at: d.created_at,
            sha: '0'.repeat(40),
          })),
        );
      }
      if (method === 'POST') {
        const deployment: Deployment = {
          id: newId(),
          ref: String(body.ref),
          environment: String(body.environment),
          task: String(body.task ?? 'deploy'),
          payload: body.payload ?? {},
          created_at: new Date().toISOString(),
          statuses: [],
        };
        deployments.push(deployment);
        return send(201, { ...deployment, statuses_url: '', sha: '0'.repeat(40) });
      }
    }
    if (method === 'POST' && (m = /^\/repos\/([^/]+)\/([^/]+)\/deployments\/(\d+)\/statuses$/.exec(url.pathname))) {
      const deployment = deployments.find((d) => d.id === Number(m?.[3]));
      if (!deployment) return send(404, { message: 'Not Found' });
      const status = { state: String(body.state), description: body.description as string | undefined };
      deployment.statuses.push(status);
      return send(201, { id: newId(), ...status, environment: body.environment });
    }
    const handled = handleIssues({ method, url, body, send, issues, newId, actor: token === adminToken ? 'keiko-rollback[bot]' : 'github-actions[bot]' });
    if (handled) {
      const created = issues.at(-1);
      for (const waiter of [...issueWaiters]) {
        const match = issues.find((i) => i.title.includes(waiter.text));
        if (match && created) {
          issueWaiters.splice(issueWaiters.indexOf(waiter), 1);
          waiter.resolve(match);
        }
      }
      return;
    }
    send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
  };

  // a bug of the emulator answers 500 with its message, so a test shows it instead of hanging on a dead socket
  const server = http.createServer(
    (req, res) =>
      void handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: `emulator error: ${error instanceof Error ? error.message : String(error)}` }));
      }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    adminToken,
    readToken,
    environments,
    deployments,
    issues,
    teams,
    requests,
    comment(number, login, body) {
      const issue = issues.find((i) => i.number === number);
      if (!issue) throw new Error(`no issue #${number}`);
      const comment: IssueComment = { id: newId(), body, user: { login, type: 'User' }, created_at: new Date().toISOString() };
      issue.comments.push(comment);
      return comment;
    },
    waitForIssue(text) {
      const found = issues.find((i) => i.title.includes(text));
      return found ? Promise.resolve(found) : new Promise((resolve) => issueWaiters.push({ text, resolve }));
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
