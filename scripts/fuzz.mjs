// npm run fuzz -- --runs N [--seed S]: the standing fuzz harness with more runs than CI's.
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const value = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const runs = value('runs', '200');
const seed = value('seed', String(Date.now() % 1_000_000));
if (!/^\d+$/.test(runs) || !/^\d+$/.test(seed)) {
  console.error('usage: npm run fuzz -- [--runs N] [--seed S]');
  process.exit(2);
}
console.log(`fuzzing every input of every action: ${runs} runs per action, seed ${seed} (re-run a failure with --seed ${seed})`);
const result = spawnSync('npx', ['vitest', 'run', 'test/fuzz', '--testTimeout', String(Number(runs) * 20_000)], {
  stdio: 'inherit',
  env: { ...process.env, FUZZ_RUNS: runs, FUZZ_SEED: seed },
});
process.exit(result.status ?? 1);
