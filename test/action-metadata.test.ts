import fs from 'node:fs';
import path from 'node:path';
import { NoOperationTraceWriter } from '@actions/workflow-parser';
import { parseAction } from '@actions/workflow-parser/actions/action-parser';
import { describe, expect, it } from 'vitest';
import { ACTION_LOADERS } from '../src/actions/catalog.js';
import { ACTION_NAMES, ACTIONS } from '../src/actions/registry.js';
import { rollbackServiceSchema } from '../src/actions/rollback-service/inputs.js';
import { readInputs } from '../src/core/inputs.js';
import { ROOT, readActionYaml } from './helpers/run-action.js';

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
    expect(declared).toEqual(Object.keys(ACTIONS[name].schema.shape).sort());
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

  it('has defaults its own validator accepts, filled in for an unset input', () => {
    const shape = ACTIONS[name].schema.shape as Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown } }>;
    for (const [input, spec] of Object.entries(ACTIONS[name].manifest.inputs)) {
      if (spec.default === undefined) continue;
      const withDefault = shape[input]?.safeParse(spec.default);
      expect(withDefault?.success, `${input} default parses`).toBe(true);
      const unset = shape[input]?.safeParse(undefined);
      if (spec.blankMeansNone) expect(unset?.data, `${input} set empty means none`).toBeUndefined();
      else expect(unset?.data, `${input} unset means its default`).toEqual(withDefault?.data);
    }
  });
});

describe('the lazy catalog the entry loads actions from', () => {
  it('names exactly the registered actions, and each loads', async () => {
    expect(Object.keys(ACTION_LOADERS).sort()).toEqual([...ACTION_NAMES].sort());
    for (const load of Object.values(ACTION_LOADERS)) expect(typeof (await load()).run).toBe('function');
  });
});

describe('readInputs', () => {
  it('treats an empty string as unset', () => {
    const inputs = readInputs(rollbackServiceSchema, { getInput: (n) => ({ services: 'a', environment: 'production', target: '' })[n] ?? '' });
    expect(inputs.target).toEqual({ kind: 'previous' });
  });
});
