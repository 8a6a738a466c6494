import { mergeKeyFor, strategicMerge } from './patch.js';
import { clone, deepEqual, isObject, type Json, type JsonObject, type KubeObject, meta, obj, str } from './types.js';

/**
 * Server-side apply with field ownership, enough of structured-merge-diff for conflicts and
 * for removing fields a manager stopped applying. Paths are arrays of `f:<field>` / `k:<json key>` segments.
 */
type FieldPath = string[];

const TOP_LEVEL_SKIP = new Set(['apiVersion', 'kind', 'status']);
const METADATA_KEEP = new Set(['labels', 'annotations']);

function collectFields(value: Json, path: FieldPath, names: string[], out: FieldPath[]): void {
  if (isObject(value)) {
    const entries = Object.entries(value).filter(([key]) => {
      if (path.length === 0) return !TOP_LEVEL_SKIP.has(key);
      if (path.length === 1 && path[0] === 'f:metadata') return METADATA_KEEP.has(key);
      return true;
    });
    if (entries.length === 0 && path.length > 0) out.push(path);
    for (const [key, child] of entries) collectFields(child, [...path, `f:${key}`], [...names, key], out);
    return;
  }
  if (Array.isArray(value)) {
    const field = names[names.length - 1] ?? '';
    const mergeKey = mergeKeyFor(names.slice(0, -1), field);
    if (!mergeKey) return void out.push(path);
    for (const item of value) {
      const key = isObject(item) ? item[mergeKey] : undefined;
      const itemPath = [...path, `k:${JSON.stringify({ [mergeKey]: key ?? null })}`];
      out.push([...itemPath, '.']);
      collectFields(item, itemPath, names, out);
    }
    return;
  }
  out.push(path);
}

export function fieldPathsOf(object: KubeObject): FieldPath[] {
  const out: FieldPath[] = [];
  collectFields(object, [], [], out);
  return out.filter((p) => p.length > 0 && !(p.length === 1 && p[0] === 'f:metadata'));
}

/** A `k:{"name":"x"}` segment as its key field and value (parsed once: the same segments recur on every write). */
const itemKeys = new Map<string, [string, Json]>();
function itemKey(segment: string): [string, Json] {
  let parsed = itemKeys.get(segment);
  if (!parsed) {
    parsed = (Object.entries(obj(JSON.parse(segment.slice(2)) as Json))[0] ?? ['', null]) as [string, Json];
    itemKeys.set(segment, parsed);
  }
  return parsed;
}

function valueAt(object: Json | undefined, path: FieldPath): Json | undefined {
  let node: Json | undefined = object;
  for (const segment of path) {
    if (segment === '.') return node;
    if (segment.startsWith('f:')) node = isObject(node) ? node[segment.slice(2)] : undefined;
    else {
      const [name, wanted] = itemKey(segment);
      node = Array.isArray(node) ? node.find((item) => isObject(item) && deepEqual(item[name], wanted)) : undefined;
    }
    if (node === undefined) return undefined;
  }
  return node;
}

function removeAt(object: JsonObject, path: FieldPath): void {
  const last = path[path.length - 1];
  const parentPath = last === '.' ? path.slice(0, -2) : path.slice(0, -1);
  const target = last === '.' ? path[path.length - 2] : last;
  const parent = valueAt(object, parentPath);
  if (!target) return;
  if (target.startsWith('f:') && isObject(parent)) delete parent[target.slice(2)];
  else if (target.startsWith('k:') && Array.isArray(parent)) {
    const [name, wanted] = itemKey(target);
    const index = parent.findIndex((item) => isObject(item) && deepEqual(item[name], wanted));
    if (index !== -1) parent.splice(index, 1);
  }
}

const key = (path: FieldPath): string => path.join('\u0000');

export interface ManagedEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fields: Set<string>;
}

export function readManagedFields(object: KubeObject): ManagedEntry[] {
  const entries = meta(object).managedFields;
  if (!Array.isArray(entries)) return [];
  return entries.filter(isObject).map((entry) => ({
    manager: str(entry.manager) ?? 'unknown',
    operation: entry.operation === 'Apply' ? 'Apply' : 'Update',
    apiVersion: str(entry.apiVersion) ?? '',
    time: str(entry.time) ?? '',
    fields: new Set(flattenFieldsV1(obj(entry.fieldsV1), []).map(key)),
  }));
}

function flattenFieldsV1(tree: JsonObject, path: FieldPath): FieldPath[] {
  const out: FieldPath[] = [];
  for (const [segment, child] of Object.entries(tree)) {
    const next = [...path, segment];
    const children = obj(child);
    if (segment === '.' || Object.keys(children).length === 0) out.push(next);
    if (Object.keys(children).length > 0) out.push(...flattenFieldsV1(children, next));
  }
  return out;
}

function toFieldsV1(fields: Set<string>): JsonObject {
  const root: JsonObject = {};
  for (const field of [...fields].sort()) {
    let node = root;
    for (const segment of field.split('\u0000')) {
      if (!isObject(node[segment])) node[segment] = {};
      node = node[segment] as JsonObject;
    }
  }
  return root;
}

export function writeManagedFields(object: KubeObject, entries: ManagedEntry[]): void {
  meta(object).managedFields = entries
    .filter((e) => e.fields.size > 0)
    .map((e) => ({
      manager: e.manager,
      operation: e.operation,
      apiVersion: e.apiVersion,
      time: e.time,
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(e.fields),
    }));
}

export interface ApplyConflict {
  manager: string;
  field: string;
}

function displayPath(path: string): string {
  return path
    .split('\u0000')
    .filter((s) => s !== '.')
    .map((s) =>
      s.startsWith('f:')
        ? `.${s.slice(2)}`
        : `[${s
            .slice(2)
            .replace(/^\{"?|"?\}$/g, '')
            .replace('":', '=')}]`,
    )
    .join('');
}

/** Records an Update by `manager`: it owns every field it changed; nobody owns fields that are gone. */
export function recordUpdate(previous: KubeObject | undefined, next: KubeObject, manager: string, apiVersion: string): void {
  const entries = previous ? readManagedFields(previous) : [];
  const paths = fieldPathsOf(next);
  const present = new Set(paths.map(key));
  const changed = paths.filter((p) => !previous || !deepEqual(valueAt(previous, p), valueAt(next, p)));
  // a set, not a scan per owned field: fifty rollbacks at once write fifty deployments in a burst
  const changedKeys = new Set(changed.map(key));
  for (const entry of entries) {
    const takenOver = (field: string): boolean => changedKeys.has(field) && entry.manager !== manager;
    for (const field of [...entry.fields]) if (!present.has(field) || takenOver(field)) entry.fields.delete(field);
  }
  let own = entries.find((e) => e.manager === manager && e.operation === 'Update');
  if (!own) entries.push((own = { manager, operation: 'Update', apiVersion, time: new Date().toISOString(), fields: new Set() }));
  for (const p of changed) own.fields.add(key(p));
  own.time = new Date().toISOString();
  writeManagedFields(next, entries);
}

/** Applies `config` as `manager`; returns the merged object or the conflicts. */
export function serverSideApply(
  live: KubeObject | undefined,
  config: KubeObject,
  manager: string,
  force: boolean,
): { object: KubeObject; conflicts: ApplyConflict[] } {
  const entries = live ? readManagedFields(live) : [];
  const configPaths = fieldPathsOf(config);
  const conflicts: ApplyConflict[] = [];
  for (const entry of entries) {
    if (entry.manager === manager) continue;
    for (const p of configPaths) {
      if (entry.fields.has(key(p)) && !deepEqual(valueAt(live, p), valueAt(config, p))) conflicts.push({ manager: entry.manager, field: displayPath(key(p)) });
    }
  }
  if (conflicts.length > 0 && !force) return { object: live ?? config, conflicts };
  const merged = obj(strategicMerge([], live ? clone(live) : {}, clone(config)));
  let own = entries.find((e) => e.manager === manager && e.operation === 'Apply');
  const configKeys = new Set(configPaths.map(key));
  if (own) {
    for (const field of own.fields) {
      const ownedElsewhere = entries.some((e) => e !== own && e.fields.has(field));
      if (!configKeys.has(field) && !ownedElsewhere) removeAt(merged, field.split('\u0000'));
    }
  } else entries.push((own = { manager, operation: 'Apply', apiVersion: str(config.apiVersion) ?? '', time: '', fields: new Set() }));
  own.fields = configKeys;
  own.time = new Date().toISOString();
  if (force) for (const entry of entries) if (entry !== own) for (const field of configKeys) entry.fields.delete(field);
  writeManagedFields(merged, entries);
  return { object: merged, conflicts: [] };
}
