import type { ActionContext } from '../../core/action.js';
import { ConfigurationError, describeError, StepFailure } from '../../core/errors.js';
import { OutsideFailure } from '../../core/outside.js';
import type { DnsProvider } from '../../dns/provider.js';
import { applyObject, patchGatewayEnv, readLive } from '../../kube/apply.js';
import type { KubeClient } from '../../kube/client.js';
import { envPatch, envSnapshot } from '../../kube/env.js';
import { type ManifestObject, objectKey } from '../../kube/manifest.js';
import { type RerouteState, readState, replaceState, snapshotOf, writeState } from '../../kube/reroute-state.js';
import type { Deployment } from '../../kube/types.js';
import { switchDns } from './dns.js';
import type { EmergencyRerouteInputs } from './inputs.js';

export const CIRCUIT_BREAKER_VARS = ['CIRCUIT_BREAKER_ENABLED', 'FAILURE_THRESHOLD'];

export interface RerouteOutcome {
  applied: string[];
  unchanged: string[];
  state: RerouteState;
  stateKept: boolean;
  rollout: string | undefined;
  /** What a person must know about what was done (e.g. how long DNS caches may answer the old way). */
  notes: string[];
}

export function circuitBreakerValues(gateway: Deployment, threshold: number): Record<string, Record<string, string>> {
  return Object.fromEntries(
    (gateway.spec.template.spec?.containers ?? []).map((c) => [c.name, { CIRCUIT_BREAKER_ENABLED: 'true', FAILURE_THRESHOLD: String(threshold) }]),
  );
}

/**
 * The snapshot to keep: a new one, or the existing one extended with what this activation changes
 * that it does not hold yet (objects, the gateway's variables, DNS), so restore always returns to
 * the original. It also records the values the reroute sets, to tell them from later hand changes.
 */
async function snapshot(
  client: KubeClient,
  inputs: EmergencyRerouteInputs,
  namespace: string,
  objects: ManifestObject[],
  gateway: Deployment | undefined,
  context: ActionContext,
  dns?: DnsProvider,
): Promise<{ state: RerouteState; existing: RerouteState | undefined; extended: string[] }> {
  const existing = await readState(client, namespace);
  const set = gateway ? circuitBreakerValues(gateway, inputs['failure-threshold']) : undefined;
  const gatewayOf = (d: Deployment): NonNullable<RerouteState['gateway']> => ({
    deployment: d.metadata.name,
    env: envSnapshot(d, CIRCUIT_BREAKER_VARS),
    ...(set ? { set } : {}),
  });
  const dnsOf = async (provider: DnsProvider): Promise<RerouteState['dns']> => ({
    provider: provider.name,
    zone: inputs['dns-zone'] ?? '',
    record: inputs['dns-record'] ?? '',
    previous: (await provider.read(inputs['dns-zone'] ?? '', inputs['dns-record'] ?? '')) ?? null,
  });
  if (!existing) {
    const state: RerouteState = {
      takenAt: new Date().toISOString(),
      takenBy: context.runId,
      namespace,
      objects: await Promise.all(objects.map(async (o) => snapshotOf(o, await readLive(client, o, namespace)))),
      gateway: gateway ? gatewayOf(gateway) : null,
      dns: dns ? await dnsOf(dns) : null,
    };
    await writeState(client, state);
    return { state, existing, extended: [] };
  }
  const state = structuredClone(existing);
  const extended: string[] = [];
  for (const object of objects) {
    if (state.objects.some((o) => o.kind === object.kind && o.name === object.metadata.name)) continue;
    state.objects.push(snapshotOf(object, await readLive(client, object, namespace)));
    extended.push(objectKey(object));
  }
  if (gateway && !state.gateway) {
    state.gateway = gatewayOf(gateway);
    extended.push(`env of ${gateway.metadata.name}`);
  } else if (gateway && state.gateway?.deployment === gateway.metadata.name && set) state.gateway.set = set;
  else if (gateway && state.gateway)
    throw new ConfigurationError(
      `is ${gateway.metadata.name}, but the active reroute changed ${state.gateway.deployment}: restore it first`,
      'gateway-deployment',
    );
  if (dns && !state.dns) {
    state.dns = await dnsOf(dns);
    extended.push(`DNS ${inputs['dns-record']}.${inputs['dns-zone']}`);
  }
  if (JSON.stringify(state) !== JSON.stringify(existing)) await replaceState(client, state);
  return { state, existing, extended };
}

/** Snapshot first (an existing one extended), then apply the manifest and the circuit breaker, then wait for the gateway. */
export async function activate(
  client: KubeClient,
  inputs: EmergencyRerouteInputs,
  namespace: string,
  objects: ManifestObject[],
  gateway: Deployment | undefined,
  context: ActionContext,
  signal: AbortSignal,
  dns?: DnsProvider,
): Promise<RerouteOutcome> {
  const { log } = context;
  const { state, existing } = await context.phases.step('Snapshot', async () => {
    const taken = await snapshot(client, inputs, namespace, objects, gateway, context, dns);
    if (taken.existing)
      log.info(
        `state ${namespace}/keiko-reroute-state from ${taken.existing.takenAt} (${taken.existing.takenBy}) kept${taken.extended.length ? `, extended with ${taken.extended.join(', ')}` : ''}: restore still returns to the original`,
      );
    else {
      const saved = [
        ...taken.state.objects.map((o) => `${o.kind}/${o.name} (${o.existed ? 'existed' : 'absent'})`),
        ...(taken.state.gateway ? [`env of ${taken.state.gateway.deployment}`] : []),
        ...(taken.state.dns ? [`DNS ${taken.state.dns.record}.${taken.state.dns.zone}`] : []),
      ];
      log.info(`saved what was there before in ConfigMap ${namespace}/keiko-reroute-state: ${saved.join(', ')}`);
    }
    return taken;
  });
  const applied: string[] = [];
  const unchanged: string[] = [];
  const notes: string[] = [];
  let rollout: string | undefined;
  /** The step in flight: if the run stops there, it may be half-done. */
  let changing: string | undefined;
  try {
    await context.phases.step('Apply (server-side, field manager keiko-rollback)', async () => {
      for (const object of objects) {
        changing = objectKey(object);
        const before = await readLive(client, object, namespace);
        const after = await applyObject(client, object, namespace, { force: inputs.force, dryRun: false });
        const changed = before?.metadata.resourceVersion !== after.metadata.resourceVersion;
        (changed ? applied : unchanged).push(objectKey(object));
        log.info(`${objectKey(object)}: ${before ? (changed ? 'updated' : 'unchanged') : 'created'}`);
      }
    });
    if (gateway) {
      rollout = await context.phases.step(`Circuit breaker on deployment/${gateway.metadata.name}`, async () => {
        const patch = envPatch(gateway, circuitBreakerValues(gateway, inputs['failure-threshold']));
        if (!patch) {
          unchanged.push(`Deployment/${gateway.metadata.name}`);
          log.info(`CIRCUIT_BREAKER_ENABLED=true and FAILURE_THRESHOLD=${inputs['failure-threshold']} are already set`);
          return undefined;
        }
        changing = `Deployment/${gateway.metadata.name}`;
        const waited = await patchGatewayEnv(client, namespace, gateway.metadata.name, patch, { dryRun: false, signal, log });
        applied.push(changing);
        return waited;
      });
    }
    if (dns) {
      const key = `DNS/${inputs['dns-record']}.${inputs['dns-zone']}`;
      changing = key;
      const change = await context.phases.step(`DNS (${dns.name})`, () => switchDns(dns, inputs, context));
      (change ? applied : unchanged).push(key);
      log.info(`${key}: ${change?.change ?? 'already points at the target'}`);
      if (change?.staleUntil)
        notes.push(
          `DNS: resolvers that cached ${inputs['dns-record']}.${inputs['dns-zone']} before the switch may still answer with the old record until ${change.staleUntil} (its old TTL); lower the TTL ahead of time to shorten this.`,
        );
    }
  } catch (error) {
    // stopped half-way (a timeout, an outside failure): say what is live now and how to undo it
    const { clock } = context;
    const undo = `the snapshot of what was there before is in ConfigMap ${namespace}/keiko-reroute-state: \`mode: restore\` returns to it`;
    const changed = `changed before it stopped: ${applied.join(', ') || 'nothing'}; stopped while changing ${changing ?? '?'} (it may be half-done); ${undo}`;
    if (error instanceof ConfigurationError) throw applied.length ? new ConfigurationError(`${error.message} — ${changed}`, error.input) : error;
    const why =
      clock.signal.aborted && !(error instanceof OutsideFailure) ? (clock.timedOut() ? `timed out after ${clock.label}` : 'cancelled') : describeError(error);
    throw new StepFailure('Emergency reroute', `${why} — ${changed}`, { cause: error });
  }
  return { applied, unchanged, state, stateKept: Boolean(existing), rollout, notes };
}
