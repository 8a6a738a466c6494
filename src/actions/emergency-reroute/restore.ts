import type { Logger } from '../../core/logger.js';
import { KubeApiError, type KubeClient } from '../../kube/client.js';
import { envPatch } from '../../kube/env.js';
import { resourcePath, type ManifestObject } from '../../kube/manifest.js';
import { deploymentPath, type Deployment } from '../../kube/types.js';
import type { DnsProvider } from '../../dns/provider.js';
import { restoreDns } from './dns.js';
import { patchGatewayEnv } from './objects.js';
import { deleteState, type RerouteState } from './state.js';

export interface RestoreOutcome {
  restored: string[];
  rollout: string | undefined;
}

/** Puts every object and variable of the snapshot back exactly, then forgets the snapshot. */
export async function restore(client: KubeClient, state: RerouteState, log: Logger, signal: AbortSignal, dns?: DnsProvider): Promise<RestoreOutcome> {
  const namespace = state.namespace;
  const restored: string[] = [];
  await log.group('Restore objects', async () => {
    for (const snapshot of state.objects) {
      const path = resourcePath(snapshot, namespace, snapshot.name);
      const key = `${snapshot.kind}/${snapshot.name}`;
      if (!snapshot.existed) {
        try {
          await client.request('DELETE', path);
          log.info(`${key}: deleted (it did not exist before)`);
        } catch (error) {
          if (!(error instanceof KubeApiError && error.code === 404)) throw error;
          log.info(`${key}: already gone`);
        }
        restored.push(key);
        continue;
      }
      const live = await client.get<ManifestObject>(path);
      const previous = {
        apiVersion: snapshot.apiVersion,
        kind: snapshot.kind,
        metadata: { ...live.metadata, labels: snapshot.labels, annotations: snapshot.annotations },
        spec: snapshot.spec,
      };
      await client.request('PUT', path, { body: previous });
      log.info(`${key}: previous labels, annotations and spec put back`);
      restored.push(key);
    }
  });
  let rollout: string | undefined;
  if (state.gateway) {
    const gateway = state.gateway;
    rollout = await log.group(`Circuit breaker off on deployment/${gateway.deployment}`, async () => {
      const live = await client.get<Deployment>(deploymentPath(namespace, gateway.deployment));
      const patch = envPatch(live, gateway.env);
      if (!patch) {
        log.info('the variables already have their previous values');
        return undefined;
      }
      restored.push(`Deployment/${gateway.deployment}`);
      return patchGatewayEnv(client, namespace, gateway.deployment, patch, { dryRun: false, signal, log });
    });
  }
  if (state.dns && dns) {
    const record = state.dns;
    const change = await log.group(`DNS (${dns.name})`, () => restoreDns(dns, record));
    log.info(`DNS/${record.record}.${record.zone}: ${change}`);
    restored.push(`DNS/${record.record}.${record.zone}`);
  }
  await deleteState(client, namespace);
  return { restored, rollout };
}
