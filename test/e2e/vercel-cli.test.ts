import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVercelEmulator, type VercelEmulator } from '../../src/sandbox/vercel/server.js';
import { ROOT } from '../helpers/run-action.js';

/**
 * The Vercel emulator held to the real Vercel CLI (pinned in scripts/vercel-cli.sh), pointed at it
 * with the CLI's `--api` flag: every command the runbook and an on-call engineer use, with and
 * without `--scope`. A command that fails here is a gap in the emulator, not in the CLI.
 */
let vercelBin: string;
let e: VercelEmulator;
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-vercel-cli-'));

beforeAll(() => {
  // installs once into .cache/ (progress on stderr); without the npm registry this fails loudly
  vercelBin =
    execFileSync('bash', [path.join(ROOT, 'scripts/vercel-cli.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
      .trim()
      .split('\n')
      .pop() ?? '';
}, 300_000);

afterAll(async () => {
  await e?.close();
});

async function vercel(token: string, ...args: string[]): Promise<{ code: number; out: string }> {
  const env = { PATH: process.env.PATH ?? '', HOME: home, NO_UPDATE_NOTIFIER: '1', VERCEL_TELEMETRY_DISABLED: '1', CI: '1', FORCE_COLOR: '0' };
  try {
    const run = await promisify(execFile)(vercelBin, [...args, '--api', e.url, '--token', token, '--no-color'], { env, timeout: 60_000, encoding: 'utf8' });
    return { code: 0, out: run.stdout + run.stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : 1, out: (failed.stdout ?? '') + (failed.stderr ?? '') };
  }
}

describe('the real Vercel CLI against the Vercel emulator', () => {
  beforeAll(async () => {
    // a northstar account (the default team stands in for the personal one), so that commands
    // without --scope reach the team's project as they do on Vercel today
    e = await startVercelEmulator({ team: { id: 'team_keiko', slug: 'keiko' }, northstar: true, aliasJobMs: 300 });
  });
  const ok = async (...args: string[]): Promise<string> => {
    const run = await vercel(e.token, ...args);
    expect(run.code, run.out).toBe(0);
    return run.out;
  };

  it.each([[[]], [['--scope', 'keiko']]])('whoami %j', async (scope) => {
    expect(await ok('whoami', ...scope)).toContain('keiko-oncall');
  });

  it.each([[[]], [['--scope', 'keiko']]])('project ls, ls, alias ls and inspect %j', async (scope) => {
    const production = e.state.production();
    expect(await ok('project', 'ls', ...scope)).toMatch(/keiko-frontend\s+https:\/\/keiko\.com/);
    const list = await ok('ls', 'keiko-frontend', ...scope);
    for (const d of e.state.deployments) expect(list).toContain(`https://${d.url}`);
    const aliases = await ok('alias', 'ls', ...scope);
    expect(aliases).toMatch(new RegExp(`${production?.url.replace(/\./g, '\\.')}\\s+keiko\\.com`));
    const inspect = await ok('inspect', production?.uid ?? '', ...scope);
    expect(inspect).toContain(`id\t\t${production?.uid}`);
    expect(inspect).toMatch(/status\s+● Ready/);
  });

  it('rollback, rollback status and promote move production as our client sees it', async () => {
    const [, v12, v13] = e.state.deployments;
    const rollback = await ok('rollback', v12?.uid ?? '', '--scope', 'keiko', '--timeout', '30s');
    expect(rollback).toContain(`Success! keiko-frontend was rolled back to ${v12?.url} (${v12?.uid})`);
    expect(e.state.project.productionId).toBe(v12?.uid);
    expect(await ok('rollback', 'status', 'keiko-frontend', '--scope', 'keiko')).toContain(`was rolled back to ${v12?.url}`);
    const promote = await ok('promote', v13?.uid ?? '', '--scope', 'keiko', '--yes', '--timeout', '30s');
    expect(promote).toContain(`Success! keiko-frontend was promoted to ${v13?.url} (${v13?.uid})`);
    expect(e.state.project.productionId).toBe(v13?.uid);
    expect(e.state.project.autoAssignCustomDomains).toBe(true);
  });

  it('a partly failed alias job: the alias list, the deployments and production agree on what moved', async () => {
    const [, v12, v13] = e.state.deployments;
    e.state.failAliases = ['www.keiko.com'];
    const rollback = await vercel(e.token, 'rollback', v12?.uid ?? '', '--scope', 'keiko', '--timeout', '30s');
    expect(rollback.code, rollback.out).not.toBe(0);
    expect(e.state.project.productionId, 'production stays until every domain moved').toBe(v13?.uid);
    const aliases = await ok('alias', 'ls', '--scope', 'keiko');
    expect(aliases).toMatch(new RegExp(`${v12?.url.replace(/\./g, '\\.')}\\s+keiko\\.com\\b`));
    expect(aliases).toMatch(new RegExp(`${v13?.url.replace(/\./g, '\\.')}\\s+www\\.keiko\\.com`));
    expect(await ok('inspect', v12?.uid ?? '', '--scope', 'keiko')).toContain('keiko.com');
  });

  it('a bad token is refused as Vercel refuses it (403 invalidToken), and the CLI says so', async () => {
    const run = await vercel('not-a-valid-token', 'whoami');
    expect(run.code).not.toBe(0);
    expect(run.out).toMatch(/token.*(not valid|invalid)|invalid.*token/i);
  });
});
