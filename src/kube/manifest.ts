import fs from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { ConfigurationError } from '../core/errors.js';

export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: unknown;
  [key: string]: unknown;
}

const ALLOWED = new Set(['networking.k8s.io/v1/Ingress', 'v1/Service']);
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function objectKey(o: { kind: string; metadata: { name: string } }): string {
  return `${o.kind}/${o.metadata.name}`;
}

/** Parses and checks the backup-ingress manifest: only Ingress and Service, only the target namespace. */
export function readRerouteManifest(file: string, namespace: string, input: string): ManifestObject[] {
  if (!fs.existsSync(file))
    throw new ConfigurationError(`${file} does not exist: commit the backup ingress manifest, or set the input empty to skip it`, input);
  const documents = parseAllDocuments(fs.readFileSync(file, 'utf8'));
  const objects: ManifestObject[] = [];
  for (const doc of documents) {
    if (doc.errors.length) throw new ConfigurationError(`is not valid YAML (${doc.errors[0]?.message.split('\n')[0]})`, input);
    const value = doc.toJS() as ManifestObject | null;
    if (value === null || value === undefined) continue;
    const kind = `${value.apiVersion}/${value.kind}`;
    if (!ALLOWED.has(kind)) {
      throw new ConfigurationError(
        `contains ${value.kind ?? 'an object without kind'}${value.metadata?.name ? ` "${value.metadata.name}"` : ''}: only networking.k8s.io/v1 Ingress and v1 Service objects may be rerouted`,
        input,
      );
    }
    const name: unknown = value.metadata?.name;
    if (typeof name !== 'string' || !name) throw new ConfigurationError(`has a ${value.kind} without a metadata.name string`, input);
    // the name becomes part of an API path: only a DNS-1123 name, never "../x" or "a/b"
    if (name.length > 253 || !DNS_SUBDOMAIN.test(name))
      throw new ConfigurationError(
        `has ${value.kind} "${name}", which is not a valid Kubernetes name (lowercase letters, digits, '-' and '.', at most 253 characters); nothing was written`,
        input,
      );
    const ns: unknown = value.metadata.namespace;
    if (ns !== undefined && (typeof ns !== 'string' || ns !== namespace)) {
      throw new ConfigurationError(
        `puts ${objectKey(value)} in namespace "${String(ns)}", not the target namespace "${namespace}"; nothing was written`,
        input,
      );
    }
    objects.push({ ...value, metadata: { ...value.metadata, namespace } });
  }
  if (objects.length === 0) throw new ConfigurationError('holds no objects', input);
  return objects;
}

export function resourcePath(o: { apiVersion: string; kind: string }, namespace: string, name?: string): string {
  const base = o.kind === 'Ingress' ? `/apis/networking.k8s.io/v1/namespaces/${namespace}/ingresses` : `/api/v1/namespaces/${namespace}/services`;
  return name ? `${base}/${name}` : base;
}
