import { sleep } from '../core/durations.js';
import { describeError, RunTimeout } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { OutsideFailure } from '../core/outside.js';
import { MAX_TIMER_MS, RELEASE_GRACE_MS, releaseSignal } from '../core/run-clock.js';
import { KubeApiError, type KubeClient } from './client.js';
import { type List, leasePath } from './types.js';

interface Lease {
  metadata: { name: string; resourceVersion?: string; uid?: string };
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

export { LEASE_STATE } from './lease-state.js';

export class LeaseHeldError extends Error {
  constructor(
    readonly lease: string,
    readonly holder: string,
    readonly since: string | undefined,
  ) {
    super(`lease ${lease} is held by ${holder}${since ? ` since ${since}` : ''}`);
  }
}

export interface HeldLease {
  namespace: string;
  name: string;
  holder: string;
  /** Another run that held the lease while this one waited for it. */
  waitedFor: string | undefined;
  release(): Promise<void>;
}

export interface LeaseOptions {
  namespace: string;
  name: string;
  holder: string;
  durationSeconds?: number;
  pollMs?: number;
  log: Logger;
  signal: AbortSignal;
  /** Gives up with LeaseHeldError when another holder still has it at this time (epoch ms). */
  deadline: number;
  /**
   * When the run's time is up (epoch ms): no create is sent, or waited for, in the last seconds,
   * which are kept for reading back a create whose answer was lost and deleting the Lease.
   */
  runEnds?: number;
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
function microTime(date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function isExpired(lease: Lease, now = Date.now()): boolean {
  const renewed = Date.parse(lease.spec?.renewTime ?? lease.spec?.acquireTime ?? '');
  return Number.isNaN(renewed) || renewed + (lease.spec?.leaseDurationSeconds ?? 0) * 1000 < now;
}

function isConflict(error: unknown): boolean {
  return error instanceof KubeApiError && error.code === 409;
}

/**
 * Takes the coordination.k8s.io Lease `name`, waiting while another run holds it and taking
 * over an expired one. The lease is renewed in the background until released.
 */
export async function acquireLease(client: KubeClient, options: LeaseOptions): Promise<HeldLease> {
  const seen: { holder?: string; since?: string } = {};
  try {
    return await acquireLeaseOnce(client, options, seen);
  } catch (error) {
    // the run's time ran out while another run held the lease: say who, not just "aborted"
    if (options.signal.aborted && seen.holder && !(error instanceof LeaseHeldError)) throw new LeaseHeldError(options.name, seen.holder, seen.since);
    throw error;
  }
}

async function acquireLeaseOnce(client: KubeClient, options: LeaseOptions, seen: { holder?: string; since?: string }): Promise<HeldLease> {
  const { namespace, name, holder } = options;
  const duration = options.durationSeconds ?? 60;
  const path = leasePath(namespace, name);
  let waitingLogged = 0;
  let waitedFor: string | undefined;
  for (;;) {
    options.signal.throwIfAborted();
    const now = microTime();
    const spec = { holderIdentity: holder, leaseDurationSeconds: duration, acquireTime: now, renewTime: now };
    // the create must answer while a lost answer can still be read back and the Lease deleted before the run ends
    const createBy = (options.runEnds ?? Number.POSITIVE_INFINITY) - RELEASE_GRACE_MS;
    if (Date.now() >= createBy) throw seen.holder ? new LeaseHeldError(name, seen.holder, seen.since) : tooLateForLease(name);
    const createCap = AbortSignal.timeout(Math.min(createBy - Date.now(), MAX_TIMER_MS));
    try {
      const created = await client.request<Lease>('POST', leasePath(namespace), {
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'keiko-rollback' } },
          spec: { ...spec, leaseTransitions: 0 },
        },
        signal: AbortSignal.any([options.signal, createCap]),
      });
      return startHolding(client, options, created, duration, waitedFor);
    } catch (error) {
      if (!isConflict(error)) await failedLeaseWrite(client, options, error, createCap);
    }
    const lease = await client.get<Lease>(path, undefined, options.signal);
    const current = lease.spec?.holderIdentity;
    if (!current || current === holder || isExpired(lease)) {
      if (current && current !== holder) options.log.info(`  taking over expired lease ${name} from ${current}`);
      try {
        const taken = await client.request<Lease>('PUT', path, {
          body: { ...lease, spec: { ...spec, leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + (current === holder ? 0 : 1) } },
          signal: AbortSignal.any([options.signal, createCap]),
        });
        return startHolding(client, options, taken, duration, waitedFor);
      } catch (error) {
        if (!isConflict(error)) await failedLeaseWrite(client, options, error, createCap);
        continue;
      }
    }
    if (Date.now() >= options.deadline) throw new LeaseHeldError(name, current, lease.spec?.acquireTime);
    waitedFor = current;
    seen.holder = current;
    seen.since = lease.spec?.acquireTime;
    if (Date.now() - waitingLogged > 10_000) {
      options.log.info(`  waiting for lease ${name}, held by ${current} since ${lease.spec?.acquireTime ?? '?'}`);
      waitingLogged = Date.now();
    }
    await sleep(Math.min(options.pollMs ?? 1000, Math.max(1, options.deadline - Date.now())), options.signal).catch(() => {
      throw new LeaseHeldError(name, current, lease.spec?.acquireTime);
    });
  }
}

function startHolding(client: KubeClient, options: LeaseOptions, lease: Lease, duration: number, waitedFor: string | undefined): HeldLease {
  const path = leasePath(options.namespace, options.name);
  let latest = lease;
  const renewer = setInterval(
    () => {
      const renewed = { ...latest, spec: { ...latest.spec, renewTime: microTime() } };
      client
        .request<Lease>('PUT', path, { body: renewed })
        .then((result) => (latest = result))
        .catch((error: unknown) => options.log.warning(`could not renew lease ${options.name}: ${describeError(error)}`));
    },
    (duration * 1000) / 3,
  );
  renewer.unref();
  return {
    namespace: options.namespace,
    name: options.name,
    holder: options.holder,
    waitedFor,
    async release() {
      clearInterval(renewer);
      try {
        // a few seconds of its own: the run's signal may have ended (timeout, cancel) and the Lease must still go
        await client
          .withSignal(releaseSignal())
          .request('DELETE', path, { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { resourceVersion: latest.metadata.resourceVersion } } });
      } catch (error) {
        // gone already, or taken over after expiry: either way it is no longer ours to delete
        if (!(error instanceof KubeApiError && (error.code === 404 || error.code === 409))) throw error;
      }
    },
  };
}

const activeHolder = (lease: Lease): string | undefined => (lease.spec?.holderIdentity && !isExpired(lease) ? lease.spec.holderIdentity : undefined);

/** The run holding the lease now, if it is held and not expired. */
export async function activeLeaseHolder(client: KubeClient, namespace: string, name: string, signal?: AbortSignal): Promise<string | undefined> {
  try {
    return activeHolder(await client.get<Lease>(leasePath(namespace, name), undefined, signal));
  } catch (error) {
    if (error instanceof KubeApiError && error.code === 404) return undefined;
    throw error;
  }
}

/**
 * Who holds each Lease of a namespace, from one list: a fleet's plan asks once instead of once per
 * service. A refused or failed list (a Role without `list`) falls back to reading each Lease alone.
 */
export function namespaceLeaseHolders(client: KubeClient, namespace: string, signal?: AbortSignal): (name: string) => Promise<string | undefined> {
  const listed = client.get<List<Lease>>(leasePath(namespace), undefined, signal).catch(() => undefined);
  return async (name) => {
    const found = await listed;
    if (!found) return activeLeaseHolder(client, namespace, name, signal);
    const lease = found.items.find((l) => l.metadata.name === name);
    return lease ? activeHolder(lease) : undefined;
  };
}

function tooLateForLease(name: string): RunTimeout {
  return new RunTimeout(
    `lease ${name} not taken: less than ${RELEASE_GRACE_MS / 1000}s of the run's timeout was left, too little to roll back and release it; nothing written — re-run with a longer timeout`,
  );
}

/**
 * A create or takeover that failed other than by a conflict. With no answer seen (the time ran out,
 * the connection dropped) the Lease may exist and be ours: it is read back first. A write cut by the
 * create deadline, not by the run, says so.
 */
async function failedLeaseWrite(client: KubeClient, options: LeaseOptions, error: unknown, createCap: AbortSignal): Promise<never> {
  if (!(error instanceof OutsideFailure && error.status !== undefined)) await releaseIfCreated(client, options);
  throw createCap.aborted && !options.signal.aborted ? tooLateForLease(options.name) : error;
}

/** After a create whose answer never came: read the Lease back and delete it if this run turns out to hold it. */
async function releaseIfCreated(client: KubeClient, options: LeaseOptions): Promise<void> {
  // two round trips (read, then delete with its resourceVersion): each gets the release budget, the run's signal may be over
  await releaseLeaseIfHeld(client.withSignal(new AbortController().signal), options.namespace, options.name, options.holder, () => releaseSignal()).catch(
    (error: unknown) =>
      options.log.warning(`could not check lease ${options.name} after a lost answer: ${describeError(error)}; it expires by itself within 60s`),
  );
}

/** For the post step: deletes the lease only if this run still holds it. `callSignal` bounds each of the two calls. */
export async function releaseLeaseIfHeld(
  client: KubeClient,
  namespace: string,
  name: string,
  holder: string,
  callSignal: () => AbortSignal | undefined = () => undefined,
): Promise<boolean> {
  try {
    const lease = await client.get<Lease>(leasePath(namespace, name), undefined, callSignal());
    if (lease.spec?.holderIdentity !== holder) return false;
    await client.request('DELETE', leasePath(namespace, name), {
      body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { resourceVersion: lease.metadata.resourceVersion } },
      signal: callSignal(),
    });
    return true;
  } catch (error) {
    if (error instanceof KubeApiError && (error.code === 404 || error.code === 409)) return false;
    throw error;
  }
}
