import type { ParsedRequest } from './handlers.js';
import { applyJsonPatch, applyMergePatch, strategicMerge } from './patch.js';
import { badRequest, conflict, notFound, StatusError } from './status.js';
import type { ObjectStore } from './store.js';
import { clone, type Json, type KubeObject, meta, num, obj, str } from './types.js';

/** The autoscaling/v1 Scale of a deployment or ReplicaSet: what `kubectl scale` reads and patches. */
export function scaleOf(object: KubeObject): KubeObject {
  const m = meta(object);
  const labels = obj(obj(obj(object.spec).selector).matchLabels);
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: m.name ?? null,
      namespace: m.namespace ?? null,
      uid: m.uid ?? null,
      resourceVersion: m.resourceVersion ?? null,
      creationTimestamp: m.creationTimestamp ?? null,
    },
    spec: { replicas: num(obj(object.spec).replicas) ?? 1 },
    status: {
      replicas: num(obj(object.status).replicas) ?? 0,
      selector: Object.entries(labels)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(','),
    },
  };
}

function wantedScale(request: ParsedRequest, current: KubeObject): KubeObject {
  let body: Json;
  try {
    body = JSON.parse(request.body || 'null') as Json;
  } catch (error) {
    throw badRequest(`the object provided is unrecognized (${error instanceof Error ? error.message : String(error)})`);
  }
  if (request.method === 'PUT') return obj(body);
  const type = request.contentType.split(';')[0]?.trim();
  const scale = scaleOf(current);
  if (type === 'application/json-patch+json') return applyJsonPatch(scale, body);
  if (type === 'application/merge-patch+json') return obj(applyMergePatch(scale, body));
  return obj(strategicMerge([], scale, body));
}

/** GET, PUT and PATCH of the `scale` subresource: only spec.replicas of the owner changes. */
export function serveScale(store: ObjectStore, request: ParsedRequest): KubeObject {
  const current = store.get(request.type, request.namespace, request.name ?? '');
  if (!current) throw notFound(request.type, request.name ?? '');
  if (request.method === 'GET') return scaleOf(current);
  const wanted = wantedScale(request, current);
  const rv = str(meta(wanted).resourceVersion);
  if (rv && rv !== str(meta(current).resourceVersion)) throw conflict(request.type, request.name ?? '');
  const replicas = num(obj(wanted.spec).replicas);
  if (replicas === undefined || replicas < 0)
    throw new StatusError(
      422,
      'Invalid',
      `Scale.autoscaling "${request.name ?? ''}" is invalid: spec.replicas: Invalid value: must be greater than or equal to 0`,
    );
  if (request.query.get('dryRun') === 'All') return { ...scaleOf(current), spec: { replicas } };
  const next = clone(current);
  obj(next.spec).replicas = replicas;
  return scaleOf(store.update(request.type, next));
}
