import fs from 'node:fs';
import path from 'node:path';
import { afterEach } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { type KubeEmulator, type KubeEmulatorOptions, runbookFixture, startKubeEmulator } from '../../src/sandbox/kube/index.js';
import { findResource } from '../../src/sandbox/kube/resources.js';
import { type KubeObject, meta, obj, stringMap } from '../../src/sandbox/kube/types.js';

export const NS = 'keiko-production';
export const DEPLOYMENTS = findResource('apps', 'v1', 'deployments')!;
export const REPLICA_SETS = findResource('apps', 'v1', 'replicasets')!;
export const LEASES = findResource('coordination.k8s.io', 'v1', 'leases')!;

export function liveImage(emulator: KubeEmulator, name: string, namespace = NS): string {
  const d = emulator.store.get(DEPLOYMENTS, namespace, name)!;
  return String(obj((obj(obj(obj(d.spec).template).spec).containers as never[])[0]).image);
}

export function revisionAnnotation(object: KubeObject): string | undefined {
  return stringMap(meta(object).annotations)['deployment.kubernetes.io/revision'];
}

/** Writes the emulator saw (dry runs included), without the controller's own. */
export function writes(emulator: KubeEmulator): { verb: string; resource: string | undefined; dryRun: boolean }[] {
  return emulator.requests
    .filter((r) => ['create', 'update', 'patch', 'delete', 'deletecollection'].includes(r.verb))
    .map((r) => ({ verb: r.verb, resource: r.resource, dryRun: r.query.dryRun === 'All' }));
}

/** For a test file: `start()` gives a fresh emulator (the runbook's fixture unless told), closed after each test. */
export function kubeEmulators(): (options?: KubeEmulatorOptions) => Promise<KubeEmulator> {
  let started: KubeEmulator[] = [];
  afterEach(async () => {
    await Promise.all(started.map((e) => e.close()));
    started = [];
  });
  return async (options = {}) => {
    const e = await startKubeEmulator({ fixture: runbookFixture(), ...options });
    started.push(e);
    return e;
  };
}

/** One kubeconfig holding several emulators, each under its own context name (as a platform with several clusters has). */
export function kubeconfigOf(clusters: Record<string, { kubeconfig: string }>): string {
  type Named = { name: string; [key: string]: unknown };
  const merged: { clusters: Named[]; users: Named[]; contexts: Named[] } = { clusters: [], users: [], contexts: [] };
  for (const [name, emulator] of Object.entries(clusters)) {
    const config = parseYaml(emulator.kubeconfig) as { clusters: Named[]; users: Named[]; contexts: { context: Record<string, unknown> }[] };
    merged.clusters.push({ ...config.clusters[0], name });
    merged.users.push({ ...config.users[0], name });
    merged.contexts.push({ name, context: { ...config.contexts[0]?.context, cluster: name, user: name } });
  }
  return stringifyYaml({ apiVersion: 'v1', kind: 'Config', ...merged, 'current-context': Object.keys(clusters)[0] });
}

/**
 * The requests the emulator saw that a shipped Role (deploy/rbac/<file>) does not allow, as `verb group/resource`;
 * `only` limits the check to requests of those resources (another Role covers the rest).
 */
export function notAllowedBy(emulator: KubeEmulator, roleFile: string, only?: string[]): string[] {
  const role = parseYaml(fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'deploy', 'rbac', roleFile), 'utf8')) as {
    rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  };
  const used = new Set(
    emulator.requests.filter((r) => r.resource && (!only || only.includes(r.resource))).map((r) => `${r.verb} ${r.group ?? ''}/${r.resource}`),
  );
  return [...used].filter((key) => {
    const [verb = '', gr = ''] = key.split(' ');
    const [group = '', resource = ''] = gr.split('/');
    return !role.rules.some((rule) => rule.apiGroups.includes(group) && rule.resources.includes(resource) && rule.verbs.includes(verb));
  });
}

/** The distinct `verb resource` pairs the emulator saw for these resources (to show a Role's new verbs are all used). */
export function verbsUsed(emulator: KubeEmulator, resources: string[]): string[] {
  return [...new Set(emulator.requests.filter((r) => resources.includes(r.resource ?? '')).map((r) => `${r.verb} ${r.resource}`))].sort();
}
