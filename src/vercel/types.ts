export interface VercelDeployment {
  id: string;
  url: string;
  name?: string;
  createdAt: number;
  readyState: string;
  target: string | null;
  projectId?: string;
  meta?: { githubCommitRef?: string; githubCommitSha?: string; githubCommitMessage?: string };
}

export interface ListedDeployment {
  uid: string;
  url: string;
  createdAt: number;
  state?: string;
  readyState?: string;
  target?: string | null;
  meta?: VercelDeployment['meta'];
  isRollbackCandidate?: boolean;
}

export interface AliasRequest {
  fromDeploymentId: string;
  toDeploymentId: string;
  jobStatus: 'pending' | 'in-progress' | 'succeeded' | 'failed' | 'skipped';
  requestedAt: number;
  type: 'rollback' | 'promote';
}

export interface VercelProject {
  id: string;
  name: string;
  autoAssignCustomDomains?: boolean;
  link?: { type: string; repoId?: number; org?: string; repo?: string; productionBranch?: string };
  targets?: { production?: { id: string; url?: string; alias?: string[] } };
  lastAliasRequest?: AliasRequest | null;
}

export interface AliasStatus {
  alias: { alias: string; deploymentId: string };
  status: string;
}

export function fromListed(d: ListedDeployment): VercelDeployment {
  return {
    id: d.uid,
    url: d.url,
    createdAt: d.createdAt,
    readyState: d.readyState ?? d.state ?? '',
    target: d.target ?? null,
    ...(d.meta ? { meta: d.meta } : {}),
  };
}
