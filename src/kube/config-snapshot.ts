import { createHash } from 'node:crypto';
import { KubeApiError, type KubeClient } from './client.js';
import { codeUnitOrder, type List, type ObjectMeta, type PodTemplate } from './types.js';

/**
 * Configuration rolled back with the code: before a deploy, every ConfigMap and Secret the live pod template
 * reads is copied into an immutable object labelled with the deployment and its pod-template-hash; a rollback
 * to that template puts the copies' content back before the template itself. Secrets stay Secrets.
 */
export const SNAPSHOT_OF = 'rollback.keiko.io/snapshot-of';
export const SNAPSHOT_HASH = 'rollback.keiko.io/pod-template-hash';
export const SNAPSHOT_SOURCE = 'rollback.keiko.io/source';

export type ConfigKind = 'ConfigMap' | 'Secret';

export interface ConfigRef {
  kind: ConfigKind;
  name: string;
}

export interface ConfigObject {
  kind?: string;
  metadata: ObjectMeta & { managedFields?: { time?: string }[] };
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
  type?: string;
  immutable?: boolean;
}

type Source = { configMap?: { name?: string }; secret?: { name?: string; secretName?: string } };
interface Volume extends Source {
  secret?: { secretName?: string };
  projected?: { sources?: Source[] };
}
interface EnvSource {
  valueFrom?: { configMapKeyRef?: { name?: string }; secretKeyRef?: { name?: string } };
}
interface EnvFromSource {
  configMapRef?: { name?: string };
  secretRef?: { name?: string };
}

/** Every ConfigMap and Secret a pod template reads: env, envFrom, volumes and projected volumes, of every container. */
export function referencedConfig(template: PodTemplate): ConfigRef[] {
  const refs = new Map<string, ConfigRef>();
  const add = (kind: ConfigKind, name: string | undefined): void => {
    if (name) refs.set(`${kind}/${name}`, { kind, name });
  };
  const spec = template.spec ?? {};
  for (const container of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    for (const env of (container.env ?? []) as EnvSource[]) {
      add('ConfigMap', env.valueFrom?.configMapKeyRef?.name);
      add('Secret', env.valueFrom?.secretKeyRef?.name);
    }
    for (const from of (container.envFrom ?? []) as EnvFromSource[]) {
      add('ConfigMap', from.configMapRef?.name);
      add('Secret', from.secretRef?.name);
    }
  }
  for (const volume of (spec.volumes ?? []) as Volume[]) {
    add('ConfigMap', volume.configMap?.name);
    add('Secret', volume.secret?.secretName);
    for (const source of volume.projected?.sources ?? []) {
      add('ConfigMap', source.configMap?.name);
      add('Secret', source.secret?.name);
    }
  }
  return [...refs.values()].sort((a, b) => codeUnitOrder(`${a.kind}/${a.name}`, `${b.kind}/${b.name}`));
}

export function configPath(namespace: string, kind: ConfigKind, name?: string): string {
  return `/api/v1/namespaces/${namespace}/${kind === 'ConfigMap' ? 'configmaps' : 'secrets'}${name ? `/${name}` : ''}`;
}

/** The copy's name: `keiko-snap-<hash>-<source>`, within the 253 characters of a name. */
export function snapshotName(source: string, hash: string): string {
  return `keiko-snap-${hash}-${source}`.slice(0, 253).replace(/[-.]+$/, '');
}

/** A value as the plan may show it: a ConfigMap's as it is, a Secret's only as the start of its sha256. */
export function shownValue(kind: ConfigKind, value: string | undefined): string {
  if (value === undefined) return '(absent)';
  if (kind === 'ConfigMap') return value.length > 60 ? `${value.slice(0, 57)}…` : value;
  return `sha256:${createHash('sha256').update(value).digest('hex').slice(0, 12)}`;
}

export const contentOf = (o: ConfigObject | undefined): Record<string, string> => ({
  ...(o?.data ?? {}),
  ...Object.fromEntries(Object.entries(o?.binaryData ?? {}).map(([k, v]) => [`${k} (binary)`, v])),
});

/** The keys whose values differ between the live object and its snapshot (added, removed or changed). */
export function changedKeys(live: ConfigObject | undefined, snapshot: ConfigObject): string[] {
  const a = contentOf(live);
  const b = contentOf(snapshot);
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).sort();
}

export async function readConfig(client: KubeClient, namespace: string, ref: ConfigRef, signal?: AbortSignal): Promise<ConfigObject | undefined> {
  try {
    return await client.get<ConfigObject>(configPath(namespace, ref.kind, ref.name), undefined, signal);
  } catch (error) {
    if (error instanceof KubeApiError && error.code === 404) return undefined;
    throw error;
  }
}

export type Snapshot = ConfigObject & { kind: ConfigKind };

/** The snapshots (ConfigMaps and Secrets) a label selector picks, each marked with its kind. */
export async function snapshotsSelected(client: KubeClient, namespace: string, labelSelector: string, signal?: AbortSignal): Promise<Snapshot[]> {
  const lists = await Promise.all(
    (['ConfigMap', 'Secret'] as const).map((kind) =>
      client.get<List<ConfigObject>>(configPath(namespace, kind), { labelSelector }, signal).then((l) => l.items.map((o) => ({ ...o, kind }))),
    ),
  );
  return lists.flat();
}

/** The snapshots of one deployment (both kinds), optionally of one template. */
export function listSnapshots(client: KubeClient, namespace: string, service: string, hash?: string, signal?: AbortSignal): Promise<Snapshot[]> {
  return snapshotsSelected(client, namespace, `${SNAPSHOT_OF}=${service}${hash ? `,${SNAPSHOT_HASH}=${hash}` : ''}`, signal);
}

export interface SnapshotOutcome {
  ref: ConfigRef;
  snapshot: string;
  status: 'created' | 'replaced' | 'unchanged' | 'missing';
}

/**
 * Copies each referenced object into its immutable snapshot for `hash`. A snapshot already there with the
 * same content is kept; with other content (the configuration changed in place since) it is replaced.
 */
export async function snapshotConfig(
  client: KubeClient,
  namespace: string,
  service: string,
  hash: string,
  refs: ConfigRef[],
  signal: AbortSignal,
): Promise<SnapshotOutcome[]> {
  const outcomes: SnapshotOutcome[] = [];
  for (const ref of refs) {
    const name = snapshotName(ref.name, hash);
    const live = await readConfig(client, namespace, ref, signal);
    if (!live) {
      outcomes.push({ ref, snapshot: name, status: 'missing' });
      continue;
    }
    const copy = {
      apiVersion: 'v1',
      kind: ref.kind,
      metadata: {
        name,
        labels: { [SNAPSHOT_OF]: service, [SNAPSHOT_HASH]: hash, 'app.kubernetes.io/managed-by': 'keiko-rollback' },
        annotations: { [SNAPSHOT_SOURCE]: ref.name },
      },
      immutable: true,
      ...(live.data ? { data: live.data } : {}),
      ...(live.binaryData ? { binaryData: live.binaryData } : {}),
      ...(ref.kind === 'Secret' && live.type ? { type: live.type } : {}),
    };
    const existing = await readConfig(client, namespace, { kind: ref.kind, name }, signal);
    if (existing && changedKeys(live, existing).length === 0) {
      outcomes.push({ ref, snapshot: name, status: 'unchanged' });
      continue;
    }
    // immutable: a snapshot whose content is stale is deleted and made again
    if (existing) await client.request('DELETE', configPath(namespace, ref.kind, name), { signal });
    await client.request('POST', configPath(namespace, ref.kind), { body: copy, signal });
    outcomes.push({ ref, snapshot: name, status: existing ? 'replaced' : 'created' });
  }
  return outcomes;
}

/** Deletes the snapshots of templates the deployment no longer has a ReplicaSet for (pruned by revisionHistoryLimit). */
export async function pruneSnapshots(client: KubeClient, namespace: string, service: string, keptHashes: Set<string>, signal: AbortSignal): Promise<string[]> {
  const pruned: string[] = [];
  for (const snapshot of await listSnapshots(client, namespace, service, undefined, signal)) {
    const hash = snapshot.metadata.labels?.[SNAPSHOT_HASH] ?? '';
    if (keptHashes.has(hash)) continue;
    await client.request('DELETE', configPath(namespace, snapshot.kind, snapshot.metadata.name), { signal });
    pruned.push(`${snapshot.kind}/${snapshot.metadata.name}`);
  }
  return pruned;
}

/** The latest time any manager wrote the object (managedFields), to say what changed after a revision was made. */
export function lastWritten(object: ConfigObject): string | undefined {
  const times = (object.metadata.managedFields ?? []).map((f) => f.time).filter((t): t is string => Boolean(t));
  return times.sort().at(-1) ?? object.metadata.creationTimestamp;
}
