import path from 'node:path';
import { ACTION_NAMES } from '../src/actions/registry.js';
import { dirSize, ROOT } from './actions.js';
import { type Measurement, run } from './measure.js';

/** From process start to the action's first output line, per action, vs `node -e 0`; and the size of dist/. */
export async function coldStartBenchmark(): Promise<{ measurements: Measurement[]; baseline: Measurement; distBytes: number }> {
  const measurements: Measurement[] = [];
  for (const name of ACTION_NAMES) {
    const samples: number[] = [];
    for (let i = 0; i < 6; i++) {
      const result = await run(process.execPath, [path.join(ROOT, 'dist', name, 'index.js')], { env: { PATH: process.env.PATH } });
      if (i > 0) samples.push(result.firstOutputMs ?? Number.NaN);
    }
    measurements.push({ label: `dist/${name} to first log line`, samples });
  }
  const baseline: number[] = [];
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    await run(process.execPath, ['-e', '0']);
    if (i > 0) baseline.push(performance.now() - t0);
  }
  return { measurements, baseline: { label: 'node -e 0 (process start to exit)', samples: baseline }, distBytes: dirSize(path.join(ROOT, 'dist')) };
}
