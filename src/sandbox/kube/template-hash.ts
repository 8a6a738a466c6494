import { createHash, randomBytes } from 'node:crypto';
import { clone, isObject, type Json, type JsonObject, type KubeObject, meta, obj, str, stringMap } from './types.js';

// What the deployment controller computes from objects alone: revisions, the pod-template hash, owner references.
export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const HASH_LABEL = 'pod-template-hash';
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function safeEncode(text: string): string {
  return [...Buffer.from(text)].map((b) => SAFE_ALPHABET[b % SAFE_ALPHABET.length]).join('');
}

/** The template as the controller compares it: no hash label, no zero-valued creationTimestamp. */
export function templateWithoutHash(template: Json | undefined): JsonObject {
  const copy = clone(obj(template));
  const metadata = obj(copy.metadata);
  const labels = obj(metadata.labels);
  delete labels[HASH_LABEL];
  delete metadata.creationTimestamp;
  copy.metadata = metadata;
  return copy;
}

const templateKeys = new WeakMap<object, string>();

function canonical(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k] ?? null)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The template without its hash as one comparable string, computed once per stored template: the
 * controller compares every ReplicaSet's template with its deployment's on every tick, and stored
 * objects are replaced on write, never changed in place.
 */
export function templateKey(template: Json | undefined): string {
  if (!isObject(template)) return canonical(templateWithoutHash(template));
  let key = templateKeys.get(template);
  if (key === undefined) templateKeys.set(template, (key = canonical(templateWithoutHash(template))));
  return key;
}

/** fnv-1a (32 bit) of the template, safe-encoded like the real controller's ComputeHash. */
export function podTemplateHash(template: Json | undefined): string {
  const digest = createHash('sha256')
    .update(JSON.stringify(templateWithoutHash(template)))
    .digest();
  return safeEncode(String(digest.readUInt32BE(0)));
}

export function randomSuffix(): string {
  return [...randomBytes(5)].map((b) => SAFE_ALPHABET[b % SAFE_ALPHABET.length]).join('');
}

export function revisionOf(rs: KubeObject): number {
  return Number(stringMap(meta(rs).annotations)[REVISION] ?? 0) || 0;
}

export function controllerUid(object: KubeObject): string | undefined {
  const refs = Array.isArray(meta(object).ownerReferences) ? (meta(object).ownerReferences as Json[]) : [];
  const ref = refs.filter(isObject).find((r) => r.controller === true);
  return ref ? str(ref.uid) : undefined;
}

export function ownerReference(owner: KubeObject, kind: string): JsonObject {
  return { apiVersion: 'apps/v1', kind, name: meta(owner).name ?? '', uid: meta(owner).uid ?? '', controller: true, blockOwnerDeletion: true };
}
