import type { Logger } from '../../core/logger.js';
import type { PhaseLog } from '../../core/phase-log.js';
import type { DnsProvider } from '../../dns/provider.js';
import { patchGatewayEnv } from '../../kube/apply.js';
import { KubeApiError, type KubeClient } from '../../kube/client.js';
import { envPatch } from '../../kube/env.js';
import { type ManifestObject, resourcePath } from '../../kube/manifest.js';
import { deleteState, type EnvValues, type RerouteState } from '../../kube/reroute-state.js';
import { type Deployment, deploymentPath } from '../../kube/types.js';
import { restoreDns } from './dns.js';

export interface RestoreOutcome {
  restored: string[];
  rollout: string | undefined;
  /** Values changed by hand during the incident, left as they are. */
  kept: string[];
}

/**
 * The variables to put back: each to its value before the reroute, except one someone changed by
 * hand since the reroute set it (kept, and said, unless `force`).
 */
export function gatewayRestore(live: Deployment, gateway: NonNullable<RerouteState['gateway']>, force: boolean): { wanted: EnvValues; kept: string[] } {
  const wanted: EnvValues = {};
  const kept: string[] = [];
  for (const container of live.spec.template.spec?.containers ?? []) {
    const previous = gateway.env[container.name];
    if (!previous) continue;
    wanted[container.name] = {};
    for (const [name, before] of Object.entries(previous)) {
      const now = container.env?.find((e) => e.name === name)?.value ?? null;
      const set = gateway.set?.[container.name]?.[name];
      if (!force && set !== undefined && now !== set && now !== before) {
        kept.push(
          `${name}=${now ?? '(unset)'} on container ${container.name} (changed by hand after the reroute set ${set}; force: true puts back ${before ?? '(unset)'})`,
        );
        continue;
      }
      (wanted[container.name] as Record<string, string | null>)[name] = before;
    }
  }
  return { wanted, kept };
}

/** Puts every object and variable of the snapshot back exactly, then forgets the snapshot. */
export async function restore(
  client: KubeClient,
  state: RerouteState,
  log: Logger,
  phases: PhaseLog,
  signal: AbortSignal,
  dns?: DnsProvider,
  force = false,
): Promise<RestoreOutcome> {
  const namespace = state.namespace;
  const restored: string[] = [];
  const kept: string[] = [];
  await phases.step('Restore objects', async () => {
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
    rollout = await phases.step(`Circuit breaker off on deployment/${gateway.deployment}`, async () => {
      const live = await client.get<Deployment>(deploymentPath(namespace, gateway.deployment));
      const plan = gatewayRestore(live, gateway, force);
      kept.push(...plan.kept);
      for (const note of plan.kept) log.warning(`kept ${note}`);
      const patch = envPatch(live, plan.wanted);
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
    const change = await phases.step(`DNS (${dns.name})`, () => restoreDns(dns, record));
    log.info(`DNS/${record.record}.${record.zone}: ${change}`);
    restored.push(`DNS/${record.record}.${record.zone}`);
  }
  await deleteState(client, namespace);
  return { restored, rollout, kept };
}
