import type { PostStep } from '../core/action.js';
import { describeError } from '../core/errors.js';
import { KubeClient } from './client.js';
import { loadKubeConfig } from './connection.js';
import { releaseLeaseIfHeld } from './lease.js';
import { LEASE_STATE, type LeaseRecord, readLeaseState } from './lease-state.js';

type ConnectionInputs = Parameters<typeof loadKubeConfig>[0];

/**
 * The post step of the actions that hold Leases: when the job was cancelled mid-rollback, main never
 * released them. Releases those this run still holds; a few seconds at most, then they expire by themselves.
 */
export async function releaseLeftLeases({ host, secrets, inputs }: PostStep<ConnectionInputs>): Promise<void> {
  const leases = readLeaseState(host.getState(LEASE_STATE));
  if (typeof leases === 'string') return host.log.warning(`no leases released: ${leases}; any this job held expire by themselves within 60s`);
  if (leases.length === 0) return;
  // a post step never holds up the job: a few seconds per lease, then the Lease expires by itself
  const signal = AbortSignal.timeout(15_000);
  // one cluster that cannot be reached never keeps the others' Leases held
  const byContext = new Map<string | undefined, LeaseRecord[]>();
  for (const lease of leases) byContext.set(lease.context, [...(byContext.get(lease.context) ?? []), lease]);
  for (const [context, held] of byContext) {
    const where = context ? ` in ${context}` : '';
    try {
      const config = await loadKubeConfig({ ...inputs(), ...(context ? { context } : {}) }, secrets);
      const client = new KubeClient(config, host.log, { signal, requestTimeoutMs: 5_000, policy: { baseDelayMs: 200, maxDelayMs: 1000, budgetMs: 5_000 } });
      for (const lease of held) {
        const released = await releaseLeaseIfHeld(client, lease.namespace, lease.name, lease.holder);
        host.log.info(
          released ? `released lease ${lease.name}${where} left by a cancelled rollback` : `lease ${lease.name}${where} is no longer held by this run`,
        );
      }
    } catch (error) {
      host.log.warning(
        secrets.redact(`could not release leases ${held.map((l) => l.name).join(', ')}${where}: ${describeError(error)}; they expire by themselves within 60s`),
      );
    }
  }
}
