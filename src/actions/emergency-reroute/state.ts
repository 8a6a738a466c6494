import { KubeApiError, type KubeClient } from '../../kube/client.js';
import type { DnsRecord } from '../../dns/provider.js';
import type { EnvSnapshot } from '../../kube/env.js';
import type { ManifestObject } from '../../kube/manifest.js';

export const STATE_CONFIGMAP = 'keiko-reroute-state';

export interface ObjectSnapshot {
  apiVersion: string;
  kind: string;
  name: string;
  existed: boolean;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  spec?: unknown;
}

/** What was there before the reroute: enough to put every object and variable back exactly. */
export interface RerouteState {
  takenAt: string;
  takenBy: string;
  namespace: string;
  objects: ObjectSnapshot[];
  gateway: { deployment: string; env: EnvSnapshot } | null;
  /** The DNS record before the switch (null: it did not exist). */
  dns?: { provider: string; zone: string; record: string; previous: DnsRecord | null } | null;
}

const path = (namespace: string, name?: string): string => `/api/v1/namespaces/${namespace}/configmaps${name ? `/${name}` : ''}`;

export async function readState(client: KubeClient, namespace: string): Promise<RerouteState | undefined> {
  try {
    const cm = await client.get<{ data?: Record<string, string> }>(path(namespace, STATE_CONFIGMAP));
    return JSON.parse(cm.data?.['state.json'] ?? 'null') as RerouteState;
  } catch (error) {
    if (error instanceof KubeApiError && error.code === 404) return undefined;
    throw error;
  }
}

export async function writeState(client: KubeClient, state: RerouteState): Promise<void> {
  await client.request('POST', path(state.namespace), {
    body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: STATE_CONFIGMAP, namespace: state.namespace, labels: { 'app.kubernetes.io/managed-by': 'keiko-rollback' } }, data: { 'state.json': JSON.stringify(state, null, 2) } },
  });
}

export async function deleteState(client: KubeClient, namespace: string): Promise<void> {
  await client.request('DELETE', path(namespace, STATE_CONFIGMAP));
}

export function snapshotOf(manifest: ManifestObject, live: ManifestObject | undefined): ObjectSnapshot {
  const base = { apiVersion: manifest.apiVersion, kind: manifest.kind, name: manifest.metadata.name };
  if (!live) return { ...base, existed: false };
  return { ...base, existed: true, ...(live.metadata.labels ? { labels: live.metadata.labels } : {}), ...(live.metadata.annotations ? { annotations: live.metadata.annotations } : {}), spec: live.spec };
}
