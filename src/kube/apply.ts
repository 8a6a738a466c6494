import { stringify } from 'yaml';
import { ConfigurationError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { lineDiff } from '../core/text-diff.js';
import { KubeApiError, type KubeClient } from './client.js';
import { type ManifestObject, objectKey, resourcePath } from './manifest.js';
import { waitForRollout } from './rollout-watch.js';
import { type Deployment, deploymentPath } from './types.js';

export const FIELD_MANAGER = 'keiko-rollback';

export async function readLive(client: KubeClient, object: ManifestObject, namespace: string): Promise<ManifestObject | undefined> {
  try {
    return await client.get<ManifestObject>(resourcePath(object, namespace, object.metadata.name));
  } catch (error) {
    if (error instanceof KubeApiError && error.code === 404) return undefined;
    throw error;
  }
}

/** What a person compares: labels, annotations and spec, as YAML. */
function comparable(object: ManifestObject | undefined): string {
  if (!object) return '';
  return stringify({ metadata: { labels: object.metadata.labels ?? {}, annotations: object.metadata.annotations ?? {} }, spec: object.spec ?? {} });
}

export function diffAgainstLive(desired: ManifestObject, live: ManifestObject | undefined): string {
  if (!live)
    return `+ ${objectKey(desired)} (new)\n${comparable(desired)
      .trimEnd()
      .split('\n')
      .map((l) => `+ ${l}`)
      .join('\n')}`;
  const wanted = {
    ...live,
    metadata: {
      ...live.metadata,
      labels: { ...live.metadata.labels, ...desired.metadata.labels },
      annotations: { ...live.metadata.annotations, ...desired.metadata.annotations },
    },
    spec: { ...(live.spec as object), ...(desired.spec as object) },
  };
  const lines = lineDiff(comparable(live).trimEnd(), comparable(wanted).trimEnd());
  return lines.some((l) => !l.startsWith('  ')) ? `~ ${objectKey(desired)}\n${lines.join('\n')}` : `= ${objectKey(desired)} (no change)`;
}

/** Server-side apply as field manager keiko-rollback; a conflict names the other manager. */
export async function applyObject(
  client: KubeClient,
  object: ManifestObject,
  namespace: string,
  options: { force: boolean; dryRun: boolean },
): Promise<ManifestObject> {
  try {
    return await client.request<ManifestObject>('PATCH', resourcePath(object, namespace, object.metadata.name), {
      body: JSON.stringify(object),
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: FIELD_MANAGER, ...(options.force ? { force: 'true' } : {}), ...(options.dryRun ? { dryRun: 'All' } : {}) },
    });
  } catch (error) {
    if (error instanceof KubeApiError && error.code === 409 && error.message.startsWith('Apply failed')) {
      throw new ConfigurationError(
        `is false and ${objectKey(object)} is owned by another field manager: ${error.message}. Set force: true to take those fields over`,
        'force',
      );
    }
    throw error;
  }
}

/**
 * Sends the gateway's env strategic merge patch (what `kubectl set env` sends); unless it is a dry
 * run, waits for the rollout and returns its final status line.
 */
export async function patchGatewayEnv(
  client: KubeClient,
  namespace: string,
  name: string,
  patch: object,
  options: { dryRun: boolean; signal?: AbortSignal; log: Logger },
): Promise<string | undefined> {
  const patched = await client.request<Deployment>('PATCH', deploymentPath(namespace, name), {
    body: patch,
    contentType: 'application/strategic-merge-patch+json',
    query: { fieldManager: FIELD_MANAGER, ...(options.dryRun ? { dryRun: 'All' } : {}) },
  });
  if (options.dryRun || !options.signal) return undefined;
  const outcome = await waitForRollout(client, patched, { signal: options.signal, log: options.log });
  if (outcome.state.failure) throw new Error(`the gateway rollout failed: ${outcome.state.failure}`);
  return outcome.state.message;
}
