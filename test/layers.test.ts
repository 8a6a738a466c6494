import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/run-action.js';

// The one-way rules of the layout, kept by a test instead of by discipline (README "Layout"):
//   action folders orchestrate and summarise; they build no request (Kubernetes in src/kube, Vercel in src/vercel,
//   GitHub in src/github); the engine never imports an action or the CLI; only the CLI (drill, sandbox) and the
//   sandbox itself import the sandbox, so no emulator is ever bundled into an action's code path.
const SRC = path.join(ROOT, 'src');
const ENGINE = ['core', 'kube', 'vercel', 'github', 'database', 'dns', 'checks', 'notify'];

function files(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

function imports(file: string): string[] {
  return [...fs.readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^'"]*from '([^']+)'|import\('([^']+)'\)/gm)].map((m) => m[1] ?? m[2] ?? '');
}

const rel = (file: string): string => path.relative(ROOT, file);

describe('layers', () => {
  it('src/actions/** builds no API request: no API path appears there', () => {
    const offending = files(path.join(SRC, 'actions')).flatMap((file) =>
      fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .map((line, i) => [line, i] as const)
        .filter(([line]) => /\/apis\/|\/api\/v1|['`/]v\d+\/(projects|deployments|aliases|now)|api\.github\.com|\/repos\//.test(line))
        .map(([, i]) => `${rel(file)}:${i + 1}`),
    );
    expect(offending).toEqual([]);
  });

  it('the engine never imports an action or the CLI', () => {
    const offending = ENGINE.flatMap((dir) => files(path.join(SRC, dir))).flatMap((file) =>
      imports(file)
        .filter((spec) => /(^|\/)(actions|cli)\//.test(path.relative(SRC, path.resolve(path.dirname(file), spec))))
        .map((spec) => `${rel(file)} imports ${spec}`),
    );
    expect(offending).toEqual([]);
  });

  it('only the CLI and the sandbox import the sandbox', () => {
    const outside = files(SRC).filter((file) => !rel(file).startsWith('src/sandbox/') && !rel(file).startsWith('src/cli/'));
    const offending = outside.flatMap((file) =>
      imports(file)
        .filter((spec) => spec.startsWith('.') && path.relative(SRC, path.resolve(path.dirname(file), spec)).startsWith('sandbox/'))
        .map((spec) => `${rel(file)} imports ${spec}`),
    );
    expect(offending).toEqual([]);
  });

  it('the rules can fail: a line with an API path is found', () => {
    expect(
      /\/apis\/|\/api\/v1|['`/]v\d+\/(projects|deployments|aliases|now)|api\.github\.com|\/repos\//.test("client.request('POST', '/v13/deployments')"),
    ).toBe(true);
  });
});
