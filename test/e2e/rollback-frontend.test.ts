import { afterEach, describe, expect, it } from 'vitest';
import { startVercelEmulator, type VercelEmulator } from '../../src/sandbox/vercel/server.js';
import type { VercelFixture } from '../../src/sandbox/vercel/state.js';
import { hasStackTrace, runAction } from '../helpers/run-action.js';

let emulators: VercelEmulator[] = [];
async function vercel(fixture: VercelFixture = {}): Promise<VercelEmulator> {
  const e = await startVercelEmulator({ team: { id: 'team_keiko', slug: 'keiko' }, aliasJobMs: 400, ...fixture });
  emulators.push(e);
  return e;
}
afterEach(async () => {
  await Promise.all(emulators.map((e) => e.close()));
  emulators = [];
});

const frontend = (e: VercelEmulator, inputs: Record<string, string> = {}) =>
  runAction('rollback-frontend', { 'vercel-token': e.token, project: 'keiko-frontend', team: 'team_keiko', 'api-url': e.url, ...inputs });
const ids = (e: VercelEmulator) => e.state.deployments.map((d) => d.uid);
const posts = (e: VercelEmulator) => e.requests.filter((r) => r.method === 'POST').map((r) => r.path.replace(/dpl_\w+/, 'dpl').replace(/prj_\w+/, 'prj'));

describe('rollback-frontend (dist bundle against the Vercel emulator)', () => {
  it('rolls production back to the previous deployment, waits for the alias job, reports the pin', async () => {
    const e = await vercel();
    const [, v12, v13] = ids(e);
    const run = await frontend(e);
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs).toMatchObject({ 'deployment-id': v12, 'previous-deployment-id': v13, pinned: 'true' });
    expect(e.state.project.productionId).toBe(v12);
    expect(posts(e)).toEqual(['/v9/projects/prj/rollback/dpl']);
    expect(e.requests.every((r) => r.query.teamId === 'team_keiko')).toBe(true);
    expect(run.stdout).toMatch(/alias job \(rollback\): (pending|in-progress)/);
    expect(run.stdout).toContain('alias job (rollback): succeeded');
    expect(run.summary).toContain('Production is pinned');
    expect(run.summary).toMatch(/_Phases: Roll back \S+ · Domains \S+_/);
    expect(run.summary).toContain('mode: undo-rollback');
    expect(run.visible).not.toContain(e.token);
  });

  it('rolls back to a deployment given by id and by URL', async () => {
    const e = await vercel();
    const v11 = e.state.deployments[0]!;
    const byId = await frontend(e, { target: v11.uid });
    expect(byId.outputs['deployment-id']).toBe(v11.uid);
    const e2 = await vercel();
    const first = e2.state.deployments[0]!;
    const byUrl = await frontend(e2, { target: `https://${first.url}` });
    expect(byUrl.code).toBe(0);
    expect(e2.state.project.productionId).toBe(first.uid);
  });

  it('is unchanged, without error, when the target already serves production', async () => {
    const e = await vercel();
    const current = e.state.project.productionId;
    const run = await frontend(e, { target: current });
    expect(run.code).toBe(0);
    expect(run.summary).toContain('unchanged: already the current production deployment');
    expect(posts(e)).toEqual([]);
  });

  it('treats Vercel\'s 409 "already the current deployment" as unchanged, not an error', async () => {
    const e = await vercel();
    e.fault({ method: 'POST', path: '/rollback/', status: 409 });
    const run = await frontend(e);
    expect(run.code).toBe(0);
    expect(run.errorLines).toEqual([]);
    expect(run.summary).toContain('unchanged: already the current production deployment');
  });

  it('dry-run resolves current → target and sends no POST', async () => {
    const e = await vercel();
    const run = await frontend(e, { 'dry-run': 'true' });
    expect(run.code).toBe(0);
    expect(run.outputs['deployment-id']).toBe(ids(e)[1]);
    expect(posts(e)).toEqual([]);
    expect(e.state.project.productionId).toBe(ids(e)[2]);
  });

  it('undo-rollback refuses to re-promote the deployment the rollback moved away from; with force it promotes it and unpins', async () => {
    const e = await vercel();
    await frontend(e);
    expect(e.state.project.autoAssignCustomDomains).toBe(false);
    const refused = await frontend(e, { mode: 'undo-rollback' });
    expect(refused.code).toBe(1);
    expect(refused.errorLines).toHaveLength(1);
    expect(refused.errorLines[0]).toMatch(
      new RegExp(
        `^::error::Input 'mode' would promote ${ids(e)[2]} \\(v1\\.3\\.0\\) again, the deployment the rollback at .* moved away from: set force: true to re-promote it, or deploy a fix$`,
      ),
    );
    expect(posts(e)).toEqual(['/v9/projects/prj/rollback/dpl']);
    const run = await frontend(e, { mode: 'undo-rollback', force: 'true' });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs).toMatchObject({ 'deployment-id': ids(e)[2], pinned: 'false' });
    expect(e.state.project.autoAssignCustomDomains).toBe(true);
    expect(posts(e)).toEqual(['/v9/projects/prj/rollback/dpl', '/v10/projects/prj/promote/dpl']);
  });

  it('redeploy builds git-ref for production and makes it live', async () => {
    const e = await vercel();
    const run = await frontend(e, { mode: 'redeploy', 'git-ref': 'v1.2.1' });
    expect(run.code, run.stdout).toBe(0);
    const built = e.state.deployments[e.state.deployments.length - 1]!;
    expect(built.meta.githubCommitRef).toBe('v1.2.1');
    expect(e.state.project.productionId).toBe(built.uid);
    expect(run.stdout).toContain(`${built.uid}: READY`);
  });

  it('fails listing the aliases when the alias job fails', async () => {
    const e = await vercel();
    e.state.failAliases = ['www.keiko.com'];
    const run = await frontend(e);
    expect(run.code).toBe(1);
    expect(run.errorLines).toEqual([`::error::Vercel could not move all domains to ${ids(e)[1]}: failed aliases www.keiko.com`]);
    expect(run.summary).toContain('www.keiko.com (failed)');
  });

  it('waits out a 429 until X-RateLimit-Reset, retries a 500, then succeeds', async () => {
    const e = await vercel();
    e.fault({ method: 'GET', path: '/v9/projects/', status: 429, resetSeconds: 1 });
    e.fault({ method: 'POST', status: 500 });
    const started = Date.now();
    const run = await frontend(e);
    expect(run.code, run.stdout).toBe(0);
    expect(Date.now() - started).toBeGreaterThan(900);
    expect(run.stdout).toContain('429 rate limited; retry 1');
    expect(run.stdout).toContain('500 internal_server_error; retry 1');
  });

  it('refuses on the Hobby plan a target older than the immediately previous deployment', async () => {
    const e = await vercel({ plan: 'hobby' });
    const run = await frontend(e, { target: ids(e)[0] ?? '' });
    expect(run.code).toBe(1);
    expect(run.errorLines[0]).toContain("Input 'target'");
    expect(run.errorLines[0]).toContain('upgrade to pro');
    expect(e.state.project.productionId).toBe(ids(e)[2]);
  });
});

describe('bad input: one ::error::, nothing changed', () => {
  it.each([
    ['missing token', { 'vercel-token': '' }, "::error::Input 'vercel-token' is required: pass a Vercel token as a secret"],
    [
      'token rejected',
      { 'vercel-token': 'wrong-token-123' },
      '::error::Vercel API rejected the credentials in vercel-token (403 Forbidden) for GET /v9/projects/keiko-frontend: check that they are valid and not expired.',
    ],
    ['unknown project', { project: 'nope' }, `::error::Input 'project' "nope" was not found by Vercel`],
    ['another team', { team: 'team_other' }, '::error::Vercel API denied GET /v9/projects/keiko-frontend (403 Forbidden'],
    ['target not in the project', { target: 'dpl_doesnotexist' }, `::error::Input 'target' "dpl_doesnotexist" is not a deployment of project keiko-frontend`],
    ['redeploy without git-ref', { mode: 'redeploy' }, "::error::Input 'git-ref' is required with mode: redeploy"],
    ['api-url not http', { 'api-url': 'ftp://api.vercel.com' }, "::error::Input 'api-url' must start with https:// or http://"],
    [
      'token that HTTP cannot carry',
      { 'vercel-token': 'tok€n-123' },
      "::error::Input 'vercel-token' has a character an HTTP header cannot carry at position 4",
    ],
    ['timeout: never', { timeout: 'never' }, `::error::Input 'timeout' must be a duration such as 90s, 10m or 1h, got "never"`],
  ])('%s', async (_label, inputs, line) => {
    const e = await vercel();
    const run = await frontend(e, inputs);
    expect(run.code).toBe(1);
    expect(run.errorLines).toHaveLength(1);
    expect(run.errorLines[0]?.startsWith(line), run.errorLines[0]).toBe(true);
    expect(hasStackTrace(run.stdout + run.stderr)).toBe(false);
    expect(posts(e)).toEqual([]);
    expect(run.visible).not.toContain(e.token);
  });

  it('refuses a target that is not READY', async () => {
    const e = await vercel({ deployments: [{ ref: 'v1.1.0' }, { ref: 'v1.2.0', state: 'ERROR' }, { ref: 'v1.3.0' }] });
    const run = await frontend(e, { target: ids(e)[1] ?? '' });
    expect(run.errorLines[0]).toContain('is ERROR production: only a READY production deployment can be rolled back to');
    const previous = await frontend(e);
    expect(previous.outputs['deployment-id']).toBe(ids(e)[0]);
  });

  it('previous twice stays: the re-run is unchanged and moves nothing', async () => {
    const e = await vercel();
    const [, v12] = ids(e);
    expect((await frontend(e)).outputs['deployment-id']).toBe(v12);
    const again = await frontend(e);
    expect(again.code, again.stdout).toBe(0);
    expect(again.outputs['deployment-id']).toBe(v12);
    expect(again.summary).toMatch(
      /unchanged: production is dpl_\w+ \(v1\.2\.0\), put there by a rollback at .* from dpl_\w+; previous never returns to a deployment a rollback moved away from/,
    );
    expect(posts(e)).toEqual(['/v9/projects/prj/rollback/dpl']);
  });

  it('a version tag is a target (matched against the git ref), the choices are listed when absent, and a plan runs exactly once', async () => {
    const e = await vercel();
    const [v11] = ids(e);
    const dry = await frontend(e, { target: 'v1.1.0', 'dry-run': 'true' });
    expect(dry.code, dry.stdout).toBe(0);
    const plan = JSON.parse(dry.outputs.plan ?? '{}') as { to: { id: string; ref: string } };
    expect(plan.to).toMatchObject({ id: v11, ref: 'v1.1.0' });
    const first = await frontend(e, { plan: dry.outputs.plan ?? '' });
    expect(first.outputs['deployment-id']).toBe(v11);
    const again = await frontend(e, { plan: dry.outputs.plan ?? '' });
    expect(again.code).toBe(0);
    expect(again.summary).toContain(`unchanged: ${v11} already serves production`);
    expect(posts(e)).toEqual(['/v9/projects/prj/rollback/dpl']);
    const missing = await frontend(e, { target: 'v9.9.9' });
    expect(missing.errorLines).toEqual([
      `::error::Input 'target' "v9.9.9" matches no READY production deployment of keiko-frontend by its git ref or tag (refs: v1.3.0, v1.2.0, v1.1.0); or give a deployment id (dpl_…) or URL`,
    ]);
  });
});
