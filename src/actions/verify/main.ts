import { annotate } from '../../checks/grafana.js';
import { runChecks } from '../../checks/runner.js';
import { DECISION_MATRIX, gradeSeverity } from '../../checks/severity.js';
import { smokeSyntaxProblem } from '../../checks/smoke.js';
import type { ActionContext, ActionResult } from '../../core/action.js';
import { formatDuration } from '../../core/durations.js';
import { ConfigurationError } from '../../core/errors.js';
import { markdownTable } from '../../core/summary.js';
import type { KubeClient } from '../../kube/client.js';
import { buildChecks, maskCheckSecrets } from './checks.js';
import type { VerifyInputs, VerifyOutput } from './inputs.js';

export interface VerifyClients {
  /** Set when a check needs the cluster. */
  kube: KubeClient | undefined;
}

export async function main(inputs: VerifyInputs, context: ActionContext, { kube }: VerifyClients): Promise<ActionResult<VerifyOutput>> {
  const { log } = context;
  maskCheckSecrets(inputs, context);
  for (const [index, line] of inputs['smoke-commands'].entries()) {
    const problem = await smokeSyntaxProblem(line);
    if (problem) throw new ConfigurationError(`line ${index + 1} is not valid shell (bash -n: ${problem}); nothing was run`, 'smoke-commands');
  }
  const { checks, platform } = await buildChecks(inputs, context, kube);
  const grafana =
    inputs['grafana-url'] && inputs['grafana-token']
      ? { url: inputs['grafana-url'], token: inputs['grafana-token'], tags: ['rollback', 'keiko-verify', ...inputs.services], log }
      : undefined;
  if (grafana) await annotate(grafana, `keiko-rollback verify started (${checks.length} checks)${context.runUrl ? ` — ${context.runUrl}` : ''}`);
  const started = Date.now();
  const reports = await context.phases.step(
    `Run ${checks.length} checks at once${inputs['stability-window'] ? `, green for ${formatDuration(inputs['stability-window'])}` : ''}`,
    () =>
      runChecks(checks, {
        retries: inputs.retries,
        intervalMs: inputs['retry-interval'],
        stabilityWindowMs: inputs['stability-window'],
        signal: context.clock.signal,
        log,
      }),
  );
  const verdict = gradeSeverity(reports, platform);
  const failed = reports.filter((r) => r.status === 'fail');
  const healthy = failed.length === 0;
  const elapsed = Date.now() - started;
  log.info(`${healthy ? 'healthy' : 'UNHEALTHY'}: severity ${verdict.severity} (${verdict.reason}) after ${formatDuration(elapsed)}`);
  if (grafana)
    await annotate(grafana, `keiko-rollback verify: ${healthy ? 'healthy' : `unhealthy, severity ${verdict.severity}`} (${verdict.reason})`, [
      verdict.severity,
    ]);
  const matrix = verdict.severity === 'none' ? undefined : DECISION_MATRIX[verdict.severity];
  const rows = reports.map((r) => [
    r.status === 'pass' ? '✓' : '✗',
    r.name,
    r.service ?? 'platform',
    r['latency-ms'] === null ? '' : `${r['latency-ms']}ms`,
    String(r.attempts),
    r.detail,
  ]);
  const summary = [
    `## ${healthy ? '✅ Healthy' : `❌ Unhealthy — severity ${verdict.severity}`}`,
    '',
    `${verdict.reason}. ${reports.length} checks in ${formatDuration(elapsed)}.`,
    ...(matrix ? ['', `**Decision matrix:** ${verdict.severity} (${matrix.impact}) → ${matrix.action}; approval: ${matrix.approval}.`] : []),
    '',
    '**How the severity was decided:**',
    ...verdict.rules.map((rule) => `- ${rule}`),
    '',
    markdownTable(['', 'Check', 'Service', 'Latency', 'Attempts', 'Detail'], rows),
  ].join('\n');
  const report = {
    healthy,
    severity: verdict.severity,
    reason: verdict.reason,
    rules: verdict.rules,
    affected: verdict.affected,
    'duration-ms': elapsed,
    checks: reports,
  };
  return {
    outputs: { healthy: String(healthy), severity: verdict.severity, failed: failed.map((r) => r.name).join(','), report: JSON.stringify(report) },
    summary: `${summary}\n`,
    ...(!healthy
      ? {
          [inputs['fail-on-unhealthy'] ? 'failure' : 'warning']:
            `unhealthy (severity ${verdict.severity}): ${failed.map((r) => `${r.name}: ${r.detail}`).join(' | ')}`,
        }
      : {}),
  };
}
