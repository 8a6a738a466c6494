import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
// @ts-expect-error a plain .mjs script without types: the release workflow runs exactly it
import { prepareRelease } from '../scripts/release.mjs';
import { ROOT } from './helpers/run-action.js';

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
const release = parseYaml(fs.readFileSync(path.join(ROOT, '.github/workflows/release.yml'), 'utf8')) as {
  on: Record<string, { inputs?: Record<string, unknown> }>;
  permissions: object;
  jobs: Record<string, { permissions?: Record<string, string>; steps: Step[] }>;
};
const runs = (release.jobs.release?.steps ?? []).map((s) => s.run ?? '').join('\n');

function copyOfRepository(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-release-'));
  fs.cpSync(path.join(ROOT, '.github'), path.join(dir, '.github'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'CHANGELOG.md'), path.join(dir, 'CHANGELOG.md'));
  return dir;
}

describe('the release', () => {
  it('is dispatched with a version, builds, proves dist/, tags vX.Y.Z, moves the major tag and publishes', () => {
    expect(Object.keys(release.on)).toEqual(['workflow_dispatch']);
    expect(release.on.workflow_dispatch?.inputs).toHaveProperty('version');
    expect(release.permissions).toEqual({});
    expect(release.jobs.release?.permissions).toEqual({ contents: 'write' });
    for (const piece of [
      'npm ci',
      'npm run build',
      'git status --porcelain -- dist/ actions/',
      'node scripts/release.mjs --version "$VERSION"',
      'git tag -a "$VERSION"',
      'major="${VERSION%%.*}"',
      'git push --force origin "refs/tags/$major"',
      'gh release create "$VERSION"',
    ])
      expect(runs).toContain(piece);
    // an existing version is never moved
    expect(runs).toContain('is already tagged; tags are never moved');
  });

  it('the release commit runs the actions and calls rollback.yml at its own tag', () => {
    const dir = copyOfRepository();
    prepareRelease(dir, 'v1.0.0', 'keiko/rollback-actions');
    const auto = fs.readFileSync(path.join(dir, '.github/workflows/auto-rollback.yml'), 'utf8');
    const rollback = fs.readFileSync(path.join(dir, '.github/workflows/rollback.yml'), 'utf8');
    expect(auto).toContain('uses: keiko/rollback-actions/.github/workflows/rollback.yml@v1.0.0');
    expect(auto).not.toContain('uses: ./.github/workflows/');
    for (const text of [auto, rollback]) {
      const defaults = [...text.matchAll(/actions-ref: \{[^}]*default: ([^,]+),/g)].map((m) => m[1]);
      expect(defaults.length).toBeGreaterThan(0);
      expect(new Set(defaults)).toEqual(new Set(['v1.0.0']));
    }
  });

  it('refuses a malformed version and a version CHANGELOG.md does not describe', () => {
    expect(() => prepareRelease(copyOfRepository(), '1.0', 'keiko/rollback-actions')).toThrow('--version must look like v1.2.3, got "1.0"');
    expect(() => prepareRelease(copyOfRepository(), 'v9.9.9', 'keiko/rollback-actions')).toThrow('CHANGELOG.md has no "## v9.9.9" section');
  });

  it('ships what an adopter needs: LICENSE (MIT, as package.json says), SECURITY.md, CHANGELOG.md, dependabot for actions and npm', () => {
    expect(fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    expect(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).license).toBe('MIT');
    expect(fs.readFileSync(path.join(ROOT, 'SECURITY.md'), 'utf8')).toContain('Report a vulnerability');
    const dependabot = parseYaml(fs.readFileSync(path.join(ROOT, '.github/dependabot.yml'), 'utf8')) as { updates: { 'package-ecosystem': string }[] };
    expect(dependabot.updates.map((u) => u['package-ecosystem']).sort()).toEqual(['github-actions', 'npm']);
  });

  it('bundles one undici: @actions/core, Octokit and the Kubernetes client share it (a second copy costs every step ~45 ms to load)', () => {
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
    const copies = Object.entries(lock.packages).filter(([where]) => where.endsWith('node_modules/undici'));
    expect(copies.map(([where]) => where)).toEqual(['node_modules/undici']);
  });
});
