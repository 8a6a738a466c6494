import { z } from 'zod';

/**
 * What an action leaves in GITHUB_STATE for its post step: the Leases it holds, so that a cancelled
 * job still releases them. Typed and versioned: a record of another version is refused by name,
 * never misread.
 */
export const LEASE_STATE = 'held-leases';
/** 2: a record names the kubeconfig context of its cluster when the run rolled back several (`contexts`). */
export const LEASE_STATE_VERSION = 2;

const leaseRecord = z.object({
  namespace: z.string().min(1),
  name: z.string().min(1),
  holder: z.string().min(1),
  context: z.string().min(1).optional(),
});
const leaseState = z.object({ version: z.literal(LEASE_STATE_VERSION), leases: z.array(leaseRecord) });

export type LeaseRecord = z.infer<typeof leaseRecord>;

export function writeLeaseState(leases: LeaseRecord[]): string {
  return JSON.stringify({
    version: LEASE_STATE_VERSION,
    leases: leases.map(({ namespace, name, holder, context }) => ({ namespace, name, holder, ...(context ? { context } : {}) })),
  });
}

/** The records, or why they cannot be read (an unknown version, a damaged value). Empty state: no Leases. */
export function readLeaseState(text: string): LeaseRecord[] | string {
  if (!text.trim()) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'the saved lease state is not JSON';
  }
  const parsed = leaseState.safeParse(value);
  if (parsed.success) return parsed.data.leases;
  const version = typeof value === 'object' && value !== null && 'version' in value ? String((value as { version: unknown }).version) : 'none';
  return version !== String(LEASE_STATE_VERSION)
    ? `the saved lease state has version ${version}; this step reads version ${LEASE_STATE_VERSION}`
    : `the saved lease state is damaged: ${parsed.error.issues[0]?.message ?? 'invalid'}`;
}
