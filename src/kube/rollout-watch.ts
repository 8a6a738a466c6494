import { sleep } from '../core/durations.js';
import type { Logger } from '../core/logger.js';
import { backoffDelay, DEFAULT_RETRY_POLICY } from '../core/retry.js';
import { classifyKubeError, type KubeClient } from './client.js';
import { type RolloutState, rolloutState } from './rollout-status.js';
import { type Deployment, deploymentPath } from './types.js';

export interface RolloutWaitOptions {
  signal: AbortSignal;
  log: Logger;
  /** Minimum time between two progress lines of one deployment. */
  progressIntervalMs?: number;
}

export interface RolloutOutcome {
  state: RolloutState;
  deployment: Deployment;
}

/**
 * Waits for a rollout with a watch from the given object's resourceVersion, applying kubectl's
 * rollout-status rules. A dropped watch resumes from the last resourceVersion; 410 Gone re-reads.
 * Resolves with the final state (done, or failed); rejects only when `signal` aborts.
 */
export async function waitForRollout(client: KubeClient, initial: Deployment, options: RolloutWaitOptions): Promise<RolloutOutcome> {
  const { name, namespace = '' } = initial.metadata;
  const interval = options.progressIntervalMs ?? 2000;
  let current = initial;
  let resourceVersion = initial.metadata.resourceVersion;
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
  let state = rolloutState(current);
  report(state);
  let failures = 0;
  while (!state.done && !state.failure) {
    options.signal.throwIfAborted();
    let expired = false;
    try {
      const result = await client.watch<Deployment>(
        deploymentPath(namespace),
        { fieldSelector: `metadata.name=${name}`, resourceVersion, allowWatchBookmarks: 'true', timeoutSeconds: '290' },
        (event) => {
          if (event.type === 'ERROR') {
            expired = true;
            return true;
          }
          if (event.type === 'BOOKMARK') return false;
          if (event.type === 'DELETED') {
            state = { done: false, message: `deployment "${name}" was deleted`, failure: `deployment "${name}" was deleted during the rollout` };
            return true;
          }
          current = event.object;
          state = rolloutState(current);
          report(state);
          return state.done || Boolean(state.failure);
        },
        options.signal,
      );
      resourceVersion = result.resourceVersion ?? resourceVersion;
      failures = 0;
      if (!result.stopped && !state.done && !state.failure) options.log.debug(`${name}: watch closed; resuming from resourceVersion ${resourceVersion}`);
    } catch (error) {
      options.signal.throwIfAborted();
      if (!classifyKubeError(error).retry) throw error;
      failures++;
      options.log.info(`  ${name}: watch interrupted (${error instanceof Error ? error.message : String(error)}); reading the deployment, then resuming`);
      await sleep(backoffDelay(Math.min(failures, 6), DEFAULT_RETRY_POLICY), options.signal);
      // a watch that keeps failing must not hide a finished rollout: read the live state each time
      expired = true;
    }
    if (expired) {
      current = await client.get<Deployment>(deploymentPath(namespace, name), undefined, options.signal);
      resourceVersion = current.metadata.resourceVersion;
      state = rolloutState(current);
      report(state);
    }
  }
  return { state, deployment: current };
}
