import { z } from 'zod';
import { ConfigurationError } from '../core/errors.js';
import { KubeApiError, type KubeClient } from './client.js';
import type { ObjectMeta } from './types.js';

/**
 * Argo CD's auto-sync undoes a rollback done behind its back (argo-cd#2441, #9570). `on-managed: suspend-sync`
 * turns off `spec.syncPolicy.automated` of the Application that tracks the deployment, remembering the policy in
 * an annotation on the Application; `mode: resume-sync` puts exactly that policy back.
 */
export const SUSPENDED_SYNC = 'rollback.keiko.io/suspended-sync';
const RECORD_VERSION = 1;
const MERGE_PATCH = 'application/merge-patch+json';

const recordSchema = z.object({
  version: z.literal(RECORD_VERSION),
  automated: z.record(z.string(), z.unknown()),
  by: z.string(),
  at: z.string(),
  /** The workload (`namespace/service`) the sync was suspended for: resume finds the Application by it, even when a rollback took the workload's tracking annotation away. */
  workload: z.string().optional(),
});
type SuspendRecord = z.infer<typeof recordSchema>;

interface Application {
  metadata: ObjectMeta;
  spec?: { syncPolicy?: { automated?: Record<string, unknown> | null; [key: string]: unknown } };
}

export function applicationPath(namespace: string, name: string): string {
  return `/apis/argoproj.io/v1alpha1/namespaces/${namespace}/applications/${name}`;
}

export async function readApplication(client: KubeClient, namespace: string, name: string, signal: AbortSignal): Promise<Application> {
  try {
    return await client.get<Application>(applicationPath(namespace, name), undefined, signal);
  } catch (error) {
    if (error instanceof KubeApiError && error.code === 404)
      throw new ConfigurationError(
        `names no Argo CD Application "${name}" in namespace "${namespace}": set argocd-namespace to where Argo CD keeps it`,
        'argocd-namespace',
      );
    throw error;
  }
}

function recordOf(app: Application): SuspendRecord | undefined {
  const text = app.metadata.annotations?.[SUSPENDED_SYNC];
  if (!text) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const parsed = recordSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ConfigurationError(
    `Argo CD Application ${app.metadata.name} has a ${SUSPENDED_SYNC} annotation this keiko-rollback cannot read (version ${RECORD_VERSION} expected); restore its sync policy by hand and remove the annotation`,
  );
}

export type SuspendOutcome = { status: 'suspended'; automated: Record<string, unknown> } | { status: 'not-automated' | 'already-suspended' };

/** Turns automated sync off, remembering the policy; a manual-sync Application, or one already suspended, is left alone. */
export async function suspendAutoSync(
  client: KubeClient,
  namespace: string,
  name: string,
  by: string,
  workload: string,
  signal: AbortSignal,
): Promise<SuspendOutcome> {
  const app = await readApplication(client, namespace, name, signal);
  const automated = app.spec?.syncPolicy?.automated;
  if (!automated) return { status: recordOf(app) ? 'already-suspended' : 'not-automated' };
  const record: SuspendRecord = { version: RECORD_VERSION, automated, by, at: new Date().toISOString(), workload };
  await client.request('PATCH', applicationPath(namespace, name), {
    body: {
      metadata: { resourceVersion: app.metadata.resourceVersion, annotations: { [SUSPENDED_SYNC]: JSON.stringify(record) } },
      spec: { syncPolicy: { automated: null } },
    },
    contentType: MERGE_PATCH,
    signal,
  });
  return { status: 'suspended', automated };
}

export type ResumeOutcome =
  | { status: 'resumed'; automated: Record<string, unknown> }
  | { status: 'nothing-suspended' }
  | { status: 'changed-since'; now: unknown };

/**
 * Puts back exactly the policy suspend remembered and removes the record. When someone turned automated sync on
 * again in between, nothing is written: their policy stays, and the outcome says so.
 */
export async function resumeAutoSync(client: KubeClient, namespace: string, name: string, signal: AbortSignal): Promise<ResumeOutcome> {
  const app = await readApplication(client, namespace, name, signal);
  const record = recordOf(app);
  if (!record) return { status: 'nothing-suspended' };
  const now = app.spec?.syncPolicy?.automated;
  if (now) return { status: 'changed-since', now };
  await client.request('PATCH', applicationPath(namespace, name), {
    body: {
      metadata: { resourceVersion: app.metadata.resourceVersion, annotations: { [SUSPENDED_SYNC]: null } },
      spec: { syncPolicy: { automated: record.automated } },
    },
    contentType: MERGE_PATCH,
    signal,
  });
  return { status: 'resumed', automated: record.automated };
}

/**
 * The Applications whose sync was suspended for `workload` (`namespace/service`), found by their records: the
 * rollback may have replaced the workload's annotations with its target revision's, tracking annotation included.
 */
export async function suspendedFor(client: KubeClient, namespace: string, workload: string, signal: AbortSignal): Promise<string[]> {
  const list = await client.get<{ items: Application[] }>(`/apis/argoproj.io/v1alpha1/namespaces/${namespace}/applications`, undefined, signal);
  return list.items.filter((app) => app.metadata.annotations?.[SUSPENDED_SYNC] && recordOf(app)?.workload === workload).map((app) => app.metadata.name);
}
