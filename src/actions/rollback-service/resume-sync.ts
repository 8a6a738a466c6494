import type { ActionContext, ActionResult } from '../../core/action.js';
import { markdownTable } from '../../core/summary.js';
import { resumeAutoSync, suspendedFor } from '../../kube/argocd.js';
import type { KubeClient } from '../../kube/client.js';
import { resolveNamespace } from '../../kube/connection.js';
import { detectManager } from '../../kube/ownership.js';
import type { Deployment } from '../../kube/types.js';
import { missingWorkload, workloadOf, workloadPath } from '../../kube/workload.js';
import { type ClusterTarget, eachClusterService, modeResult, resultName } from './each-service.js';
import type { RollbackServiceInputs, RollbackServiceOutput } from './inputs.js';

export interface ResumeResult {
  service: string;
  context?: string | undefined;
  application: string;
  status: 'resumed' | 'unchanged' | 'failed';
  message: string;
}

async function resumeService(client: KubeClient, namespace: string, service: string, argocdNamespace: string, signal: AbortSignal): Promise<ResumeResult> {
  const ref = workloadOf(service);
  const workload = await client.get<Deployment>(workloadPath(namespace, ref), undefined, signal).catch(missingWorkload(service, namespace, 'services'));
  // the tracking annotation names the Application; without it (a rollback to a revision made before Argo CD tracked
  // the workload replaces its annotations) the Application is found by the record suspend left on it
  const tracked = detectManager(workload)?.application;
  const found = tracked ? undefined : (await suspendedFor(client, argocdNamespace, `${namespace}/${service}`, signal))[0];
  const app = tracked ?? (found ? { name: found, namespace: argocdNamespace } : undefined);
  if (!app)
    return {
      service,
      application: '',
      status: 'unchanged',
      message: 'not managed by an Argo CD Application, and none has a sync suspended for it; nothing to resume',
    };
  const outcome = await resumeAutoSync(client, app.namespace ?? argocdNamespace, app.name, signal);
  if (outcome.status === 'resumed')
    return { service, application: app.name, status: 'resumed', message: `automated sync ${JSON.stringify(outcome.automated)} put back exactly as it was` };
  if (outcome.status === 'changed-since')
    return {
      service,
      application: app.name,
      status: 'unchanged',
      message: `automated sync was turned on again since (${JSON.stringify(outcome.now)}): left as it is, the remembered policy not applied`,
    };
  return { service, application: app.name, status: 'unchanged', message: 'no suspended sync recorded on it; nothing to resume' };
}

/** mode: resume-sync — the Argo CD policies `on-managed: suspend-sync` turned off, put back exactly. */
export async function resumeMain(
  inputs: RollbackServiceInputs,
  context: ActionContext,
  clusters: ClusterTarget[],
): Promise<ActionResult<RollbackServiceOutput>> {
  const namespace = resolveNamespace(inputs) ?? '';
  const argocd = inputs['argocd-namespace'] ?? 'argocd';
  const results = await eachClusterService(
    { name: 'Resume sync', title: `Resume Argo CD sync for ${inputs.services.length} workload(s) in ${namespace}` },
    inputs,
    context,
    clusters,
    (kube, service) => resumeService(kube, namespace, service, argocd, context.clock.signal),
    (service, message): ResumeResult => ({ service, application: '', status: 'failed', message }),
  );
  const rows = results.map((r) => [resultName(r), r.application || '—', r.status, r.message]);
  const icon = results.some((r) => r.status === 'failed') ? '❌' : '🔁';
  return modeResult(
    'resume-sync',
    results,
    `## ${icon} Argo CD sync resumed in \`${namespace}\`\n\n${markdownTable(['Workload', 'Application', 'Status', 'Details'], rows)}\n`,
  );
}
