import type { ActionContext, ActionResult } from '../../core/action.js';
import { ConfigurationError } from '../../core/errors.js';
import { insideWorkspace } from '../../core/paths.js';
import { details, markdownTable } from '../../core/summary.js';
import type { DnsProvider } from '../../dns/provider.js';
import { applyObject, diffAgainstLive, patchGatewayEnv, readLive } from '../../kube/apply.js';
import { KubeApiError, type KubeClient } from '../../kube/client.js';
import { resolveNamespace } from '../../kube/connection.js';
import { envPatch } from '../../kube/env.js';
import { acquireLease, type HeldLease, LEASE_STATE, LeaseHeldError } from '../../kube/lease.js';
import { writeLeaseState } from '../../kube/lease-state.js';
import { type ManifestObject, objectKey, readRerouteManifest } from '../../kube/manifest.js';
import { readState } from '../../kube/reroute-state.js';
import { type Deployment, deploymentPath } from '../../kube/types.js';
import { activate, circuitBreakerValues } from './activate.js';
import { describeRecord } from './dns.js';
import type { EmergencyRerouteInputs, EmergencyRerouteOutput } from './inputs.js';
import { restore } from './restore.js';

async function readGateway(client: KubeClient, namespace: string, name: string): Promise<Deployment> {
  try {
    return await client.get<Deployment>(deploymentPath(namespace, name));
  } catch (error) {
    if (error instanceof KubeApiError && error.code === 404)
      throw new ConfigurationError(
        `names deployment "${name}", which does not exist in namespace "${namespace}" (or set circuit-breaker: false)`,
        'gateway-deployment',
      );
    throw error;
  }
}

function summary(title: string, ok: boolean, rows: string[][], diff: string | undefined, notes: string[]): string {
  const parts = [`## ${ok ? '✅' : '❌'} ${title}`, '', markdownTable(['Object', 'Change'], rows), ...notes.map((n) => `\n${n}`)];
  if (diff) parts.push('', details('Diff against what was live', `\`\`\`diff\n${diff}\n\`\`\``));
  return `${parts.join('\n')}\n`;
}

export interface EmergencyRerouteClients {
  kube: KubeClient;
  /** Set when `dns-provider` is. */
  dns: DnsProvider | undefined;
}

export async function main(
  inputs: EmergencyRerouteInputs,
  context: ActionContext,
  { kube: client, dns }: EmergencyRerouteClients,
): Promise<ActionResult<EmergencyRerouteOutput>> {
  const { log } = context;
  const namespace = resolveNamespace(inputs) ?? '';
  const { signal, deadline } = context.clock;
  if (inputs.mode === 'restore') {
    const state = await readState(client, namespace);
    if (!state)
      throw new ConfigurationError(
        `is restore, but namespace ${namespace} has no keiko-reroute-state ConfigMap: nothing was rerouted there (or it was already restored); nothing changed`,
        'mode',
      );
    if (state.dns && !dns)
      throw new ConfigurationError(
        `is empty, but the reroute switched DNS record ${state.dns.record}.${state.dns.zone} (${state.dns.provider}): pass dns-provider and its credentials to restore it; nothing changed`,
        'dns-provider',
      );
    if (inputs['dry-run']) {
      const rows = state.objects.map((o) => [`${o.kind}/${o.name}`, o.existed ? 'would get its previous spec back' : 'would be deleted']);
      if (state.gateway) rows.push([`Deployment/${state.gateway.deployment}`, `env back to ${JSON.stringify(state.gateway.env)}`]);
      return {
        outputs: { applied: '', state: JSON.stringify(state), result: JSON.stringify({ mode: 'restore', dryRun: true }) },
        summary: summary('Emergency reroute restore (dry run)', true, rows, undefined, []),
      };
    }
    const lease = await holdLease(client, namespace, context, signal, deadline);
    try {
      const outcome = await restore(client, state, log, context.phases, signal, dns, inputs.force);
      const rows = [...outcome.restored.map((key) => [key, 'restored']), ...outcome.kept.map((note) => ['kept', note])];
      return {
        outputs: {
          applied: outcome.restored.join(','),
          state: JSON.stringify(state),
          result: JSON.stringify({ mode: 'restore', restored: outcome.restored, rollout: outcome.rollout ?? null }),
        },
        summary: summary(`Emergency reroute restored in \`${namespace}\``, true, rows, undefined, [
          `Snapshot from ${state.takenAt} (${state.takenBy}) applied and deleted.`,
        ]),
      };
    } finally {
      await release(lease, context);
    }
  }

  const objects: ManifestObject[] = inputs['ingress-manifest']
    ? readRerouteManifest(insideWorkspace(context.workspace, inputs['ingress-manifest'], 'ingress-manifest'), namespace, 'ingress-manifest')
    : [];
  const gateway = inputs['circuit-breaker'] ? await readGateway(client, namespace, inputs['gateway-deployment']) : undefined;
  if (!objects.length && !gateway && !dns) throw new ConfigurationError('is empty and circuit-breaker is false: there is nothing to do', 'ingress-manifest');
  const diff = await context.phases.step('Diff against live', async () => {
    const parts = await Promise.all(objects.map(async (o) => diffAgainstLive(o, await readLive(client, o, namespace))));
    const text = parts.join('\n');
    log.info(text || '(no manifest)');
    return text;
  });

  if (inputs['dry-run']) {
    const rows: string[][] = [];
    for (const object of objects) {
      await applyObject(client, object, namespace, { force: inputs.force, dryRun: true });
      rows.push([objectKey(object), 'accepted by a server-side dry run']);
    }
    if (gateway) {
      const patch = envPatch(gateway, circuitBreakerValues(gateway, inputs['failure-threshold']));
      if (patch) await patchGatewayEnv(client, namespace, gateway.metadata.name, patch, { dryRun: true, log });
      rows.push([
        `Deployment/${gateway.metadata.name}`,
        patch ? `would set CIRCUIT_BREAKER_ENABLED=true, FAILURE_THRESHOLD=${inputs['failure-threshold']}` : 'already set',
      ]);
    }
    if (dns) {
      const current = await dns.read(inputs['dns-zone'] ?? '', inputs['dns-record'] ?? '');
      rows.push([
        `DNS/${inputs['dns-record']}.${inputs['dns-zone']}`,
        `would go from ${describeRecord(current)} to ${inputs['dns-target']} (TTL ${inputs['dns-ttl']}, lowered first)`,
      ]);
    }
    return {
      outputs: { applied: '', state: '', result: JSON.stringify({ mode: 'activate', dryRun: true }) },
      summary: summary('Emergency reroute (dry run): nothing changed', true, rows, diff, []),
    };
  }

  const lease = await holdLease(client, namespace, context, signal, deadline);
  try {
    const outcome = await activate(client, inputs, namespace, objects, gateway, context, signal, dns);
    const rows = [...outcome.applied.map((k) => [k, 'applied']), ...outcome.unchanged.map((k) => [k, 'unchanged'])];
    const notes = [
      ...outcome.notes,
      outcome.stateKept
        ? `An earlier snapshot (${outcome.state.takenAt}) was kept, so \`mode: restore\` returns to the original.`
        : `Snapshot saved in ConfigMap \`${namespace}/keiko-reroute-state\`.`,
      `Undo with \`mode: restore\` (or \`keiko-rollback reroute --mode restore --namespace ${namespace}\`).`,
    ];
    return {
      outputs: {
        applied: outcome.applied.join(','),
        state: JSON.stringify(outcome.state),
        result: JSON.stringify({
          mode: 'activate',
          applied: outcome.applied,
          unchanged: outcome.unchanged,
          rollout: outcome.rollout ?? null,
          stateKept: outcome.stateKept,
        }),
      },
      summary: summary(`Emergency reroute active in \`${namespace}\``, true, rows, diff, notes),
    };
  } finally {
    await release(lease, context);
  }
}

async function release(lease: HeldLease, context: ActionContext): Promise<void> {
  await lease.release();
  context.saveState(LEASE_STATE, writeLeaseState([]));
}

async function holdLease(client: KubeClient, namespace: string, context: ActionContext, signal: AbortSignal, deadline: number): Promise<HeldLease> {
  try {
    const lease = await acquireLease(client, {
      namespace,
      name: 'keiko-rollback-reroute',
      holder: context.runId,
      log: context.log,
      signal,
      deadline,
      runEnds: deadline,
    });
    context.saveState(LEASE_STATE, writeLeaseState([lease]));
    return lease;
  } catch (error) {
    if (error instanceof LeaseHeldError) throw new ConfigurationError(`another reroute is running in ${namespace}: ${error.message}`);
    throw error;
  }
}
