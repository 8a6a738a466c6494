import type { ActionHost, ActionName } from '../core/action.js';
import { describeError } from '../core/errors.js';
import { readInputs } from '../core/inputs.js';
import { createSecretRegistry } from '../core/secrets.js';
import { KubeClient } from '../kube/client.js';
import { loadKubeConfig } from '../kube/connection.js';
import { LEASE_STATE, releaseLeaseIfHeld } from '../kube/lease.js';
import { readLeaseState } from '../kube/lease-state.js';
import { emergencyRerouteSchema } from './emergency-reroute/inputs.js';
import { rollbackServiceSchema } from './rollback-service/inputs.js';

const SCHEMAS = { 'rollback-service': rollbackServiceSchema, 'emergency-reroute': emergencyRerouteSchema } as const;

/**
 * The post step: when the job was cancelled mid-rollback, main never released its Leases.
 * Releases those this run still holds; never fails the job.
 */
export async function runPostStep(name: ActionName, host: ActionHost): Promise<void> {
  if (name !== 'rollback-service' && name !== 'emergency-reroute') return;
  const leases = readLeaseState(host.getState(LEASE_STATE));
  if (typeof leases === 'string') return host.log.warning(`no leases released: ${leases}; any this job held expire by themselves within 60s`);
  if (leases.length === 0) return;
  const secrets = createSecretRegistry((value) => host.maskSecret(value));
  secrets.add(host.getInput('kubeconfig'));
  try {
    const inputs = readInputs(SCHEMAS[name], host);
    // a post step never holds up the job: a few seconds per lease, then the Lease expires by itself
    const client = new KubeClient(await loadKubeConfig(inputs, secrets), host.log, {
      signal: AbortSignal.timeout(15_000),
      requestTimeoutMs: 5_000,
      policy: { baseDelayMs: 200, maxDelayMs: 1000, budgetMs: 5_000 },
    });
    for (const lease of leases) {
      const released = await releaseLeaseIfHeld(client, lease.namespace, lease.name, lease.holder);
      host.log.info(released ? `released lease ${lease.name} left by a cancelled rollback` : `lease ${lease.name} is no longer held by this run`);
    }
  } catch (error) {
    host.log.warning(
      secrets.redact(`could not release leases ${leases.map((l) => l.name).join(', ')}: ${describeError(error)}; they expire by themselves within 60s`),
    );
  }
}
