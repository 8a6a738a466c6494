import { describe, expect, it } from 'vitest';
import { readLeaseState, writeLeaseState } from '../src/kube/lease-state.js';

describe('the lease records a step leaves for its post step', () => {
  it('are versioned and read back exactly as written', () => {
    const leases = [
      { namespace: 'keiko-production', name: 'keiko-rollback-chat-service', holder: 'keiko/platform/1/1/rollback' },
      { namespace: 'keiko-production', name: 'keiko-rollback-chat-service', holder: 'keiko/platform/1/1/rollback', context: 'prod-eu' },
    ];
    expect(JSON.parse(writeLeaseState(leases))).toEqual({ version: 2, leases });
    expect(readLeaseState(writeLeaseState(leases))).toEqual(leases);
    expect(readLeaseState('')).toEqual([]);
  });

  it('another version, an unversioned list or a damaged value is refused by name, never misread', () => {
    expect(readLeaseState('[{"namespace":"a","name":"b","holder":"c"}]')).toBe('the saved lease state has version none; this step reads version 2');
    expect(readLeaseState('{"version":1,"leases":[]}')).toBe('the saved lease state has version 1; this step reads version 2');
    expect(readLeaseState('{"version":2,"leases":[{"namespace":""}]}')).toMatch(/^the saved lease state is damaged: /);
    expect(readLeaseState('{not json')).toBe('the saved lease state is not JSON');
  });
});
