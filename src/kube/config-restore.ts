import type { Logger } from '../core/logger.js';
import { KubeApiError, type KubeClient } from './client.js';
import {
  changedKeys,
  configPath,
  contentOf,
  lastWritten,
  listSnapshots,
  readConfig,
  referencedConfig,
  SNAPSHOT_HASH,
  SNAPSHOT_OF,
  SNAPSHOT_SOURCE,
  type Snapshot,
  shownValue,
  snapshotsSelected,
} from './config-snapshot.js';
import type { Revision } from './history.js';
import { hashOf } from './rollback-record.js';
import type { ConfigPlan } from './service-plan.js';

export type SnapshotLookup = (service: string, hash: string) => Promise<Snapshot[]>;

/** Every snapshot of a namespace from one list per kind: a fleet asks twice, not twice per service. */
export function namespaceSnapshots(client: KubeClient, namespace: string, signal?: AbortSignal): SnapshotLookup {
  // listed on the first question only: a run that asks none (a given plan) sends nothing and leaves nothing in flight
  let listed: Promise<Snapshot[]> | undefined;
  return async (service, hash) => {
    listed ??= snapshotsSelected(client, namespace, SNAPSHOT_OF, signal);
    return (await listed).filter((s) => s.metadata.labels?.[SNAPSHOT_OF] === service && s.metadata.labels?.[SNAPSHOT_HASH] === hash);
  };
}

/**
 * What a rollback to `target` does to configuration. With a snapshot of the target's template: each object
 * whose content differs, key by key (a Secret's values only as a hash). Without one: that configuration is
 * not rolled back, and which referenced objects were written after the target's revision was made.
 */
export async function planConfig(
  client: KubeClient,
  namespace: string,
  service: string,
  target: Revision,
  lookup: SnapshotLookup | undefined,
  signal: AbortSignal,
): Promise<ConfigPlan | undefined> {
  // a template that reads no ConfigMap or Secret has nothing a snapshot could hold: no request at all
  const refs = referencedConfig(target.replicaSet.spec.template);
  if (refs.length === 0) return undefined;
  const hash = hashOf(target);
  const snapshots = lookup ? await lookup(service, hash) : await listSnapshots(client, namespace, service, hash, signal);
  if (snapshots.length) {
    const restore = [];
    for (const snapshot of snapshots) {
      const name = snapshot.metadata.annotations?.[SNAPSHOT_SOURCE] ?? '';
      const live = await readConfig(client, namespace, { kind: snapshot.kind, name }, signal);
      const keys = changedKeys(live, snapshot);
      const [from, to] = [contentOf(live), contentOf(snapshot)];
      if (keys.length)
        restore.push({
          kind: snapshot.kind,
          name,
          snapshot: snapshot.metadata.name,
          keys: keys.map((key) => ({ key, from: shownValue(snapshot.kind, from[key]), to: shownValue(snapshot.kind, to[key]) })),
        });
    }
    return { snapshot: true, restore, 'changed-since': [] };
  }
  const changed: string[] = [];
  for (const ref of refs) {
    const live = await readConfig(client, namespace, ref, signal);
    const written = live ? lastWritten(live) : undefined;
    if (!live) changed.push(`${ref.kind}/${ref.name} (missing now)`);
    // whole seconds on both sides: written in the same second as the revision counts as changed (said rather than missed)
    else if (written && target.createdAt && written >= target.createdAt) changed.push(`${ref.kind}/${ref.name} (written ${written})`);
  }
  return { snapshot: false, restore: [], 'changed-since': changed };
}

/**
 * Puts the content of every snapshot of the target's template back into its live object, before the template
 * changes: the old code starts with its old configuration. The snapshots are found by the template's hash (what
 * the plan showed, read again by the writer, which may read Secrets where the planner could not). Idempotent:
 * content already equal is not written; a missing object is created.
 */
export async function restoreConfig(
  client: KubeClient,
  namespace: string,
  service: string,
  target: Revision,
  log: Logger,
  signal: AbortSignal,
): Promise<string[]> {
  const restored: string[] = [];
  // nothing referenced, nothing snapshotted: no request on the way to the patch
  if (referencedConfig(target.replicaSet.spec.template).length === 0) return restored;
  const hash = hashOf(target);
  for (const snapshot of await listSnapshots(client, namespace, service, hash, signal)) {
    const name = snapshot.metadata.annotations?.[SNAPSHOT_SOURCE] ?? '';
    const ref = { kind: snapshot.kind, name };
    for (let attempt = 1; ; attempt++) {
      const live = await readConfig(client, namespace, ref, signal);
      const keys = changedKeys(live, snapshot);
      if (live && keys.length === 0) break;
      const content = { data: snapshot.data ?? {}, binaryData: snapshot.binaryData ?? {} };
      try {
        if (live) await client.request('PUT', configPath(namespace, ref.kind, name), { body: { ...live, ...content }, signal });
        else
          await client.request('POST', configPath(namespace, ref.kind), {
            body: { apiVersion: 'v1', kind: ref.kind, metadata: { name }, ...content, ...(snapshot.type ? { type: snapshot.type } : {}) },
            signal,
          });
        restored.push(`${ref.kind}/${name}`);
        log.info(`  ${service}: restored ${ref.kind}/${name} from ${snapshot.metadata.name} (${keys.join(', ')})`);
        break;
      } catch (error) {
        // someone wrote it in between: read again and decide again (at most twice)
        if (!(error instanceof KubeApiError && error.code === 409) || attempt >= 3) throw error;
      }
    }
  }
  return restored;
}
