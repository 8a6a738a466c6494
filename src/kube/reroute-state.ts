import { z } from 'zod';
import { ConfigurationError } from '../core/errors.js';
import { KubeApiError, type KubeClient } from './client.js';
import type { ManifestObject } from './manifest.js';
import type { Container, PodTemplate } from './types.js';

export const STATE_CONFIGMAP = 'keiko-reroute-state';
export const STATE_VERSION = 1;

const envValues = z.record(z.string(), z.record(z.string(), z.string().nullable()));
export type EnvValues = z.infer<typeof envValues>;

const objectSnapshot = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  existed: z.boolean(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  spec: z.unknown().optional(),
});
export type ObjectSnapshot = z.infer<typeof objectSnapshot>;

const dnsRecord = z.object({ type: z.enum(['A', 'CNAME']), values: z.array(z.string()), ttl: z.number(), proxied: z.boolean().optional() });

/** What was there before the reroute (to put back exactly) and what the reroute set (to tell it from later changes). */
const stateSchema = z.object({
  version: z.literal(STATE_VERSION).optional(),
  takenAt: z.string(),
  takenBy: z.string(),
  namespace: z.string(),
  objects: z.array(objectSnapshot),
  gateway: z.object({ deployment: z.string(), env: envValues, set: envValues.optional() }).nullable(),
  dns: z.object({ provider: z.string(), zone: z.string(), record: z.string(), previous: dnsRecord.nullable() }).nullable().optional(),
});
export type RerouteState = z.infer<typeof stateSchema>;

const path = (namespace: string, name?: string): string => `/api/v1/namespaces/${namespace}/configmaps${name ? `/${name}` : ''}`;

/** The snapshot ConfigMap, checked against its schema: another version is a clear error, never a silent misread. */
export async function readState(client: KubeClient, namespace: string): Promise<RerouteState | undefined> {
  let cm: { data?: Record<string, string> };
  try {
    cm = await client.get<{ data?: Record<string, string> }>(path(namespace, STATE_CONFIGMAP));
  } catch (error) {
    if (error instanceof KubeApiError && error.code === 404) return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(cm.data?.['state.json'] ?? 'null');
  } catch {
    parsed = null;
  }
  const state = stateSchema.safeParse(parsed);
  if (state.success) return state.data;
  const version = (parsed as { version?: unknown } | null)?.version;
  throw new ConfigurationError(
    `ConfigMap ${namespace}/${STATE_CONFIGMAP} holds ${version !== undefined && version !== STATE_VERSION ? `a version ${JSON.stringify(version)} snapshot; this keiko-rollback reads version ${STATE_VERSION}` : 'an unreadable snapshot'}: restore with the version that wrote it, or inspect it with 'kubectl get configmap ${STATE_CONFIGMAP} -n ${namespace} -o yaml'`,
  );
}

function configMap(state: RerouteState): object {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: STATE_CONFIGMAP, namespace: state.namespace, labels: { 'app.kubernetes.io/managed-by': 'keiko-rollback' } },
    data: { 'state.json': JSON.stringify({ ...state, version: STATE_VERSION }, null, 2) },
  };
}

export async function writeState(client: KubeClient, state: RerouteState): Promise<void> {
  await client.request('POST', path(state.namespace), { body: configMap(state) });
}

export async function replaceState(client: KubeClient, state: RerouteState): Promise<void> {
  await client.request('PUT', path(state.namespace, STATE_CONFIGMAP), { body: configMap(state) });
}

export async function deleteState(client: KubeClient, namespace: string): Promise<void> {
  await client.request('DELETE', path(namespace, STATE_CONFIGMAP));
}

export function snapshotOf(manifest: ManifestObject, live: ManifestObject | undefined): ObjectSnapshot {
  const base = { apiVersion: manifest.apiVersion, kind: manifest.kind, name: manifest.metadata.name };
  if (!live) return { ...base, existed: false };
  return {
    ...base,
    existed: true,
    ...(live.metadata.labels ? { labels: live.metadata.labels } : {}),
    ...(live.metadata.annotations ? { annotations: live.metadata.annotations } : {}),
    spec: live.spec,
  };
}

/** The variables an active reroute set on `deployment`, per container; undefined when it changed nothing there. */
export function rerouteOverlay(state: RerouteState | undefined, deployment: string): EnvValues | undefined {
  if (!state?.gateway || state.gateway.deployment !== deployment || !state.gateway.set) return undefined;
  return state.gateway.set;
}

/** A pod template with the reroute's variables set as the reroute sets them (a rollback keeps an active reroute). */
export function withOverlay(template: PodTemplate, overlay: EnvValues | undefined): PodTemplate {
  if (!overlay) return template;
  const copy = structuredClone(template);
  for (const container of (copy.spec?.containers ?? []) as Container[]) {
    const wanted = overlay[container.name];
    if (!wanted) continue;
    const env = [...(container.env ?? [])];
    for (const [name, value] of Object.entries(wanted)) {
      const index = env.findIndex((e) => e.name === name);
      if (value === null) {
        if (index !== -1) env.splice(index, 1);
      } else if (index === -1) env.push({ name, value });
      else env[index] = { name, value };
    }
    container.env = env;
  }
  return copy;
}
