import type { Container, Deployment } from './types.js';

/** Each container's current value of each variable; null when it is not set. */
export type EnvSnapshot = Record<string, Record<string, string | null>>;

export function envSnapshot(deployment: Deployment, names: string[]): EnvSnapshot {
  const snapshot: EnvSnapshot = {};
  for (const container of deployment.spec.template.spec?.containers ?? []) {
    snapshot[container.name] = Object.fromEntries(names.map((n) => [n, container.env?.find((e) => e.name === n)?.value ?? null]));
  }
  return snapshot;
}

/**
 * The strategic merge patch `kubectl set env` sends: changed variables per container (a null value
 * removes the variable), with $setElementOrder lists for containers and env. Undefined when nothing changes.
 */
export function envPatch(deployment: Deployment, wanted: Record<string, Record<string, string | null>>): object | undefined {
  const containers: object[] = [];
  const all: Container[] = deployment.spec.template.spec?.containers ?? [];
  for (const container of all) {
    const want = wanted[container.name];
    if (!want) continue;
    const current = container.env ?? [];
    const changes: object[] = [];
    const order = current.map((e) => e.name);
    for (const [name, value] of Object.entries(want)) {
      const existing = current.find((e) => e.name === name);
      if (value === null) {
        if (existing) {
          changes.push({ name, $patch: 'delete' });
          order.splice(order.indexOf(name), 1);
        }
      } else if (!existing) {
        changes.push({ name, value });
        order.push(name);
      } else if (existing.value !== value || existing.valueFrom !== undefined) {
        changes.push({ name, value, ...(existing.valueFrom !== undefined ? { valueFrom: null } : {}) });
      }
    }
    if (changes.length) containers.push({ name: container.name, env: changes, '$setElementOrder/env': order.map((name) => ({ name })) });
  }
  if (!containers.length) return undefined;
  return { spec: { template: { spec: { containers, '$setElementOrder/containers': all.map((c) => ({ name: c.name })) } } } };
}
