import { randomBytes } from 'node:crypto';
import type { AliasRequest } from '../../vercel/types.js';

export type ReadyState = 'QUEUED' | 'BUILDING' | 'READY' | 'ERROR' | 'CANCELED';

export interface Deployment {
  uid: string;
  name: string;
  url: string;
  createdAt: number;
  state: ReadyState;
  target: 'production' | null;
  meta: { githubCommitRef?: string; githubCommitSha?: string; githubCommitMessage?: string };
}

export type { AliasRequest };

export interface AliasStatus {
  alias: { alias: string; deploymentId: string };
  status: 'pending' | 'in-progress' | 'completed' | 'failed';
}

export interface VercelFixture {
  token?: string;
  team?: { id: string; slug: string };
  /**
   * A "northstar" account: the user's default team stands in for the personal account, so a call
   * without teamId or slug means that team (the Vercel CLI then sends none). Otherwise a team's
   * project is not found without its scope.
   */
  northstar?: boolean;
  plan?: 'hobby' | 'pro';
  project?: { id?: string; name?: string };
  domains?: string[];
  /** Production deployments, oldest first: the last READY one serves production. */
  deployments?: { ref: string; state?: ReadyState; message?: string }[];
  /** Time an alias job takes from pending to succeeded. */
  aliasJobMs?: number;
  buildMs?: number;
}

function id(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
}

/** The state of one Vercel team with one project, as the REST API exposes it. */
export class VercelState {
  readonly token: string;
  readonly team: { id: string; slug: string } | undefined;
  readonly northstar: boolean;
  readonly plan: 'hobby' | 'pro';
  readonly project: { id: string; name: string; autoAssignCustomDomains: boolean; productionId: string; lastAliasRequest: AliasRequest | null; repoId: number };
  readonly domains: string[];
  readonly deployments: Deployment[] = [];
  aliasStatuses: AliasStatus[] = [];
  /** When set, the next alias job fails for these domains. */
  failAliases: string[] = [];
  readonly aliasJobMs: number;
  readonly buildMs: number;

  constructor(fixture: VercelFixture = {}) {
    this.token = fixture.token ?? `vercel_${randomBytes(18).toString('hex')}`;
    this.team = fixture.team;
    this.northstar = Boolean(fixture.northstar && fixture.team);
    this.plan = fixture.plan ?? 'pro';
    this.domains = fixture.domains ?? ['keiko.com', 'www.keiko.com'];
    this.aliasJobMs = fixture.aliasJobMs ?? 600;
    this.buildMs = fixture.buildMs ?? 400;
    const name = fixture.project?.name ?? 'keiko-frontend';
    const start = Date.now() - 3 * 24 * 3600_000;
    const releases = fixture.deployments ?? [{ ref: 'v1.1.0' }, { ref: 'v1.2.0' }, { ref: 'v1.3.0' }];
    for (const [i, release] of releases.entries())
      this.deployments.push(this.newDeployment(name, release.ref, start + i * 3600_000, release.state ?? 'READY', release.message));
    const live = [...this.deployments].reverse().find((d) => d.state === 'READY');
    this.project = {
      id: fixture.project?.id ?? id('prj'),
      name,
      autoAssignCustomDomains: true,
      productionId: live?.uid ?? '',
      lastAliasRequest: null,
      repoId: 4242,
    };
  }

  newDeployment(name: string, ref: string, createdAt: number, state: ReadyState, message?: string): Deployment {
    const suffix = randomBytes(5).toString('hex').slice(0, 9);
    return {
      uid: id('dpl'),
      name,
      url: `${name}-${suffix}-${this.team?.slug ?? 'keiko'}.vercel.app`,
      createdAt,
      state,
      target: 'production',
      meta: { githubCommitRef: ref, githubCommitSha: randomBytes(20).toString('hex'), githubCommitMessage: message ?? `release ${ref}` },
    };
  }

  find(idOrUrl: string): Deployment | undefined {
    const bare = idOrUrl.replace(/^https?:\/\//, '').replace(/\/$/, '');
    return this.deployments.find((d) => d.uid === bare || d.url === bare);
  }

  production(): Deployment | undefined {
    return this.deployments.find((d) => d.uid === this.project.productionId);
  }

  /**
   * Where each production domain points. A domain moves when its alias job step completes; the
   * project's production moves only when every domain did (a partly failed job leaves the ones
   * that moved where they are, and says so in the alias list, as Vercel does).
   */
  readonly aliasTargets = new Map<string, string>();

  aliasTarget(domain: string): string | undefined {
    return this.aliasTargets.get(domain) ?? this.project.productionId;
  }

  /** Moves the production domains to `to` over aliasJobMs, as an alias job. */
  startAliasJob(type: 'rollback' | 'promote', to: Deployment): void {
    const request: AliasRequest = { fromDeploymentId: this.project.productionId, toDeploymentId: to.uid, jobStatus: 'pending', requestedAt: Date.now(), type };
    this.project.lastAliasRequest = request;
    if (type === 'rollback') this.project.autoAssignCustomDomains = false;
    const failing = this.failAliases;
    this.failAliases = [];
    this.aliasStatuses = this.domains.map((alias) => ({ alias: { alias, deploymentId: to.uid }, status: 'pending' }));
    setTimeout(() => {
      request.jobStatus = 'in-progress';
      for (const s of this.aliasStatuses) s.status = 'in-progress';
    }, this.aliasJobMs / 2).unref();
    setTimeout(() => {
      for (const s of this.aliasStatuses) {
        s.status = failing.includes(s.alias.alias) ? 'failed' : 'completed';
        if (s.status === 'completed') this.aliasTargets.set(s.alias.alias, to.uid);
      }
      request.jobStatus = failing.length ? 'failed' : 'succeeded';
      if (!failing.length) {
        this.project.productionId = to.uid;
        if (type === 'promote') this.project.autoAssignCustomDomains = true;
      }
    }, this.aliasJobMs).unref();
  }

  /** A new production build from a Git ref: QUEUED → BUILDING → READY; goes live only when domains auto-assign. */
  startBuild(ref: string): Deployment {
    const deployment = this.newDeployment(this.project.name, ref, Date.now(), 'QUEUED');
    this.deployments.push(deployment);
    setTimeout(() => (deployment.state = 'BUILDING'), this.buildMs / 2).unref();
    setTimeout(() => {
      deployment.state = 'READY';
      if (this.project.autoAssignCustomDomains) this.project.productionId = deployment.uid;
    }, this.buildMs).unref();
    return deployment;
  }
}
