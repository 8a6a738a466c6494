import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runbookFixture, startKubeEmulator } from '../../src/sandbox/kube/index.js';
import { runCli } from '../helpers/cli.js';
import { writes } from '../helpers/kube-fixtures.js';
import { hasStackTrace, readActionYaml } from '../helpers/run-action.js';
import { hostileValue } from './hostile-values.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 10);
const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const COMMANDS = { service: 'rollback-service', reroute: 'emergency-reroute', verify: 'verify' } as const;

/** argv as a person types it: a command, then flags of that command with hostile values (or none). */
const argv = fc.constantFrom(...(Object.keys(COMMANDS) as (keyof typeof COMMANDS)[])).chain((command) => {
  const flags = Object.keys(readActionYaml(COMMANDS[command]).inputs ?? {});
  const pair = fc.tuple(fc.constantFrom(...flags), fc.option(hostileValue, { nil: undefined }), fc.boolean());
  return fc
    .array(pair, { maxLength: 4 })
    .map((pairs) => [
      command,
      ...pairs.flatMap(([flag, value, joined]) => (value === undefined ? [`--${flag}`] : joined ? [`--${flag}=${value}`] : [`--${flag}`, value])),
    ]);
});

describe(`fuzzed CLI arguments (${RUNS} runs, seed ${SEED})`, () => {
  it('every command line ends with a result or one error line, never a crash, never a write on a refusal', async (ctx) => {
    const e = await startKubeEmulator({ fixture: runbookFixture() });
    ctx.onTestFinished(() => e.close());
    const kubeconfig = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-fuzz-cli-')), 'config');
    fs.writeFileSync(kubeconfig, e.kubeconfig);
    await fc.assert(
      fc.asyncProperty(argv, async (args) => {
        const before = writes(e).filter((w) => !w.dryRun).length;
        // a bounded run against the sandbox, never the machine's own cluster
        const run = await runCli([...args, '--timeout=20s', '--namespace=keiko-production'], { KUBECONFIG: kubeconfig, CI: 'true' });
        const where = `${JSON.stringify(args).slice(0, 300)}\n${run.stderr.slice(-1200)}`;
        expect([0, 1, 2], where).toContain(run.code);
        const errors = run.stderr.split('\n').filter((l) => /^error:/.test(l));
        expect(errors.length, where).toBeLessThanOrEqual(1);
        expect(run.stderr + run.stdout, where).not.toContain('Internal failure');
        expect(hasStackTrace(run.stderr + run.stdout), where).toBe(false);
        expect(run.stderr + run.stdout, where).not.toContain(e.token);
        if (run.code !== 0 && /^error: (Input '|option |unknown option)/m.test(run.stderr))
          expect(writes(e).filter((w) => !w.dryRun).length, where).toBe(before);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
  });
});
