import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type KubeEmulator, startKubeEmulator } from '../src/sandbox/kube/index.js';
import { runDistAction } from './actions.js';
import { type Measurement, repeat, run } from './measure.js';

const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `svc-${String(i).padStart(2, '0')}`);

async function fleet(n: number): Promise<KubeEmulator> {
  return startKubeEmulator({
    fixture: {
      namespaces: [
        {
          name: 'keiko-production',
          deployments: names(n).map((name) => ({ name, releases: ['v1.1.0', 'v1.2.0', 'v1.3.0'], replicas: 1, maxSurge: 1, maxUnavailable: 0 })),
        },
      ],
    },
    // "1 s rollouts": a new pod is Ready after 1 s, then the old one terminates
    controller: { podReadyMs: 1000, podTerminateMs: 50 },
  });
}

function kubectlFor(kubeconfig: string): (args: string[]) => Promise<unknown> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-bench-kubectl-'));
  const file = path.join(dir, 'kubeconfig');
  fs.writeFileSync(file, kubeconfig);
  return (args) => run('kubectl', ['--kubeconfig', file, '--cache-dir', path.join(dir, 'cache'), ...args]);
}

export interface FleetResult {
  keiko: Measurement[];
  loop: Measurement[];
  requests: { keikoPerService: number; keikoBreakdown: string; kubectlPerService: number; kubectlWarmPerService: number };
  /** For 50 services: requests per service and the TCP connections the action opened (in all, most at once). */
  fifty: { requestsPerService: number; connections: number; peakConnections: number };
  /** The emulator (API server and controllers, in this process) busy time / wall time of one run, for 1 and 50 services. */
  emulatorBusy: { one: number; fifty: number };
}

async function rollbackOf(n: number, cluster: KubeEmulator): Promise<void> {
  const result = await runDistAction('rollback-service', {
    services: names(n).join(','),
    environment: 'production',
    kubeconfig: cluster.kubeconfig,
    'max-parallel': '50',
  });
  if (result.code !== 0 || !result.stdout.includes('rolled-back')) throw new Error(`rollback-service failed: ${result.stdout.slice(-500)}`);
}

/** keiko-rollback (all services at once) vs the runbook loop (undo then status, service after service). */
export async function fleetBenchmark(log: (line: string) => void): Promise<FleetResult> {
  const keiko: Measurement[] = [];
  const loop: Measurement[] = [];
  let requests = { keikoPerService: 0, keikoBreakdown: '', kubectlPerService: 0, kubectlWarmPerService: 0 };
  let fifty = { requestsPerService: 0, connections: 0, peakConnections: 0 };
  const emulatorBusy = { one: 0, fifty: 0 };
  // the action's samples take turns, round after round (1, 4 and 50 services, a fresh cluster for every sample: a second
  // `previous` from the same state would be another rollout): a slow moment of the machine weighs on every size alike
  const sizes = [1, 4, 50];
  const samples = new Map(sizes.map((n): [number, number[]] => [n, []]));
  for (let round = 0; round <= 5; round++) {
    for (const n of sizes) {
      const cluster = await fleet(n);
      const t0 = performance.now();
      await rollbackOf(n, cluster);
      if (round > 0) samples.get(n)?.push(performance.now() - t0);
      await cluster.close();
    }
  }
  for (const n of sizes) keiko.push({ label: `keiko-rollback, ${n} service(s)`, samples: samples.get(n) ?? [] });
  for (const n of sizes) {
    const cluster = await fleet(n);
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    await rollbackOf(n, cluster);
    const cpu = process.cpuUsage(cpuBefore);
    const busy = (cpu.user + cpu.system) / 1000 / (performance.now() - wallBefore);
    if (n === 1) emulatorBusy.one = busy;
    if (n === 50) emulatorBusy.fifty = busy;
    const mine = cluster.requests;
    if (n === 1) {
      requests.keikoPerService = mine.length;
      const counts = new Map<string, number>();
      for (const r of mine) counts.set(`${r.verb} ${r.resource}`, (counts.get(`${r.verb} ${r.resource}`) ?? 0) + 1);
      requests.keikoBreakdown = [...counts].map(([k, v]) => `${k} ×${v}`).join(', ');
    }
    if (n === 50) fifty = { requestsPerService: mine.length / n, connections: cluster.connections.total, peakConnections: cluster.connections.peak };
    await cluster.close();
    log(`  fleet: keiko ${n} done`);
    if (n === 1) continue;
    const theirs = await fleet(n);
    const kubectl = kubectlFor(theirs.kubeconfig);
    const runbookLoop = async (): Promise<void> => {
      for (const name of names(n)) {
        await kubectl(['rollout', 'undo', `deployment/${name}`, '-n', 'keiko-production']);
        await kubectl(['rollout', 'status', `deployment/${name}`, '-n', 'keiko-production', '--timeout=60s']);
      }
    };
    // the 50-service loop takes about a minute a run: measured once (no warm-up) to keep npm run bench under 5 minutes
    loop.push(await repeat(`runbook loop (kubectl undo + status), ${n} services`, n === 50 ? 1 : 5, runbookLoop, { warmup: n !== 50 }));
    if (n === 4) {
      const fresh = kubectlFor(theirs.kubeconfig);
      let before = theirs.requests.length;
      await fresh(['rollout', 'undo', 'deployment/svc-00', '-n', 'keiko-production']);
      await fresh(['rollout', 'status', 'deployment/svc-00', '-n', 'keiko-production']);
      const cold = theirs.requests.length - before;
      before = theirs.requests.length;
      await kubectl(['rollout', 'undo', 'deployment/svc-01', '-n', 'keiko-production']);
      await kubectl(['rollout', 'status', 'deployment/svc-01', '-n', 'keiko-production']);
      requests = { ...requests, kubectlPerService: cold, kubectlWarmPerService: theirs.requests.length - before };
    }
    log(`  fleet: loop ${n} done`);
    await theirs.close();
  }
  return { keiko, loop, requests, fifty, emulatorBusy };
}
