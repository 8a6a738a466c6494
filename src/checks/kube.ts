import type { KubeClient } from '../kube/client.js';
import { podProblems } from '../kube/pods.js';
import { rolloutState } from '../kube/rollout-status.js';
import { type Deployment, deploymentPath, type List, type Pod, podPath } from '../kube/types.js';
import { type Check, errorText } from './types.js';

export async function listDeployments(client: KubeClient, namespace: string): Promise<string[]> {
  return (await client.get<List<Deployment>>(deploymentPath(namespace))).items.map((d) => d.metadata.name);
}

/** Each named deployment must be Available with every replica ready. */
export function deploymentChecks(client: KubeClient, namespace: string, names: string[]): Check[] {
  return names.map((name) => ({
    name: `deployment:${name}`,
    service: name,
    async run(signal) {
      try {
        const d = await client.get<Deployment>(deploymentPath(namespace, name), undefined, signal);
        const desired = d.spec.replicas ?? 1;
        const ready = d.status?.readyReplicas ?? 0;
        const available = d.status?.conditions?.find((c) => c.type === 'Available');
        const state = rolloutState(d);
        const problems = [
          available?.status === 'True' ? undefined : `not Available (${available?.reason ?? 'no condition'})`,
          ready < desired ? `${ready}/${desired} replicas ready` : undefined,
          state.failure,
        ].filter(Boolean);
        if (problems.length) {
          const pods = await client.get<List<Pod>>(
            podPath(namespace),
            {
              labelSelector: Object.entries(d.spec.selector.matchLabels ?? {})
                .map(([k, v]) => `${k}=${v}`)
                .join(','),
            },
            signal,
          );
          problems.push(...podProblems(pods.items));
        }
        return { ok: problems.length === 0, detail: problems.length ? `${name}: ${problems.join('; ')}` : `${name}: ${ready}/${desired} ready, Available` };
      } catch (error) {
        return { ok: false, detail: `${name}: ${errorText(error)}` };
      }
    },
  }));
}

/** No pod of the given deployments in CrashLoopBackOff / ImagePullBackOff; restarts are reported. */
export function podsCheck(client: KubeClient, namespace: string, services: string[]): Check {
  return {
    name: 'pods',
    service: undefined,
    async run(signal) {
      try {
        const pods = (await client.get<List<Pod>>(podPath(namespace), undefined, signal)).items.filter(
          (p) => !services.length || services.some((s) => p.metadata.labels?.app === s || p.metadata.name.startsWith(`${s}-`)),
        );
        const problems = podProblems(pods);
        const restarts = pods.flatMap((p) =>
          (p.status?.containerStatuses ?? []).filter((c) => (c.restartCount ?? 0) > 0).map((c) => `${p.metadata.name}/${c.name}: ${c.restartCount} restarts`),
        );
        const affects = [...new Set(problems.map((line) => services.find((s) => line.startsWith(`pod ${s}-`))).filter((s): s is string => Boolean(s)))];
        return {
          ok: problems.length === 0,
          detail: problems.length ? problems.join('; ') : `${pods.length} pods healthy${restarts.length ? `; restarts: ${restarts.join(', ')}` : ''}`,
          ...(affects.length ? { affects } : {}),
        };
      } catch (error) {
        return { ok: false, detail: errorText(error) };
      }
    },
  };
}
