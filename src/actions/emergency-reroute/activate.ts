import type { ActionContext } from '../../core/action.js';
import type { KubeClient } from '../../kube/client.js';
import { envPatch, envSnapshot } from '../../kube/env.js';
import { objectKey, type ManifestObject } from '../../kube/manifest.js';
import type { Deployment } from '../../kube/types.js';
import type { DnsProvider } from '../../dns/provider.js';
import { switchDns } from './dns.js';
import type { EmergencyRerouteInputs } from './inputs.js';
import { applyObject, patchGatewayEnv, readLive } from './objects.js';
import { readState, snapshotOf, writeState, type RerouteState } from './state.js';

export const CIRCUIT_BREAKER_VARS = ['CIRCUIT_BREAKER_ENABLED', 'FAILURE_THRESHOLD'];

export interface RerouteOutcome {
  applied: string[];
  unchanged: string[];
  state: RerouteState;
  stateKept: boolean;
  rollout: string | undefined;
}

export function circuitBreakerValues(gateway: Deployment, threshold: number): Record<string, Record<string, string>> {
  return Object.fromEntries((gateway.spec.template.spec?.containers ?? []).map((c) => [c.name, { CIRCUIT_BREAKER_ENABLED: 'true', FAILURE_THRESHOLD: String(threshold) }]));
}

/** Snapshot first (kept if one exists), then apply the manifest and the circuit breaker, then wait for the gateway. */
export async function activate(client: KubeClient, inputs: EmergencyRerouteInputs, namespace: string, objects: ManifestObject[], gateway: Deployment | undefined, context: ActionContext, signal: AbortSignal, dns?: DnsProvider): Promise<RerouteOutcome> {
  const { log } = context;
  const existing = await readState(client, namespace);
  const state: RerouteState = existing ?? {
    takenAt: new Date().toISOString(),
    takenBy: context.runId,
    namespace,
    objects: await Promise.all(objects.map(async (o) => snapshotOf(o, await readLive(client, o, namespace)))),
    gateway: gateway ? { deployment: gateway.metadata.name, env: envSnapshot(gateway, CIRCUIT_BREAKER_VARS) } : null,
    dns: dns ? { provider: dns.name, zone: inputs['dns-zone'] ?? '', record: inputs['dns-record'] ?? '', previous: (await dns.read(inputs['dns-zone'] ?? '', inputs['dns-record'] ?? '')) ?? null } : null,
  };
  await log.group('Snapshot', async () => {
    if (existing) log.info(`state ${namespace}/keiko-reroute-state from ${existing.takenAt} (${existing.takenBy}) kept: restore still returns to the original`);
    else {
      await writeState(client, state);
      const saved = [...state.objects.map((o) => `${o.kind}/${o.name} (${o.existed ? 'existed' : 'absent'})`), ...(state.gateway ? [`env of ${state.gateway.deployment}`] : []), ...(state.dns ? [`DNS ${state.dns.record}.${state.dns.zone}`] : [])];
      log.info(`saved what was there before in ConfigMap ${namespace}/keiko-reroute-state: ${saved.join(', ')}`);
    }
  });
  const applied: string[] = [];
  const unchanged: string[] = [];
  await log.group('Apply (server-side, field manager keiko-rollback)', async () => {
    for (const object of objects) {
      const before = await readLive(client, object, namespace);
      const after = await applyObject(client, object, namespace, { force: inputs.force, dryRun: false });
      const changed = before?.metadata.resourceVersion !== after.metadata.resourceVersion;
      (changed ? applied : unchanged).push(objectKey(object));
      log.info(`${objectKey(object)}: ${before ? (changed ? 'updated' : 'unchanged') : 'created'}`);
    }
  });
  let rollout: string | undefined;
  if (gateway) {
    rollout = await log.group(`Circuit breaker on deployment/${gateway.metadata.name}`, async () => {
      const patch = envPatch(gateway, circuitBreakerValues(gateway, inputs['failure-threshold']));
      if (!patch) {
        unchanged.push(`Deployment/${gateway.metadata.name}`);
        log.info(`CIRCUIT_BREAKER_ENABLED=true and FAILURE_THRESHOLD=${inputs['failure-threshold']} are already set`);
        return undefined;
      }
      applied.push(`Deployment/${gateway.metadata.name}`);
      return patchGatewayEnv(client, namespace, gateway.metadata.name, patch, { dryRun: false, signal, log });
    });
  }
  if (dns) {
    const key = `DNS/${inputs['dns-record']}.${inputs['dns-zone']}`;
    const change = await log.group(`DNS (${dns.name})`, () => switchDns(dns, inputs, context));
    (change ? applied : unchanged).push(key);
    log.info(`${key}: ${change ?? 'already points at the target'}`);
  }
  return { applied, unchanged, state, stateKept: Boolean(existing), rollout };
}
