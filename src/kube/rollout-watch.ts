import type { Logger } from '../core/logger.js';
import type { KubeClient } from './client.js';
import { Informer } from './informer.js';
import { type RolloutState, rolloutState } from './rollout-status.js';
import type { Deployment } from './types.js';
import { type WorkloadKind, workloadPath } from './workload.js';

export interface RolloutWaitOptions {
  /** The workload's kind: its status rules and its API path (list items carry no kind). */
  kind?: WorkloadKind;
  signal: AbortSignal;
  log: Logger;
  /** Minimum time between two progress lines of one deployment. */
  progressIntervalMs?: number;
  /** The run's shared informer of the namespace's deployments; without it, one of this deployment alone. */
  deployments?: Informer<Deployment>;
}

export interface RolloutOutcome {
  state: RolloutState;
  deployment: Deployment;
}

/**
 * Waits for a rollout through an informer of deployments (the run's shared one, or one of this
 * deployment alone), applying kubectl's rollout-status rules to each change. Objects older than
 * `initial` (a lower generation: the cache from before the patch) are not judged. Resolves with
 * the final state (done, or failed); rejects when `signal` aborts or the API refuses the watch.
 */
export async function waitForRollout(client: KubeClient, initial: Deployment, options: RolloutWaitOptions): Promise<RolloutOutcome> {
  const { name, namespace = '' } = initial.metadata;
  const interval = options.progressIntervalMs ?? 2000;
  let lastMessage = '';
  let lastLogged = 0;
  const report = (state: RolloutState): void => {
    const now = Date.now();
    if (state.message !== lastMessage && (now - lastLogged >= interval || state.done || state.failure)) {
      options.log.info(`  ${name}: ${state.message}`);
      lastMessage = state.message;
      lastLogged = now;
    }
  };
  const kind = options.kind ?? 'deployment';
  const first = rolloutState(initial, kind);
  report(first);
  if (first.done || first.failure) return { state: first, deployment: initial };
  const informer = options.deployments ?? new Informer<Deployment>(client, workloadPath(namespace, kind), { fieldSelector: `metadata.name=${name}` }, options);
  const generation = initial.metadata.generation ?? 0;
  let unsubscribe = (): void => undefined;
  let onAbort = (): void => undefined;
  try {
    return await new Promise<RolloutOutcome>((resolve, reject) => {
      onAbort = () => reject(options.signal.reason);
      options.signal.addEventListener('abort', onAbort, { once: true });
      if (options.signal.aborted) onAbort();
      unsubscribe = informer.subscribe(
        (deployment) => deployment.metadata.name === name,
        (event) => {
          if (event.type === 'DELETED') {
            const failure = `deployment "${name}" was deleted during the rollout`;
            resolve({ state: { done: false, message: `deployment "${name}" was deleted`, failure }, deployment: event.object });
            return;
          }
          if ((event.object.metadata.generation ?? 0) < generation) return;
          const state = rolloutState(event.object, kind);
          report(state);
          if (state.done || state.failure) resolve({ state, deployment: event.object });
        },
        reject,
      );
    });
  } finally {
    unsubscribe();
    options.signal.removeEventListener('abort', onAbort);
    if (!options.deployments) informer.stop();
  }
}
