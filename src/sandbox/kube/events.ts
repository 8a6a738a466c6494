import { randomBytes } from 'node:crypto';
import { requireResource } from './resources.js';
import type { ObjectStore } from './store.js';
import { isObject, type Json, type KubeObject, meta, str } from './types.js';

const EVENTS = requireResource('', 'v1', 'events');

/**
 * The deployment controller's Event for a scaling step, as `kubectl describe deployment` and
 * `kubectl get events` show it: reason ScalingReplicaSet, "Scaled up replica set <rs> from 0 to 2".
 */
export function recordScaling(store: ObjectStore, rs: KubeObject, from: number, to: number, timestamp: string): void {
  const owner = (Array.isArray(meta(rs).ownerReferences) ? (meta(rs).ownerReferences as Json[]) : []).find((ref) => isObject(ref) && ref.kind === 'Deployment');
  if (!isObject(owner) || from === to) return;
  const namespace = str(meta(rs).namespace) ?? '';
  const deployment = str(owner.name) ?? '';
  store.create(EVENTS, {
    metadata: { name: `${deployment}.${randomBytes(8).toString('hex')}`, namespace },
    involvedObject: { kind: 'Deployment', namespace, name: deployment, uid: str(owner.uid) ?? '', apiVersion: 'apps/v1' },
    reason: 'ScalingReplicaSet',
    message: `Scaled ${to > from ? 'up' : 'down'} replica set ${str(meta(rs).name) ?? ''} from ${from} to ${to}`,
    source: { component: 'deployment-controller' },
    firstTimestamp: timestamp,
    lastTimestamp: timestamp,
    count: 1,
    type: 'Normal',
    reportingComponent: 'deployment-controller',
    reportingInstance: '',
  });
}
