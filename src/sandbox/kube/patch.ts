import { clone, deepEqual, isObject, type Json, type JsonObject, obj } from './types.js';

export class PatchError extends Error {}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, tokens: string[]): { parent: Json; key: string } {
  let node: Json = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[Number(token)] as Json;
    else if (isObject(node)) node = node[token] as Json;
    else node = undefined as unknown as Json;
    if (node === undefined) throw new PatchError(`doc is missing path: "/${tokens.join('/')}": missing value`);
  }
  return { parent: node, key: tokens[tokens.length - 1] ?? '' };
}

function getAt(doc: Json, tokens: string[]): Json | undefined {
  let node: Json | undefined = doc;
  for (const token of tokens) {
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isObject(node)) node = node[token];
    else return undefined;
  }
  return node;
}

function setAt(doc: Json, tokens: string[], value: Json, mode: 'add' | 'replace'): Json {
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(doc, tokens);
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) throw new PatchError(`index out of range: ${key}`);
    if (mode === 'add') parent.splice(index, 0, value);
    else {
      if (index >= parent.length) throw new PatchError(`index out of range: ${key}`);
      parent[index] = value;
    }
  } else if (isObject(parent)) {
    if (mode === 'replace' && !(key in parent))
      throw new PatchError(`replace operation does not apply: doc is missing key: /${tokens.join('/')}: missing value`);
    parent[key] = value;
  } else throw new PatchError(`doc is missing path: "/${tokens.join('/')}"`);
  return doc;
}

function removeAt(doc: Json, tokens: string[]): Json | undefined {
  const { parent, key } = parentOf(doc, tokens);
  if (Array.isArray(parent)) {
    const index = Number(key);
    if (!(index >= 0 && index < parent.length)) throw new PatchError(`remove operation does not apply: doc is missing path: /${tokens.join('/')}`);
    return parent.splice(index, 1)[0];
  }
  if (isObject(parent) && key in parent) {
    const value = parent[key];
    delete parent[key];
    return value;
  }
  throw new PatchError(`remove operation does not apply: doc is missing path: /${tokens.join('/')}`);
}

/** RFC 6902. */
export function applyJsonPatch(document: JsonObject, patch: Json): JsonObject {
  if (!Array.isArray(patch)) throw new PatchError('json patch must be an array of operations');
  let doc: Json = clone(document);
  for (const raw of patch) {
    const op = obj(raw);
    const path = parsePointer(String(op.path ?? ''));
    switch (op.op) {
      case 'add':
        doc = setAt(doc, path, clone(op.value ?? null), 'add');
        break;
      case 'replace':
        doc = setAt(doc, path, clone(op.value ?? null), 'replace');
        break;
      case 'remove':
        removeAt(doc, path);
        break;
      case 'move':
      case 'copy': {
        const from = parsePointer(String(op.from ?? ''));
        const value = op.op === 'move' ? removeAt(doc, from) : clone(getAt(doc, from) ?? null);
        if (value === undefined) throw new PatchError(`${String(op.op)} operation does not apply: missing "from" value`);
        doc = setAt(doc, path, value, 'add');
        break;
      }
      case 'test':
        if (!deepEqual(getAt(doc, path), op.value)) throw new PatchError(`testing value /${path.join('/')} failed: test failed`);
        break;
      default:
        throw new PatchError(`Unexpected kind: ${String(op.op)}`);
    }
  }
  if (!isObject(doc)) throw new PatchError('patch result is not an object');
  return doc;
}

/** RFC 7386. */
export function applyMergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const result: JsonObject = isObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

/**
 * Merge keys of the built-in types this emulator serves (what the Go structs' patchMergeKey tags say).
 * `ports` depends on where it stands: containerPort in a container, port in a Service.
 */
export function mergeKeyFor(path: readonly string[], field: string): string | undefined {
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'env':
    case 'volumes':
    case 'imagePullSecrets':
      return 'name';
    case 'volumeMounts':
      return 'mountPath';
    case 'volumeDevices':
      return 'devicePath';
    case 'ports':
      return path.some((p) => p === 'containers' || p === 'initContainers') ? 'containerPort' : 'port';
    case 'conditions':
      return 'type';
    case 'ownerReferences':
      return 'uid';
    case 'hostAliases':
      return 'ip';
    default:
      return undefined;
  }
}

function keyOf(item: Json, mergeKey: string): Json | undefined {
  return isObject(item) ? item[mergeKey] : undefined;
}

function mergeList(path: string[], field: string, original: Json | undefined, patch: Json[], order: Json | undefined): Json[] {
  const mergeKey = mergeKeyFor(path, field);
  if (patch.some((p) => isObject(p) && p.$patch === 'replace')) return patch.filter((p) => !(isObject(p) && p.$patch === 'replace')).map((p) => clone(p));
  if (!mergeKey || !Array.isArray(original)) return patch.filter((p) => !(isObject(p) && p.$patch === 'delete')).map((p) => stripDirectives(clone(p)));
  const result: Json[] = original.map((item) => clone(item));
  for (const item of patch) {
    const key = keyOf(item, mergeKey);
    const index = result.findIndex((existing) => key !== undefined && deepEqual(keyOf(existing, mergeKey), key));
    if (isObject(item) && item.$patch === 'delete') {
      if (index !== -1) result.splice(index, 1);
    } else if (index === -1) result.push(stripDirectives(clone(item)));
    else result[index] = strategicMerge([...path, field], result[index], item);
  }
  if (Array.isArray(order)) {
    const rank = (item: Json): number => {
      const i = order.findIndex((o) => deepEqual(keyOf(o, mergeKey), keyOf(item, mergeKey)));
      return i === -1 ? Number.MAX_SAFE_INTEGER : i;
    };
    result.sort((a, b) => rank(a) - rank(b));
  }
  return result;
}

function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) if (!k.startsWith('$')) out[k] = stripDirectives(v);
  return out;
}

/** Strategic merge patch for the built-in types, with $patch, $setElementOrder, $retainKeys and $deleteFromPrimitiveList. */
export function strategicMerge(path: string[], original: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') return stripDirectives(clone(patch));
  if (patch.$patch === 'delete') return {};
  let result: JsonObject = isObject(original) ? clone(original) : {};
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys.filter((k): k is string => typeof k === 'string'));
    result = Object.fromEntries(Object.entries(result).filter(([k]) => keep.has(k)));
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$retainKeys' || key === '$patch' || key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const current = result[field];
      if (Array.isArray(current) && Array.isArray(value)) result[field] = current.filter((v) => !value.some((d) => deepEqual(d, v)));
      continue;
    }
    if (value === null) delete result[key];
    else if (Array.isArray(value)) result[key] = mergeList(path, key, result[key], value, patch[`$setElementOrder/${key}`]);
    else if (isObject(value)) result[key] = strategicMerge([...path, key], result[key], value);
    else result[key] = value;
  }
  for (const key of Object.keys(patch)) {
    if (!key.startsWith('$setElementOrder/')) continue;
    const field = key.slice('$setElementOrder/'.length);
    if (field in patch) continue;
    const current = result[field];
    if (Array.isArray(current)) result[field] = mergeList(path, field, current, [], patch[key]);
  }
  return result;
}
