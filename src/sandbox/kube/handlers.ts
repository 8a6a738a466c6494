import { randomBytes } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { recordUpdate, serverSideApply } from './apply.js';
import { applyJsonPatch, applyMergePatch, PatchError, strategicMerge } from './patch.js';
import { apiVersionOf, qualifiedName, type ResourceType, requireResource } from './resources.js';
import { matchesFilter, type ObjectFilter, parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.js';
import { alreadyExists, badRequest, conflict, notFound, StatusError } from './status.js';
import type { ObjectStore } from './store.js';
import { clone, deepEqual, isObject, type Json, type KubeObject, meta, obj, str } from './types.js';

export interface ParsedRequest {
  method: string;
  type: ResourceType;
  namespace: string;
  name: string | undefined;
  subresource: string | undefined;
  query: URLSearchParams;
  contentType: string;
  userAgent: string;
  body: string;
}

const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];
const NAMESPACES = requireResource('', 'v1', 'namespaces');

export function filterOf(query: URLSearchParams): ObjectFilter {
  try {
    return { labels: parseLabelSelector(query.get('labelSelector')), fields: parseFieldSelector(query.get('fieldSelector')) };
  } catch (error) {
    throw badRequest(error instanceof SelectorError ? error.message : String(error));
  }
}

function parseBody(request: ParsedRequest): Json {
  try {
    if (request.contentType.startsWith('application/apply-patch+yaml')) return parseYaml(request.body) as Json;
    return JSON.parse(request.body || 'null') as Json;
  } catch (error) {
    throw badRequest(`the object provided is unrecognized (${error instanceof Error ? error.message : String(error)})`);
  }
}

function fieldManager(request: ParsedRequest): string {
  return request.query.get('fieldManager') || request.userAgent.split('/')[0] || 'unknown';
}

const isDryRun = (request: ParsedRequest): boolean => request.query.getAll('dryRun').includes('All');

export class ResourceHandlers {
  constructor(private readonly store: ObjectStore) {}

  private requireNamespace(request: ParsedRequest): void {
    if (request.type.namespaced && !this.store.get(NAMESPACES, '', request.namespace)) throw notFound(NAMESPACES, request.namespace);
  }

  private existing(request: ParsedRequest): KubeObject {
    const found = this.store.get(request.type, request.namespace, request.name ?? '');
    if (!found) throw notFound(request.type, request.name ?? '');
    return found;
  }

  get(request: ParsedRequest): KubeObject {
    return this.existing(request);
  }

  list(request: ParsedRequest): object {
    const filter = filterOf(request.query);
    const items = this.store
      .list(request.type, request.type.namespaced && request.namespace ? request.namespace : undefined)
      .filter((o) => matchesFilter(o, filter));
    const limit = Number(request.query.get('limit') ?? 0);
    let start = 0;
    const token = request.query.get('continue');
    if (token) {
      try {
        start = Number(JSON.parse(Buffer.from(token, 'base64').toString('utf8')).start) || 0;
      } catch {
        throw badRequest('continue key is not valid');
      }
    }
    const page = limit > 0 ? items.slice(start, start + limit) : items.slice(start);
    const metadata: Record<string, Json> = { resourceVersion: String(this.store.currentRevision) };
    if (limit > 0 && start + limit < items.length) {
      metadata.continue = Buffer.from(JSON.stringify({ start: start + limit })).toString('base64');
      metadata.remainingItemCount = items.length - start - limit;
    }
    const listItems = page.map((o) => {
      const { apiVersion: _a, kind: _k, ...rest } = o;
      return rest;
    });
    return { kind: `${request.type.kind}List`, apiVersion: apiVersionOf(request.type), metadata, items: listItems };
  }

  create(request: ParsedRequest): { code: number; object: KubeObject } {
    this.requireNamespace(request);
    const object = obj(parseBody(request));
    const m = meta(object);
    if (!str(m.name) && str(m.generateName)) m.name = `${str(m.generateName)}${randomBytes(3).toString('hex').slice(0, 5)}`;
    const name = str(m.name);
    if (!name) throw new StatusError(422, 'Invalid', `${request.type.kind} "" is invalid: metadata.name: Required value: name or generateName is required`);
    if (request.type.namespaced) {
      if (m.namespace && m.namespace !== request.namespace)
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      m.namespace = request.namespace;
    }
    if (this.store.get(request.type, request.namespace, name)) throw alreadyExists(request.type, name);
    delete m.resourceVersion;
    recordUpdate(undefined, object, fieldManager(request), apiVersionOf(request.type));
    if (isDryRun(request)) return { code: 201, object: { ...object, apiVersion: apiVersionOf(request.type), kind: request.type.kind } };
    return { code: 201, object: this.store.create(request.type, object) };
  }

  update(request: ParsedRequest): KubeObject {
    const current = this.existing(request);
    const object = obj(parseBody(request));
    const m = meta(object);
    if (m.name !== request.name) throw badRequest(`the name of the object (${str(m.name)}) does not match the name on the URL (${request.name})`);
    const rv = str(m.resourceVersion);
    if (rv && rv !== meta(current).resourceVersion) throw conflict(request.type, request.name ?? '');
    return this.writeObject(request, current, object);
  }

  private writeObject(request: ParsedRequest, current: KubeObject, next: KubeObject): KubeObject {
    if (request.type.namespaced) meta(next).namespace = request.namespace;
    if (request.subresource !== 'status') recordUpdate(current, next, fieldManager(request), apiVersionOf(request.type));
    else meta(next).managedFields = meta(current).managedFields ?? null;
    if (isDryRun(request)) return next;
    return this.store.update(request.type, next, request.subresource === 'status' ? 'status' : undefined);
  }

  patch(request: ParsedRequest): { code: number; object: KubeObject } {
    const contentType = request.contentType.split(';')[0]?.trim() ?? '';
    if (!PATCH_TYPES.includes(contentType)) {
      throw new StatusError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`,
      );
    }
    if (contentType === 'application/apply-patch+yaml') return this.apply(request);
    const current = this.existing(request);
    const patch = parseBody(request);
    let next: KubeObject;
    try {
      if (contentType === 'application/json-patch+json') next = applyJsonPatch(current, patch);
      else if (contentType === 'application/merge-patch+json') next = obj(applyMergePatch(current, patch));
      else next = obj(strategicMerge([], current, patch));
    } catch (error) {
      if (error instanceof PatchError) throw new StatusError(422, 'Invalid', error.message);
      throw error;
    }
    const rv = str(meta(next).resourceVersion);
    if (rv && rv !== meta(current).resourceVersion) throw conflict(request.type, request.name ?? '');
    if (meta(next).name !== meta(current).name) throw badRequest('metadata.name is immutable');
    return { code: 200, object: this.writeObject(request, current, next) };
  }

  private apply(request: ParsedRequest): { code: number; object: KubeObject } {
    const manager = request.query.get('fieldManager');
    if (!manager) throw new StatusError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    if (request.type.namespaced) this.requireNamespace(request);
    const config = obj(parseBody(request));
    if (str(meta(config).name) !== request.name)
      throw badRequest(`the name of the object (${str(meta(config).name)}) does not match the name on the URL (${request.name})`);
    if (request.type.namespaced) meta(config).namespace = request.namespace;
    const live = this.store.get(request.type, request.namespace, request.name ?? '');
    const force = request.query.get('force') === 'true';
    const { object, conflicts } = serverSideApply(live ? clone(live) : undefined, config, manager, force);
    if (conflicts.length > 0) {
      const gv = apiVersionOf(request.type);
      const lines = conflicts.map((c) => `conflict with "${c.manager}" using ${gv}: ${c.field}`);
      const message =
        conflicts.length === 1 ? `Apply failed with 1 conflict: ${lines[0]}` : `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
      throw new StatusError(409, 'Conflict', message, {
        causes: conflicts.map((c, i) => ({ type: 'FieldManagerConflict', message: lines[i] ?? '', field: c.field })),
      });
    }
    if (!live) {
      delete meta(object).resourceVersion;
      if (isDryRun(request)) return { code: 201, object: { ...object, apiVersion: apiVersionOf(request.type), kind: request.type.kind } };
      return { code: 201, object: this.store.create(request.type, object) };
    }
    meta(object).resourceVersion = meta(live).resourceVersion ?? null;
    // an apply that changes no field leaves the object (and its resourceVersion) alone
    const withoutFields = (o: KubeObject): KubeObject => ({ ...o, metadata: { ...meta(o), managedFields: null } });
    if (deepEqual(withoutFields(object), withoutFields(live))) return { code: 200, object: live };
    if (isDryRun(request)) return { code: 200, object };
    return { code: 200, object: this.store.update(request.type, object) };
  }

  delete(request: ParsedRequest): object {
    const current = this.existing(request);
    const options = request.body.trim() ? obj(parseBody(request)) : {};
    const preconditions = obj(options.preconditions);
    const wantedRv = str(preconditions.resourceVersion);
    if (wantedRv && wantedRv !== meta(current).resourceVersion) {
      throw new StatusError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${qualifiedName(request.type)} "${request.name}": the ResourceVersion in the precondition (${wantedRv}) does not match the ResourceVersion in record (${String(meta(current).resourceVersion)}). The object might have been modified`,
      );
    }
    const wantedUid = str(preconditions.uid);
    if (wantedUid && wantedUid !== meta(current).uid) {
      throw new StatusError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${qualifiedName(request.type)} "${request.name}": Precondition failed: UID in precondition: ${wantedUid}, UID in object meta: ${String(meta(current).uid)}`,
      );
    }
    if (isDryRun(request)) return current;
    this.store.delete(request.type, request.namespace, request.name ?? '');
    this.collectGarbage(str(meta(current).uid) ?? '');
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: {
        name: request.name ?? '',
        ...(request.type.group ? { group: request.type.group } : {}),
        kind: request.type.resource,
        uid: meta(current).uid ?? '',
      },
    };
  }

  /** Background cascading deletion: dependents whose owner is gone go too. */
  private collectGarbage(ownerUid: string): void {
    for (const type of ['replicasets', 'pods'].map((r) => requireResource(r === 'pods' ? '' : 'apps', 'v1', r))) {
      for (const object of this.store.list(type)) {
        const refs = Array.isArray(meta(object).ownerReferences) ? (meta(object).ownerReferences as Json[]) : [];
        if (refs.filter(isObject).some((r) => r.uid === ownerUid)) {
          this.store.delete(type, str(meta(object).namespace) ?? '', str(meta(object).name) ?? '');
          this.collectGarbage(str(meta(object).uid) ?? '');
        }
      }
    }
  }
}
