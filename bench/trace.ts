import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startKubeEmulator } from '../src/sandbox/kube/index.js';
import type { RequestRecord } from '../src/sandbox/kube/server.js';
import type { KubeObject } from '../src/sandbox/kube/types.js';
import { runDistAction } from './actions.js';
import { median, run } from './measure.js';

/** One rollback of one service (1 s rollouts), step by step, for the action and for kubectl undo + status. */
export interface TraceResult {
  keiko: TraceLine[];
  kubectl: TraceLine[];
  keikoMs: number;
  kubectlMs: number;
  /** The rollout itself: from the patch to the moment the emulator's Deployment status is complete. */
  rolloutMs: number;
  /** The action with V8's compile cache off: a runner's first step of a job (the medians above are later steps). */
  keikoColdMs: number;
  keikoColdFirstRequestMs: number;
  /** `node -e ''`: the floor any Node action starts from (process start to exit, nothing loaded). */
  nodeBareMs: number;
  /** The action's own account of its start (its `startup` debug line), in the median run. */
  startup: StartupMoment[];
}

/** A moment of the action's start and its ms after the process started. */
export interface StartupMoment {
  moment: string;
  ms: number;
}

/** `::debug::startup (ms after the process started): node 25, bundle 95, …` → its moments. */
export function startupMoments(stdout: string): StartupMoment[] {
  const line = /::debug::startup \(ms after the process started\): (.*)/.exec(stdout)?.[1] ?? '';
  return [...line.matchAll(/([a-z-]+) (\d+)/g)].map((m) => ({ moment: m[1] ?? '', ms: Number(m[2]) }));
}

export interface TraceLine {
  step: string;
  ms: number;
}

export function isComplete(deployment: KubeObject): boolean {
  const spec = deployment.spec as { replicas?: number } | undefined;
  const status = deployment.status as { updatedReplicas?: number; availableReplicas?: number; replicas?: number; observedGeneration?: number } | undefined;
  const generation = (deployment.metadata as { generation?: number } | undefined)?.generation ?? 0;
  const want = spec?.replicas ?? 1;
  return (status?.observedGeneration ?? 0) >= generation && status?.updatedReplicas === want && status?.availableReplicas === want && status?.replicas === want;
}

/** The compile cache the action's entry switches on; the bench keeps its own, so a run starts from a known state. */
const COMPILE_CACHE = fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-bench-compile-cache-'));

type TraceRun = { lines: TraceLine[]; totalMs: number; rolloutMs: number; startup: StartupMoment[] };

async function traceOnce(tool: 'keiko' | 'kubectl', cold = false): Promise<TraceRun> {
  const emulator = await startKubeEmulator({
    fixture: {
      namespaces: [
        {
          name: 'keiko-production',
          deployments: [{ name: 'chat-service', releases: ['v1.1.0', 'v1.2.0', 'v1.3.0'], replicas: 1, maxSurge: 1, maxUnavailable: 0 }],
        },
      ],
    },
    controller: { podReadyMs: 1000, podTerminateMs: 50 },
  });
  // complete before the rollback; the moment it is complete again is when the rollout ended
  let wasComplete = true;
  let completeAt = 0;
  const stop = emulator.store.subscribe((event) => {
    if (event.object.kind !== 'Deployment') return;
    const complete = isComplete(event.object);
    if (complete && !wasComplete) completeAt = Date.now();
    wasComplete = complete;
  });
  const before = emulator.requests.length;
  const t0 = Date.now();
  if (tool === 'keiko') {
    const result = await runDistAction(
      'rollback-service',
      { services: 'chat-service', environment: 'production', kubeconfig: emulator.kubeconfig },
      cold ? { NODE_DISABLE_COMPILE_CACHE: '1' } : { NODE_COMPILE_CACHE: COMPILE_CACHE },
    );
    if (result.code !== 0) throw new Error(`rollback-service failed: ${result.stdout.slice(-400)}`);
    return { ...(await finish(emulator, emulator.requests.slice(before), t0, Date.now(), completeAt, stop)), startup: startupMoments(result.stdout) };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-trace-'));
  fs.writeFileSync(path.join(dir, 'kubeconfig'), emulator.kubeconfig);
  const kubectl = (args: string[]) => run('kubectl', ['--kubeconfig', path.join(dir, 'kubeconfig'), '--cache-dir', path.join(dir, 'cache'), ...args]);
  // a warm discovery cache, as on a machine that has used kubectl before
  await kubectl(['get', 'deployments', '-n', 'keiko-production']);
  emulator.requests.splice(before);
  const start = Date.now();
  wasComplete = true;
  await kubectl(['rollout', 'undo', 'deployment/chat-service', '-n', 'keiko-production']);
  await kubectl(['rollout', 'status', 'deployment/chat-service', '-n', 'keiko-production', '--timeout=60s']);
  return { ...(await finish(emulator, emulator.requests.slice(before), start, Date.now(), completeAt, stop)), startup: [] };
}

async function finish(
  emulator: { close(): Promise<void> },
  requests: RequestRecord[],
  t0: number,
  end: number,
  completeAt: number,
  stop: () => void,
): Promise<{ lines: TraceLine[]; totalMs: number; rolloutMs: number }> {
  stop();
  await emulator.close();
  const patchedAt = requests.find((r) => r.verb === 'patch' && !r.query.dryRun)?.doneAt ?? 0;
  return { lines: linesOf(requests, t0, end, completeAt), totalMs: end - t0, rolloutMs: completeAt - patchedAt };
}

function linesOf(requests: RequestRecord[], t0: number, end: number, completeAt: number): TraceLine[] {
  const lines: TraceLine[] = [];
  for (const r of requests) {
    lines.push({ step: `${r.verb} ${r.resource ?? r.path}${r.query.dryRun ? ' (dry run)' : ''}`, ms: r.at - t0 });
  }
  if (completeAt) lines.push({ step: 'rollout complete (emulator)', ms: completeAt - t0 });
  lines.push({ step: 'process(es) ended', ms: end - t0 });
  return lines.sort((a, b) => a.ms - b.ms);
}

/** The median run of five (by total time) for each tool, with its steps. */
export async function traceBenchmark(): Promise<TraceResult> {
  const pick = async (tool: 'keiko' | 'kubectl') => {
    await traceOnce(tool);
    const runs = [];
    for (let i = 0; i < 5; i++) runs.push(await traceOnce(tool));
    const mid = median(runs.map((r) => r.totalMs));
    return runs.reduce((best, r) => (Math.abs(r.totalMs - mid) < Math.abs(best.totalMs - mid) ? r : best));
  };
  const keiko = await pick('keiko');
  const kubectl = await pick('kubectl');
  const cold = [];
  for (let i = 0; i < 5; i++) cold.push(await traceOnce('keiko', true));
  const firstRequest = (lines: TraceLine[]): number => lines[0]?.ms ?? 0;
  const bare = [];
  for (let i = 0; i < 5; i++) {
    const started = Date.now();
    await run(process.execPath, ['-e', '']);
    bare.push(Date.now() - started);
  }
  return {
    keiko: keiko.lines,
    kubectl: kubectl.lines,
    keikoMs: keiko.totalMs,
    kubectlMs: kubectl.totalMs,
    rolloutMs: keiko.rolloutMs,
    keikoColdMs: median(cold.map((r) => r.totalMs)),
    keikoColdFirstRequestMs: median(cold.map((r) => firstRequest(r.lines))),
    nodeBareMs: median(bare),
    startup: keiko.startup,
  };
}
