import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startKubeEmulator } from '../src/sandbox/kube/index.js';
import { runDistAction } from './actions.js';
import { run } from './measure.js';

/**
 * A doomed rollback: the target release's image cannot be pulled. How long until each tool says "failed":
 * keiko-rollback by its fail-after (here 10 s), kubectl rollout status only when the progress deadline passes
 * (here progressDeadlineSeconds: 30 in real time; 600 s is the Kubernetes default).
 */
export interface VerdictResult {
  failAfterS: number;
  progressDeadlineS: number;
  keikoMs: number;
  keikoSaid: string;
  kubectlMs: number;
  kubectlSaid: string;
}

const FAIL_AFTER_S = 10;
const PROGRESS_DEADLINE_S = 30;

async function doomed() {
  return startKubeEmulator({
    fixture: {
      namespaces: [
        {
          name: 'keiko-production',
          deployments: [
            {
              name: 'chat-service',
              releases: ['v1.1.0', 'v1.2.0', 'v1.3.0'],
              replicas: 1,
              maxSurge: 1,
              maxUnavailable: 0,
              progressDeadlineSeconds: PROGRESS_DEADLINE_S,
            },
          ],
        },
      ],
      badImages: { 'registry.keiko.io/chat-service:v1.2.0': 'ImagePullBackOff' },
    },
    // real time: one second of progressDeadlineSeconds is one second here
    controller: { podReadyMs: 1000, podTerminateMs: 50, progressDeadlineMsPerSecond: 1000 },
  });
}

export async function verdictBenchmark(): Promise<VerdictResult> {
  const ours = await doomed();
  let t0 = Date.now();
  const result = await runDistAction('rollback-service', {
    services: 'chat-service',
    environment: 'production',
    kubeconfig: ours.kubeconfig,
    'fail-after': `${FAIL_AFTER_S}s`,
  });
  const keikoMs = Date.now() - t0;
  const keikoSaid = /"message":"([^"]{0,160})/.exec(fs.readFileSync(path.join(result.dir, 'out'), 'utf8'))?.[1] ?? `exit ${result.code}`;
  await ours.close();

  const theirs = await doomed();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-verdict-'));
  fs.writeFileSync(path.join(dir, 'kubeconfig'), theirs.kubeconfig);
  const kubectl = (args: string[]) => run('kubectl', ['--kubeconfig', path.join(dir, 'kubeconfig'), ...args, '-n', 'keiko-production']);
  t0 = Date.now();
  await kubectl(['rollout', 'undo', 'deployment/chat-service']);
  const status = await kubectl(['rollout', 'status', 'deployment/chat-service', '--timeout=5m']);
  const kubectlMs = Date.now() - t0;
  await theirs.close();
  return {
    failAfterS: FAIL_AFTER_S,
    progressDeadlineS: PROGRESS_DEADLINE_S,
    keikoMs,
    keikoSaid,
    kubectlMs,
    kubectlSaid: (status.stderr.trim().split('\n').pop() ?? `exit ${status.code}`).slice(0, 160),
  };
}
