import type { PostStep } from '../core/action.js';
import { describeError } from '../core/errors.js';
import { KubeClient } from './client.js';
import { loadKubeConfig } from './connection.js';
import { releaseLeaseIfHeld } from './lease.js';
import { LEASE_STATE, readLeaseState } from './lease-state.js';

type ConnectionInputs = Parameters<typeof loadKubeConfig>[0];

/**
 * The post step of the actions that hold Leases: when the job was cancelled mid-rollback, main never
 * released them. Releases those this run still holds; a few seconds at most, then they expire by themselves.
 */
export async function releaseLeftLeases({ host, secrets, inputs }: PostStep<ConnectionInputs>): Promise<void> {
  const leases = readLeaseState(host.getState(LEASE_STATE));
  if (typeof leases === 'string') return host.log.warning(`no leases released: ${leases}; any this job held expire by themselves within 60s`);
  if (leases.length === 0) return;
  try {
    // a post step never holds up the job: a few seconds per lease, then the Lease expires by itself
    const client = new KubeClient(await loadKubeConfig(inputs(), secrets), host.log, {
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
