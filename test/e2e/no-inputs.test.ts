import { describe, expect, it } from 'vitest';
import { ACTION_NAMES } from '../../src/actions/registry.js';
import { hasStackTrace, runAction } from '../helpers/run-action.js';

const FIRST_REQUIRED: Record<string, string> = {
  'rollback-service': "Input 'services' is required",
  'rollback-database': "Input 'database-url' is required",
  'rollback-frontend': "Input 'vercel-token' is required",
  'emergency-reroute': "Input 'namespace' is required",
  verify: "Input 'health-urls' or another check is required",
};

describe.each(ACTION_NAMES)('dist/%s with no inputs', (name) => {
  it('exits 1 with exactly one ::error:: line naming the first required input, no stack, nothing written', async () => {
    const run = await runAction(name, {});
    expect(run.code).toBe(1);
    expect(run.errorLines).toHaveLength(1);
    expect(run.errorLines[0]).toContain(`::error::${FIRST_REQUIRED[name]}`);
    expect(hasStackTrace(run.stdout + run.stderr)).toBe(false);
    expect(run.summary).toBe('');
    expect(run.outputs).toEqual({});
  });
});
