// npm run bench:fleet-trace — where the time of a 50-service rollback goes: each kind of request
// (first and last moment, count) and when the deployments' rollouts complete, against the process's end.
import { startKubeEmulator } from '../src/sandbox/kube/index.js';
import { runDistAction } from './actions.js';
import { isComplete } from './trace.js';

const count = Number(process.argv[2] ?? 50);
const names = Array.from({ length: count }, (_, i) => `svc-${String(i).padStart(2, '0')}`);
const emulator = await startKubeEmulator({
  fixture: {
    namespaces: [
      {
        name: 'keiko-production',
        deployments: names.map((name) => ({ name, releases: ['v1.1.0', 'v1.2.0', 'v1.3.0'], replicas: 1, maxSurge: 1, maxUnavailable: 0 })),
      },
    ],
  },
  controller: { podReadyMs: 1000, podTerminateMs: 50 },
});
const completed: number[] = [];
const wasComplete = new Map<string, boolean>();
emulator.store.subscribe((event) => {
  if (event.object.kind !== 'Deployment') return;
  const name = String((event.object.metadata as { name?: string }).name);
  const complete = isComplete(event.object);
  if (complete && wasComplete.get(name) === false) completed.push(Date.now() - t0);
  wasComplete.set(name, complete);
});
const t0 = Date.now();
const result = await runDistAction(
  'rollback-service',
  {
    services: names.join(','),
    environment: 'production',
    kubeconfig: emulator.kubeconfig,
    'max-parallel': String(count),
  },
  process.env.KEIKO_CPU_PROF ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.KEIKO_CPU_PROF}` } : {},
);
const end = Date.now();
if (result.code !== 0) throw new Error(result.stdout.slice(-400));
const kinds = new Map<string, { first: number; last: number; count: number; slowest: number }>();
for (const r of emulator.requests) {
  if (r.at < t0) continue;
  const key = `${r.verb} ${r.resource ?? r.path}`;
  const k = kinds.get(key) ?? { first: Number.POSITIVE_INFINITY, last: 0, count: 0, slowest: 0 };
  k.first = Math.min(k.first, r.at - t0);
  k.last = Math.max(k.last, r.at - t0);
  k.count++;
  if (r.doneAt && r.verb !== 'watch') k.slowest = Math.max(k.slowest, r.doneAt - r.at);
  kinds.set(key, k);
}
for (const [key, k] of [...kinds].sort((a, b) => a[1].first - b[1].first))
  process.stdout.write(`${key.padEnd(24)} ×${String(k.count).padStart(3)}  first ${k.first} ms  last ${k.last} ms  slowest answer ${k.slowest} ms\n`);
process.stdout.write(
  `${completed.length} rollouts complete, first ${Math.min(...completed)} ms, last ${Math.max(...completed)} ms; total ${end - t0} ms; connections ${JSON.stringify(emulator.connections)}\n`,
);
await emulator.close();
