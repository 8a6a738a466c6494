import pMap from 'p-map';
import type { ActionContext, ActionResult } from '../../core/action.js';
import { ConfigurationError, describeError } from '../../core/errors.js';
import type { KubeClient } from '../../kube/client.js';
import type { RollbackServiceInputs, RollbackServiceOutput } from './inputs.js';

export interface ClusterTarget {
  context: string | undefined;
  kube: KubeClient;
}

/**
 * The modes that act on each service of each cluster (snapshot, resume-sync), as the run's one phase: every cluster
 * at once, up to `max-parallel` services each. A user mistake stops the run; any other failure becomes that
 * service's failed result (`failed(message)`), and each outcome is logged on one line naming its cluster.
 */
export function eachClusterService<R extends { status: string; message: string }>(
  phase: { name: string; title: string },
  inputs: Pick<RollbackServiceInputs, 'services' | 'max-parallel'>,
  context: ActionContext,
  clusters: ClusterTarget[],
  run: (kube: KubeClient, service: string) => Promise<R>,
  failed: (service: string, message: string) => R,
): Promise<(R & { context?: string })[]> {
  return context.phases.step(phase.name, () => eachService(inputs, context, clusters, run, failed), phase.title);
}

async function eachService<R extends { status: string; message: string }>(
  { services, 'max-parallel': concurrency }: Pick<RollbackServiceInputs, 'services' | 'max-parallel'>,
  context: ActionContext,
  clusters: ClusterTarget[],
  run: (kube: KubeClient, service: string) => Promise<R>,
  failed: (service: string, message: string) => R,
): Promise<(R & { context?: string })[]> {
  const perCluster = await Promise.all(
    clusters.map(({ context: name, kube }) =>
      pMap(
        services,
        async (service) => {
          const result = await run(kube, service).catch((error: unknown) => {
            if (error instanceof ConfigurationError || context.cancel.aborted) throw error;
            return failed(service, describeError(error));
          });
          context.log.info(`${result.status === 'failed' ? '✗' : '✓'} ${name ? `[${name}] ` : ''}${service}: ${result.status} (${result.message})`);
          return { ...result, ...(name ? { context: name } : {}) };
        },
        { concurrency },
      ),
    ),
  );
  return perCluster.flat();
}

/** How `failed` and `rolled-back` name a result: `service`, or `service@context` when the run covers several clusters. */
export function resultName(result: { service: string; context?: string | undefined }): string {
  return result.context ? `${result.service}@${result.context}` : result.service;
}

/** The outputs of a mode that writes no workload (snapshot, resume-sync): its results, the failed ones named, no plan. */
export function modeResult(
  mode: string,
  results: { service: string; context?: string | undefined; status: string; message: string }[],
  summary: string,
): ActionResult<RollbackServiceOutput> {
  const failed = results.filter((r) => r.status === 'failed');
  return {
    outputs: { result: JSON.stringify(results), plan: '', 'rolled-back': '', failed: failed.map(resultName).join(',') },
    summary,
    ...(failed.length ? { failure: `${mode} failed for ${failed.map((r) => `${resultName(r)}: ${r.message}`).join(' | ')}` } : {}),
  };
}
