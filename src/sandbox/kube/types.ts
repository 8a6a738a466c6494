export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A stored Kubernetes object; fields are read through the helpers below. */
export type KubeObject = JsonObject;

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function obj(value: Json | undefined): JsonObject {
  return isObject(value) ? value : {};
}

export function meta(object: KubeObject): JsonObject {
  if (!isObject(object.metadata)) object.metadata = {};
  return object.metadata as JsonObject;
}

export function str(value: Json | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function num(value: Json | undefined): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

export function stringMap(value: Json | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(value))) if (typeof v === 'string') out[k] = v;
  return out;
}

/**
 * A deep copy of a JSON value. Written out rather than structuredClone: the store copies every object it
 * keeps and hands out, and a fleet's rollout makes thousands of copies, which structuredClone's
 * serializer made the emulator's largest cost.
 */
export function clone<T extends Json>(value: T): T {
  return copyJson(value) as T;
}

function copyJson(value: Json): Json {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyJson);
  const out: JsonObject = {};
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    // a "__proto__" key parsed from a request body is data, never the copy's prototype
    if (key === '__proto__') Object.defineProperty(out, key, { value: copyJson(value[key] as Json), enumerable: true, writable: true, configurable: true });
    else out[key] = copyJson(value[key] as Json);
  }
  return out;
}

export function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || a === undefined || b === undefined) return false;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (typeof a === 'object' && typeof b === 'object' && !Array.isArray(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}
