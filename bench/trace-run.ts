// npm run bench:trace — only the single-service trace (the full bench writes it into RESULTS.md too)
import { traceBenchmark } from './trace.js';

const result = await traceBenchmark();
for (const [name, lines, total] of [
  ['keiko-rollback', result.keiko, result.keikoMs],
  ['kubectl undo + status', result.kubectl, result.kubectlMs],
] as const) {
  process.stdout.write(`\n${name}: ${total} ms\n`);
  for (const line of lines) process.stdout.write(`  ${String(line.ms).padStart(5)} ms  ${line.step}\n`);
}
process.stdout.write(`\nthe rollout itself: ${result.rolloutMs} ms\n`);
process.stdout.write(`keiko-rollback's start: ${result.startup.map((m) => `${m.moment} ${m.ms} ms`).join(', ')}\n`);
