import type { VercelState } from './state.js';

/**
 * What the real Vercel CLI asks before any command (`GET /v2/user`, the team of `--scope`) and the
 * list endpoints of `project ls` and `alias ls`, with the REST API's documented shapes.
 */
const CREATED = Date.parse('2024-01-15T09:00:00Z');
const USER_ID = 'user_keikooncall0000000001';

function user(state: VercelState): object {
  return {
    user: {
      id: USER_ID,
      email: 'oncall@keiko.com',
      name: 'Keiko On-call',
      username: 'keiko-oncall',
      avatar: null,
      createdAt: CREATED,
      defaultTeamId: state.northstar ? (state.team?.id ?? null) : null,
      version: state.northstar ? 'northstar' : null,
      softBlock: null,
      billing: { plan: state.plan, period: null, trial: null, cancelation: null, addons: null },
      resourceConfig: {},
      stagingPrefix: 'keiko-oncall',
      hasTrialAvailable: false,
    },
  };
}

function team(state: VercelState): object | undefined {
  if (!state.team) return undefined;
  return {
    id: state.team.id,
    slug: state.team.slug,
    name: state.team.slug,
    avatar: null,
    createdAt: CREATED,
    creatorId: USER_ID,
    updatedAt: CREATED,
    membership: {
      confirmed: true,
      confirmedAt: CREATED,
      role: 'OWNER',
      uid: USER_ID,
      createdAt: CREATED,
      created: CREATED,
      accessRequestedAt: null,
      teamId: state.team.id,
    },
    billing: { plan: state.plan },
  };
}

const page = (count: number): object => ({ count, next: null, prev: null });

/** Answers the account routes, or undefined when the path is not one of them. */
export function accountRoute(state: VercelState, method: string, url: URL, projectJson: () => object): { status: number; body: object } | undefined {
  const path = url.pathname;
  if (method !== 'GET') return undefined;
  if (path === '/v2/user' || path === '/www/user') return { status: 200, body: user(state) };
  if (/^\/(?:v\d+\/)?teams$/.test(path)) {
    const found = team(state);
    return { status: 200, body: { teams: found ? [found] : [], pagination: page(found ? 1 : 0) } };
  }
  const teamMatch = /^\/(?:v\d+\/)?teams\/([^/]+)$/.exec(path);
  if (teamMatch) {
    const wanted = decodeURIComponent(teamMatch[1] ?? '');
    const found = state.team && (wanted === state.team.id || wanted === state.team.slug) ? team(state) : undefined;
    // the API answers 403 for a team the token cannot see, whether it exists or not
    return found ? { status: 200, body: found } : { status: 403, body: { error: { code: 'forbidden', message: 'Not authorized' } } };
  }
  if (path === '/v9/projects' || path === '/v10/projects') return { status: 200, body: { projects: [projectJson()], pagination: page(1) } };
  if (path === '/v3/now/aliases' || path === '/v4/aliases') {
    const aliases = state.domains.flatMap((alias) => {
      const target = state.deployments.find((d) => d.uid === state.aliasTarget(alias));
      return target
        ? [
            {
              uid: `alias_${alias.replace(/\W/g, '')}`,
              alias,
              deployment: { id: target.uid, url: target.url },
              deploymentId: target.uid,
              projectId: state.project.id,
              createdAt: target.createdAt,
              updatedAt: target.createdAt,
              created: new Date(target.createdAt).toISOString(),
            },
          ]
        : [];
    });
    return { status: 200, body: { aliases, pagination: page(aliases.length) } };
  }
  return undefined;
}
