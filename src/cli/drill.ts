import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ACTIONS, type ActionName } from '../actions/registry.js';
import { formatDuration } from '../core/durations.js';
import { ConfigurationError } from '../core/errors.js';
import { markdownTable } from '../core/summary.js';
import type { DrillPlatform, PlatformState } from '../sandbox/drill-platform.js';
import { parseArguments } from './arguments.js';
import { type CliStreams, cliHost } from './cli-host.js';
import { phaseReporter } from './progress.js';

export interface DrillSandbox {
  startDrillPlatform(options: { repoRoot: string; env: NodeJS.ProcessEnv; withDatabase: boolean }): Promise<DrillPlatform>;
  DRILL_SERVICES: string[];
}

interface Phase {
  name: string;
  action: ActionName;
  /** The inputs, possibly from earlier phases' outputs (a plan made by a dry run, executed later). */
  inputs: Record<string, string> | ((outputs: Record<string, Record<string, string>>) => Record<string, string>);
  /** What counts as this phase passing, from its outputs. */
  expect?: (outputs: Record<string, string>) => string | undefined;
}

const allUnchanged = (o: Record<string, string>): string | undefined => {
  const statuses = (JSON.parse(o.result ?? '[]') as { service: string; status: string }[]).filter((r) => r.status !== 'unchanged');
  return statuses.length ? `a re-run changed something: ${statuses.map((r) => `${r.service} ${r.status}`).join(', ')}` : undefined;
};

interface PhaseResult {
  name: string;
  status: 'ok' | 'failed' | 'skipped';
  ms: number;
  detail: string;
}

const SCENARIOS = ['complete', 'service', 'database', 'frontend'] as const;
type Scenario = (typeof SCENARIOS)[number];

function phasesFor(scenario: Scenario, p: DrillPlatform, services: string[]): (Phase & { key: string })[] {
  const kube = { environment: 'production', kubeconfig: p.kube.kubeconfig };
  const checks = {
    services: services.join(','),
    'health-url-template': p.healthUrlTemplate,
    'prometheus-url': p.prometheusUrl,
    'alert-selector': 'severity=critical,namespace=keiko-production',
    ...kube,
    retries: '0',
    'retry-interval': '1s',
    'fail-on-unhealthy': 'false',
  };
  const db = 'url' in p.database ? p.database : undefined;
  const database = (extra: Record<string, string>): Record<string, string> =>
    db ? { 'database-url': db.url, tool: 'alembic', 'working-directory': 'alembic', ...extra } : {};
  const all: Record<string, Phase> = {
    'verify (before)': {
      name: 'verify (before)',
      action: 'verify',
      inputs: checks,
      expect: (o) => (o.healthy === 'false' ? undefined : 'expected the bad release to be unhealthy'),
    },
    reroute: { name: 'emergency-reroute activate', action: 'emergency-reroute', inputs: { ...kube, 'failure-threshold': '5' } },
    'services plan': {
      name: 'plan services → v1.2.0 (dry run)',
      action: 'rollback-service',
      inputs: { ...kube, services: services.join(','), target: 'v1.2.0', 'dry-run': 'true' },
    },
    services: {
      name: 'rollback-service (the plan)',
      action: 'rollback-service',
      inputs: (o) => ({ ...kube, plan: o['services plan']?.plan ?? '', reason: 'drill: v1.3.0 error rate' }),
    },
    'database plan': { name: 'plan database -1 (dry run)', action: 'rollback-database', inputs: database({ target: '-1', 'dry-run': 'true' }) },
    database: { name: 'rollback-database (the plan)', action: 'rollback-database', inputs: (o) => database({ plan: o['database plan']?.plan ?? '' }) },
    'services again': {
      name: 're-run services (same plan)',
      action: 'rollback-service',
      inputs: (o) => ({ ...kube, plan: o['services plan']?.plan ?? '' }),
      expect: allUnchanged,
    },
    'database again': {
      name: 're-run database (same plan)',
      action: 'rollback-database',
      inputs: (o) => database({ plan: o['database plan']?.plan ?? '' }),
      expect: (o) => (o.status === 'unchanged' ? undefined : `a re-run changed the database: ${o.status}`),
    },
    frontend: {
      name: 'rollback-frontend previous',
      action: 'rollback-frontend',
      inputs: { 'vercel-token': p.vercel.token, project: 'keiko-frontend', 'api-url': p.vercel.url },
    },
    'verify (after)': {
      name: 'verify (after)',
      action: 'verify',
      inputs: { ...checks, retries: '5' },
      expect: (o) => (o.healthy === 'true' ? undefined : `still unhealthy: ${o.failed}`),
    },
    restore: { name: 'emergency-reroute restore', action: 'emergency-reroute', inputs: { ...kube, mode: 'restore' } },
  };
  const order: Record<Scenario, string[]> = {
    complete: [
      'verify (before)',
      'reroute',
      'services plan',
      'services',
      'database plan',
      'database',
      'frontend',
      'verify (after)',
      'restore',
      'services again',
      'database again',
    ],
    service: ['verify (before)', 'services plan', 'services', 'verify (after)', 'services again'],
    database: ['database plan', 'database', 'database again'],
    frontend: ['frontend'],
  };
  return order[scenario].flatMap((key) => {
    const phase = all[key];
    return phase ? [{ ...phase, key }] : [];
  });
}

/** One line for the phase table: the verdict, what was rolled back, or what a plan or re-run says. */
function phaseDetail(o: Record<string, string>): string {
  if (o.severity) return `healthy=${o.healthy}, severity=${o.severity}`;
  if (o.status === 'unchanged') return `unchanged: already at ${o['to-revision']}`;
  if (o.status === 'dry-run') {
    const plan = o.plan ? (JSON.parse(o.plan) as { 'from-revision'?: string; 'to-revision'?: string }) : {};
    return `${o.status}: ${plan['from-revision'] ?? o['from-revision']} → ${plan['to-revision'] ?? o['to-revision']}`;
  }
  const results = o.result?.startsWith('[') ? (JSON.parse(o.result) as { service: string; status: string }[]) : undefined;
  if (results && !o['rolled-back'])
    return [...new Set(results.map((r) => r.status))].map((status) => `${results.filter((r) => r.status === status).length} ${status}`).join(', ');
  return o['rolled-back'] || o['to-revision'] || o['deployment-id'] || o.applied || 'done';
}

function stateTable(before: PlatformState, after: PlatformState): string {
  const rows = Object.keys(before.services).map((s) => [s, before.services[s] ?? '', after.services[s] ?? '']);
  rows.push(['frontend (Vercel production)', before.frontend, after.frontend], ['database (Alembic)', before.database, after.database]);
  return markdownTable(['Platform', 'Before', 'After'], rows);
}

export async function runDrill(sandbox: DrillSandbox, argv: string[], env: NodeJS.ProcessEnv, streams: CliStreams): Promise<number> {
  const args = parseArguments(argv, new Set(['scenario', 'severity', 'report', 'keep', 'verbose']), new Set(['keep', 'verbose']));
  if (args.help) {
    streams.out(
      'Usage: keiko-rollback drill [--scenario complete|service|database|frontend] [--severity critical|high|medium|low] [--report drill-report.md] [--keep] [--verbose]\n',
    );
    return 0;
  }
  const scenario = (args.flags.scenario ?? 'complete') as Scenario;
  if (!SCENARIOS.includes(scenario)) throw new ConfigurationError(`--scenario must be one of ${SCENARIOS.join(' | ')}, got "${scenario}"`);
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const progress = phaseReporter(streams, Boolean(process.stderr.isTTY) && env.CI !== 'true');
  const started = Date.now();
  progress.note(
    `Starting the sandbox: Kubernetes (keiko-production, 5 services × v1.1.0/v1.2.0/v1.3.0), Vercel, health and alerts${scenario === 'complete' || scenario === 'database' ? ', PostgreSQL + Alembic' : ''}`,
  );
  const platform = await sandbox.startDrillPlatform({ repoRoot, env, withDatabase: scenario === 'complete' || scenario === 'database' });
  const results: PhaseResult[] = [];
  const outputs: Record<string, Record<string, string>> = {};
  let finalHealthy: boolean | undefined;
  try {
    const before = await platform.state();
    for (const phase of phasesFor(scenario, platform, sandbox.DRILL_SERVICES)) {
      if (phase.action === 'rollback-database' && 'skipped' in platform.database) {
        results.push({ name: phase.name, status: 'skipped', ms: 0, detail: platform.database.skipped });
        progress.skip(phase.name, platform.database.skipped);
        continue;
      }
      const log: string[] = [];
      const inputs = typeof phase.inputs === 'function' ? phase.inputs(outputs) : phase.inputs;
      const host = cliHost(
        ACTIONS[phase.action].manifest,
        inputs,
        { ...env, GITHUB_WORKSPACE: platform.workspace },
        { out: () => undefined, err: (t) => log.push(t) },
      );
      const t0 = Date.now();
      const stop = progress.start(phase.name);
      await ACTIONS[phase.action].run(host);
      outputs[phase.key] = host.outputs;
      const expectation = phase.expect?.(host.outputs);
      const failed = host.failed || Boolean(expectation);
      const detail = expectation ?? phaseDetail(host.outputs);
      if (phase.name === 'verify (after)') finalHealthy = host.outputs.healthy === 'true';
      results.push({ name: phase.name, status: failed ? 'failed' : 'ok', ms: Date.now() - t0, detail });
      stop(!failed, detail);
      if (failed && (args.flags.verbose === 'true' || host.failed))
        streams.err(
          `${log
            .join('')
            .split('\n')
            .map((l) => `    │ ${l}`)
            .join('\n')}\n`,
        );
      if (failed && phase.expect === undefined) break;
    }
    const after = await platform.state();
    const ok = results.every((r) => r.status !== 'failed') && finalHealthy !== false;
    const markdown = [
      `## ${ok ? '✅' : '❌'} Rollback drill (${scenario}${args.flags.severity ? `, severity ${args.flags.severity}` : ''}) in ${formatDuration(Date.now() - started)}`,
      '',
      markdownTable(
        ['Phase', 'Status', 'Time', 'Detail'],
        results.map((r) => [r.name, { ok: '✅ ok', failed: '❌ failed', skipped: '➖ skipped' }[r.status], formatDuration(r.ms), r.detail]),
      ),
      '',
      stateTable(before, after),
      '',
    ].join('\n');
    streams.out(`\n${markdown}`);
    if (args.flags.report) fs.writeFileSync(args.flags.report, markdown);
    if (args.flags.keep === 'true') {
      const file = path.join(platform.workspace, 'kubeconfig');
      fs.writeFileSync(file, platform.kube.kubeconfig, { mode: 0o600 });
      streams.out(`\nThe sandbox keeps running (Ctrl+C to stop):\n  export KUBECONFIG=${file}\n  kubectl get deploy -n keiko-production\n`);
      await new Promise<void>((resolve) => process.once('SIGINT', resolve));
    }
    return ok ? 0 : 1;
  } finally {
    await platform.close();
  }
}
