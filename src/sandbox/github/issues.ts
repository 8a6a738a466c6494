/** Issues and issue comments as GitHub's REST API serves them (the subset the approval and the report use). */
export interface IssueComment {
  id: number;
  body: string;
  user: { login: string; type: 'User' | 'Bot' };
  created_at: string;
}

export interface Issue {
  number: number;
  title: string;
  body: string;
  labels: string[];
  state: 'open' | 'closed';
  comments: IssueComment[];
}

interface IssueRequest {
  method: string;
  url: URL;
  body: Record<string, unknown>;
  send: (status: number, payload?: object) => void;
  issues: Issue[];
  newId: () => number;
  /** The login GitHub shows for comments made with this token. */
  actor: string;
}

function issueJson(issue: Issue, repo: string): object {
  return {
    number: issue.number,
    title: issue.title,
    body: issue.body,
    state: issue.state,
    labels: issue.labels.map((name) => ({ name })),
    comments: issue.comments.length,
    html_url: `https://github.com/${repo}/issues/${issue.number}`,
  };
}

/** Serves one issues request; false when the path is not an issues path. */
export function handleIssues(request: IssueRequest): boolean {
  const { method, url, body, send, issues } = request;
  const list = /^\/repos\/([^/]+\/[^/]+)\/issues$/.exec(url.pathname);
  const one = /^\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)(\/comments)?$/.exec(url.pathname);
  if (list) {
    const repo = list[1] ?? '';
    if (method === 'POST') {
      const issue: Issue = {
        number: issues.length + 1,
        title: String(body.title),
        body: String(body.body ?? ''),
        labels: (body.labels as string[] | undefined) ?? [],
        state: 'open',
        comments: [],
      };
      issues.push(issue);
      send(201, issueJson(issue, repo));
      return true;
    }
    if (method === 'GET') {
      const state = url.searchParams.get('state') ?? 'open';
      const labels = (url.searchParams.get('labels') ?? '').split(',').filter(Boolean);
      const found = issues.filter((i) => (state === 'all' || i.state === state) && labels.every((l) => i.labels.includes(l)));
      send(
        200,
        [...found].reverse().map((i) => issueJson(i, repo)),
      );
      return true;
    }
  }
  if (!one) return false;
  const repo = one[1] ?? '';
  const issue = issues.find((i) => i.number === Number(one[2]));
  if (!issue) {
    send(404, { message: 'Not Found' });
    return true;
  }
  if (one[3] && method === 'GET') {
    send(
      200,
      issue.comments.map((c) => ({ ...c, html_url: `https://github.com/${repo}/issues/${issue.number}#issuecomment-${c.id}` })),
    );
    return true;
  }
  if (one[3] && method === 'POST') {
    const comment: IssueComment = {
      id: request.newId(),
      body: String(body.body ?? ''),
      user: { login: request.actor, type: 'Bot' },
      created_at: new Date().toISOString(),
    };
    issue.comments.push(comment);
    send(201, comment);
    return true;
  }
  if (method === 'PATCH') {
    if (body.state === 'open' || body.state === 'closed') issue.state = body.state;
    if (typeof body.body === 'string') issue.body = body.body;
    send(200, issueJson(issue, repo));
    return true;
  }
  if (method === 'GET') {
    send(200, issueJson(issue, repo));
    return true;
  }
  return false;
}
