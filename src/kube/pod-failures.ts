import { describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { KubeClient } from './client.js';
import { Informer, selectorMatches } from './informer.js';
import { type ContainerStatus, type LabelSelector, type Pod, podPath, selectorString } from './types.js';

/** Waiting reasons that do not heal by themselves while the pod template stays as it is. */
const STUCK = new Set(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'CreateContainerConfigError']);
export const CRASH_LOOP_RESTARTS = 3;

type Status = ContainerStatus & { lastState?: { terminated?: { exitCode?: number; reason?: string; message?: string } } };

function describe(pod: Pod, status: Status, reason: string): string {
  const last = status.lastState?.terminated;
  const exit = last
    ? `; last exit code ${last.exitCode ?? '?'}${last.reason ? ` (${last.reason})` : ''}${last.message ? `: ${last.message.trim().slice(0, 200)}` : ''}`
    : '';
  const restarts = status.restartCount ? `, ${status.restartCount} restarts` : '';
  const detail = status.state?.waiting?.message ? `: ${status.state.waiting.message.slice(0, 200)}` : '';
  return `pod ${pod.metadata.name}: container ${status.name} ${reason} (image ${status.image ?? '?'}${restarts})${detail}${exit}`;
}

export interface PodFailureWatch {
  /** Resolves with the first failure that will not heal by itself; never rejects. */
  failed: Promise<string>;
  stop(): void;
}

/**
 * Watches the pods of one ReplicaSet (by pod-template-hash) while its rollout runs: a container
 * waiting in ImagePullBackOff, ErrImagePull, InvalidImageName or CreateContainerConfigError for
 * `failAfterMs`, or in CrashLoopBackOff after 3 restarts, fails the rollout then — not at the
 * progress deadline (kubernetes/kubectl#738). A timer per stuck container fires at its own moment.
 */
export function watchPodFailures(
  client: KubeClient,
  options: {
    namespace: string;
    /** The new ReplicaSet's pods: the deployment's selector with its pod-template-hash. */
    selector: LabelSelector;
    failAfterMs: number;
    log: Logger;
    signal: AbortSignal;
    /** The run's shared informer of the namespace's pods; without it, one of these pods alone. */
    pods?: Informer<Pod>;
  },
): PodFailureWatch {
  const firstSeen = new Map<string, number>();
  const timers = new Map<string, NodeJS.Timeout>();
  const latest = new Map<string, Pod>();
  let resolve: (message: string) => void = () => undefined;
  const failed = new Promise<string>((r) => (resolve = r));

  const statusOf = (pod: Pod, container: string): Status | undefined =>
    [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find((s) => s.name === container);
  const judge = (pod: Pod): void => {
    for (const status of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])] as Status[]) {
      const key = `${pod.metadata.name}/${status.name}`;
      const reason = status.state?.waiting?.reason ?? '';
      if (reason === 'CrashLoopBackOff' && (status.restartCount ?? 0) >= CRASH_LOOP_RESTARTS) {
        resolve(describe(pod, status, reason));
        return;
      }
      if (!STUCK.has(reason)) {
        firstSeen.delete(key);
        clearTimeout(timers.get(key));
        timers.delete(key);
        continue;
      }
      if (firstSeen.has(key)) continue;
      firstSeen.set(key, Date.now());
      const timer = setTimeout(() => {
        const now = latest.get(pod.metadata.name);
        const still = now ? statusOf(now, status.name) : undefined;
        const stuck = still?.state?.waiting?.reason;
        if (now && still && stuck && STUCK.has(stuck)) resolve(`${describe(now, still, stuck)} for ${Math.round(options.failAfterMs / 1000)}s (fail-after)`);
      }, options.failAfterMs);
      timer.unref();
      timers.set(key, timer);
    }
  };
  const see = (pod: Pod, deleted = false): void => {
    if (deleted) {
      latest.delete(pod.metadata.name);
      return;
    }
    latest.set(pod.metadata.name, pod);
    judge(pod);
  };

  // a refused pod watch only loses the early warning: the rollout's own wait decides the outcome
  const informer = options.pods ?? new Informer<Pod>(client, podPath(options.namespace), { labelSelector: selectorString(options.selector) }, options);
  const unsubscribe = informer.subscribe(
    (pod) => selectorMatches(options.selector, pod.metadata.labels),
    (event) => see(event.object, event.type === 'DELETED'),
    (error) => options.log.debug(`pod watch: ${describeError(error)}`),
  );
  return {
    failed,
    stop() {
      unsubscribe();
      if (!options.pods) informer.stop();
      for (const timer of timers.values()) clearTimeout(timer);
    },
  };
}
