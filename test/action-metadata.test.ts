import fs from 'node:fs';
import path from 'node:path';
import { NoOperationTraceWriter } from '@actions/workflow-parser';
import { parseAction } from '@actions/workflow-parser/actions/action-parser';
import { describe, expect, it } from 'vitest';
import { emergencyRerouteSchema } from '../src/actions/emergency-reroute/inputs.js';
import { ACTIONS } from '../src/actions/registry.js';
import { rollbackDatabaseSchema } from '../src/actions/rollback-database/inputs.js';
import { rollbackFrontendSchema } from '../src/actions/rollback-frontend/inputs.js';
import { rollbackServiceSchema } from '../src/actions/rollback-service/inputs.js';
import { verifySchema } from '../src/actions/verify/inputs.js';
import { ACTION_NAMES } from '../src/core/action.js';
import { readInputs } from '../src/core/inputs.js';
import { ROOT, readActionYaml } from './helpers/run-action.js';

const SCHEMAS = {
  'rollback-service': rollbackServiceSchema,
  'rollback-database': rollbackDatabaseSchema,
  'rollback-frontend': rollbackFrontendSchema,
  'emergency-reroute': emergencyRerouteSchema,
  verify: verifySchema,
};

describe.each(ACTION_NAMES)('actions/%s/action.yml', (name) => {
  const file = path.join(ROOT, 'actions', name, 'action.yml');
  const content = fs.readFileSync(file, 'utf8');

  it('parses with @actions/workflow-parser without errors', () => {
    const result = parseAction({ name: file, content }, new NoOperationTraceWriter());
    expect(result.context.errors.getErrors().map((e) => e.message)).toEqual([]);
    expect(result.value).toBeDefined();
  });

  it('declares exactly the inputs its zod schema reads', () => {
    const declared = Object.keys(readActionYaml(name).inputs ?? {}).sort();
    expect(declared).toEqual(Object.keys(SCHEMAS[name].shape).sort());
  });

  it('runs on node24 from a committed bundle', () => {
    const meta = readActionYaml(name);
    expect(content).toMatch(/using: node24/);
    expect(fs.existsSync(path.resolve(ROOT, 'actions', name, meta.runs.main))).toBe(true);
  });

  it('documents every input and output', () => {
    const manifest = ACTIONS[name].manifest;
    for (const spec of Object.values(manifest.inputs)) expect(spec.description.length).toBeGreaterThan(10);
    for (const description of Object.values(manifest.outputs)) expect(description.length).toBeGreaterThan(5);
  });

  it('has defaults in action.yml that mean the same as the schema default', () => {
    const schema = SCHEMAS[name];
    const manifest = ACTIONS[name].manifest;
    for (const [input, spec] of Object.entries(manifest.inputs)) {
      if (spec.default === undefined || spec.required) continue;
      const field = (schema.shape as Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown } }>)[input];
      const withDefault = field?.safeParse(spec.default);
      const unset = field?.safeParse(undefined);
      expect(withDefault?.success, `${input} default parses`).toBe(true);
      if (input !== 'ingress-manifest') expect(withDefault?.data, `${input} default`).toEqual(unset?.data);
    }
  });
});

describe('readInputs', () => {
  it('treats an empty string as unset', () => {
    const inputs = readInputs(rollbackServiceSchema, { getInput: (n) => ({ services: 'a', environment: 'production', target: '' })[n] ?? '' });
    expect(inputs.target).toEqual({ kind: 'previous' });
  });
});
