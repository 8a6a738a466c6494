import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ConfigurationError, describeError, StepFailure } from '../core/errors.js';
import { runTool } from '../core/exec.js';
import type { Logger } from '../core/logger.js';
import type { Revision } from './history.js';
import type { Deployment, PodTemplate } from './types.js';
import { imagesOf } from './types.js';

/**
 * `on-managed: helm`: a Helm-managed workload is rolled back through Helm (`helm rollback` to the Helm revision
 * whose manifest carries the target's images), so Helm's record and the cluster agree and the next `helm upgrade`
 * starts from the truth. Helm runs from the runner's PATH with the run's kubeconfig in a private file (0600), named
 * by KUBECONFIG in its environment, never in its arguments; the file is deleted when Helm is done.
 */
export interface HelmRelease {
  name: string;
  namespace: string;
}

export interface HelmTarget {
  release: string;
  revision: number;
}

export function helmReleaseOf(workload: Deployment): HelmRelease | undefined {
  const annotations = workload.metadata.annotations ?? {};
  const name = annotations['meta.helm.sh/release-name'];
  if (!name) return undefined;
  return { name, namespace: annotations['meta.helm.sh/release-namespace'] ?? workload.metadata.namespace ?? '' };
}

export interface HelmRunner {
  run(args: string[], signal: AbortSignal): Promise<string>;
}

/** Helm through @actions/exec: `kubeconfig` is the run's kubeconfig (YAML), written to a private file for the call. */
export function helmRunner(kubeconfig: string, context: string | undefined, log: Logger, timeoutMs: () => number): HelmRunner {
  return {
    async run(args, signal) {
      const dir = fs.mkdtempSync(path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'keiko-helm-'));
      const file = path.join(dir, 'kubeconfig');
      fs.writeFileSync(file, kubeconfig, { mode: 0o600 });
      try {
        signal.throwIfAborted();
        const env = {
          KUBECONFIG: file,
          HELM_CACHE_HOME: path.join(dir, 'cache'),
          HELM_CONFIG_HOME: path.join(dir, 'config'),
          HELM_DATA_HOME: path.join(dir, 'data'),
        };
        const result = await runTool('helm', [...args, ...(context ? ['--kube-context', context] : [])], {
          env,
          timeoutMs: Math.max(1000, timeoutMs()),
          log,
        }).catch((error: unknown) => {
          throw new StepFailure(
            'helm',
            `could not run helm (${describeError(error)}): install Helm 3 on the runner (e.g. azure/setup-helm) or use on-managed: warn`,
          );
        });
        if (result.exitCode !== 0) {
          const why = result.timedOut ? 'timed out' : (result.stderr.trim().split('\n').at(-1) ?? `exit ${result.exitCode}`);
          throw new StepFailure('helm', `helm ${args.slice(0, 2).join(' ')} ${args[2] ?? ''}: ${why}`);
        }
        return result.stdout;
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

interface HistoryEntry {
  revision: number;
  status: string;
  description?: string;
}

function workloadTemplate(manifest: string, kind: string, name: string): PodTemplate | undefined {
  for (const doc of parseAllDocuments(manifest)) {
    const object = doc.toJS() as { kind?: string; metadata?: { name?: string }; spec?: { template?: PodTemplate } } | null;
    if (object?.kind === kind && object.metadata?.name === name) return object.spec?.template;
  }
  return undefined;
}

const sameImages = (a: string[], b: string[]): boolean => [...a].sort().join(' ') === [...b].sort().join(' ');

/**
 * The Helm revision to roll back to: the newest whose manifest renders the workload with the target revision's
 * images. None: the plan fails by name (the target was not deployed by this release).
 */
export async function helmTarget(
  helm: HelmRunner,
  release: HelmRelease,
  kind: string,
  name: string,
  target: Revision,
  signal: AbortSignal,
): Promise<HelmTarget> {
  const history = JSON.parse(
    await helm.run(['history', release.name, '--namespace', release.namespace, '--max', '256', '--output', 'json'], signal),
  ) as HistoryEntry[];
  const wanted = target.images;
  for (const entry of [...history].sort((a, b) => b.revision - a.revision)) {
    const manifest = await helm.run(['get', 'manifest', release.name, '--namespace', release.namespace, '--revision', String(entry.revision)], signal);
    const template = workloadTemplate(manifest, kind, name);
    if (template && sameImages(imagesOf(template), wanted)) return { release: release.name, revision: entry.revision };
  }
  throw new ConfigurationError(
    `no revision of Helm release ${release.name} renders ${kind} ${name} with ${wanted.join(', ')} (its history: ${history.map((h) => h.revision).join(', ')}); roll back with on-managed: warn, or pick a target Helm deployed`,
    'target',
  );
}

/** `helm rollback <release> <revision>` (no --wait: the rollout is watched like any other). */
export async function helmRollback(helm: HelmRunner, release: HelmRelease, revision: number, signal: AbortSignal): Promise<void> {
  await helm.run(['rollback', release.name, String(revision), '--namespace', release.namespace], signal);
}
