import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startDnsEmulator } from '../../src/sandbox/dns/server.js';
import { runbookFixture, startKubeEmulator } from '../../src/sandbox/kube/index.js';
import { startVercelEmulator } from '../../src/sandbox/vercel/server.js';
import { writes } from '../helpers/kube-fixtures.js';
import { alembic, alembicRevision, freshDatabase, workspaceWithProjects } from '../helpers/postgres.js';
import { type ActionRun, hasStackTrace, readActionYaml, runAction } from '../helpers/run-action.js';
import { hostileValue } from './hostile-values.js';

/**
 * The standing fuzz harness: each run takes one action's valid inputs, replaces one input with a
 * hostile value, runs the built bundle as the runner does, and checks what a user would notice.
 * CI runs FUZZ_RUNS per action with a fixed seed; `npm run fuzz -- --runs N [--seed S]` runs more.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 10);
const SEED = Number(process.env.FUZZ_SEED ?? 20261126);

interface Target {
  base: Record<string, string>;
  secrets: string[];
  /** How many writes the outside world has seen so far. */
  writeCount(): Promise<number>;
  cwd?: string;
}

function expectSafe(run: ActionRun, target: Target, input: string, value: string): void {
  const where = `input ${input} = ${JSON.stringify(value.slice(0, 80))}\n${run.stdout.slice(-1500)}`;
  expect(run.code, where).not.toBeNull();
  expect([0, 1], where).toContain(run.code);
  expect(run.errorLines.length, where).toBeLessThanOrEqual(1);
  expect(run.visible, where).not.toContain('Internal failure');
  expect(hasStackTrace(run.visible), where).toBe(false);
  for (const secret of target.secrets) expect(run.visible.includes(secret), `${where}\nsecret shown`).toBe(false);
}

async function fuzz(action: string, target: Target): Promise<void> {
  const inputs = Object.keys(readActionYaml(action).inputs ?? {});
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...inputs), hostileValue, async (input, value) => {
      const before = await target.writeCount();
      const run = await runAction(action, { ...target.base, [input]: value }, { timeoutMs: 90_000, ...(target.cwd ? { cwd: target.cwd } : {}) });
      expectSafe(run, target, input, value);
      // a bad input is refused before anything is touched
      if (run.code === 1 && run.errorLines[0]?.startsWith("::error::Input '"))
        expect(await target.writeCount(), `input ${input} = ${JSON.stringify(value.slice(0, 80))}: wrote before refusing`).toBe(before);
    }),
    { numRuns: RUNS, seed: SEED, endOnFailure: true },
  );
}

describe('the fuzz checks themselves', () => {
  const target: Target = { base: {}, secrets: ['s3cret-value'], writeCount: async () => 0 };
  const run = (over: Partial<ActionRun>): ActionRun => ({
    code: 1,
    stdout: '',
    stderr: '',
    outputs: {},
    summary: '',
    state: {},
    errorLines: ['::error::x'],
    visible: '',
    ...over,
  });
  it.each([
    ['an internal failure', run({ visible: '::error::Internal failure (please report it with the debug log): boom' })],
    ['a stack trace', run({ visible: 'Error: boom\n    at main (/x/index.js:1:2)' })],
    ['two error lines', run({ errorLines: ['::error::a', '::error::b'] })],
    ['a secret shown', run({ visible: 'token s3cret-value' })],
    ['a crash exit code', run({ code: 134 })],
    ['a run killed for hanging', run({ code: null })],
  ])('catch %s', (_label, bad) => {
    expect(() => expectSafe(bad, target, 'x', 'y')).toThrow();
  });
});

describe.concurrent(`fuzzed inputs (${RUNS} runs per action, seed ${SEED})`, () => {
  it('rollback-service', async (ctx) => {
    const e = await startKubeEmulator({ fixture: runbookFixture() });
    ctx.onTestFinished(() => e.close());
    await fuzz('rollback-service', {
      base: { environment: 'production', services: 'chat-service', kubeconfig: e.kubeconfig, 'dry-run': 'true', timeout: '30s' },
      secrets: [e.token],
      writeCount: async () => writes(e).filter((w) => !w.dryRun).length,
    });
  });

  it('emergency-reroute', async (ctx) => {
    const e = await startKubeEmulator({ fixture: runbookFixture() });
    const dns = await startDnsEmulator({ records: [{ type: 'CNAME', name: 'api.keiko.com', content: 'primary.keiko.net', ttl: 60 }] });
    ctx.onTestFinished(async () => {
      await e.close();
      await dns.close();
    });
    const base = {
      environment: 'production',
      kubeconfig: e.kubeconfig,
      'ingress-manifest': '',
      'dry-run': 'true',
      'dns-provider': 'cloudflare',
      'dns-zone': 'keiko.com',
      'dns-record': 'api',
      'dns-target': 'backup.keiko.net',
      'dns-token': dns.token,
      'dns-api-url': `${dns.url}/client/v4`,
      timeout: '30s',
    };
    await fuzz('emergency-reroute', {
      base,
      secrets: [e.token, dns.token],
      writeCount: async () => writes(e).filter((w) => !w.dryRun).length + dns.writes.length,
    });
  });

  it('rollback-frontend', async (ctx) => {
    const vercel = await startVercelEmulator({ team: { id: 'team_keiko', slug: 'keiko' }, aliasJobMs: 100 });
    ctx.onTestFinished(() => vercel.close());
    await fuzz('rollback-frontend', {
      base: { 'vercel-token': vercel.token, project: 'keiko-frontend', team: 'team_keiko', 'api-url': vercel.url, 'dry-run': 'true', timeout: '30s' },
      secrets: [vercel.token],
      writeCount: async () => vercel.requests.filter((r) => r.method !== 'GET').length,
    });
  });

  it('verify', async (ctx) => {
    let hits = 0;
    const server = http.createServer((_req, res) => {
      hits++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    ctx.onTestFinished(() => void server.close());
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
    // verify only reads: its "write" is any request at all before a refused input
    await fuzz('verify', {
      base: { 'health-urls': url, 'grafana-token': 'grafana-fuzz-secret', retries: '0', timeout: '30s' },
      secrets: ['grafana-fuzz-secret'],
      writeCount: async () => hits,
    });
  });

  it('rollback-database', async (ctx) => {
    const db = await freshDatabase();
    ctx.onTestFinished(() => db.drop());
    const workspace = workspaceWithProjects();
    alembic(workspace, db.url, 'upgrade', 'head');
    const url = db.url.replace('postgres@', 'postgres:fuzz-pass-secret@');
    let changes = 0;
    let last = await alembicRevision(db.url);
    const writeCount = async (): Promise<number> => {
      const now = await alembicRevision(db.url).catch(() => undefined);
      if (now !== last) changes++;
      last = now;
      return changes;
    };
    await fuzz('rollback-database', {
      base: { 'database-url': url, 'working-directory': 'alembic', target: '-1', 'dry-run': 'true', timeout: '60s' },
      secrets: ['fuzz-pass-secret'],
      writeCount,
      cwd: workspace,
    });
    fs.rmSync(workspace, { recursive: true, force: true });
  });
});
