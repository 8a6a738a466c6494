import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { runTool } from '../core/exec.js';
import { type KubeEmulator, runbookFixture, startKubeEmulator } from './kube/index.js';
import { backupIngressYaml } from './kube/manifests.js';
import { requireResource } from './kube/resources.js';
import { type Json, meta, obj } from './kube/types.js';
import { startVercelEmulator, type VercelEmulator } from './vercel/server.js';

export const DRILL_SERVICES = ['chat-service', 'search-service', 'document-service', 'auth-service', 'gateway-bff'];
export const BAD_RELEASE = 'v1.3.0';
const NS = 'keiko-production';
const DEPLOYMENTS = requireResource('apps', 'v1', 'deployments');

export interface DrillDatabase {
  url: string;
  alembicDir: string;
}

export interface PlatformState {
  services: Record<string, string>;
  frontend: string;
  database: string;
}

export interface DrillPlatform {
  kube: KubeEmulator;
  vercel: VercelEmulator;
  healthUrlTemplate: string;
  prometheusUrl: string;
  workspace: string;
  database: DrillDatabase | { skipped: string };
  state(): Promise<PlatformState>;
  close(): Promise<void>;
}

function liveVersion(kube: KubeEmulator, service: string): { version: string; ready: boolean } {
  const d = kube.store.get(DEPLOYMENTS, NS, service);
  if (!d) return { version: 'missing', ready: false };
  const containers = (obj(obj(obj(d.spec).template).spec).containers ?? []) as Json[];
  const image = String(obj(containers[0]).image ?? '');
  const status = obj(d.status);
  const desired = Number(obj(d.spec).replicas ?? 1);
  const ready = status.readyReplicas === desired && status.updatedReplicas === desired && status.observedGeneration === meta(d).generation;
  return { version: image.split(':').pop() ?? '?', ready };
}

/** Health endpoints and a Prometheus-compatible alerts API that follow the emulator's live state. */
async function startObservedServices(kube: KubeEmulator): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/api/v1/alerts') {
      const alerts = DRILL_SERVICES.filter((s) => liveVersion(kube, s).version === BAD_RELEASE).map((service) => ({
        labels: { alertname: 'HighErrorRate', severity: 'critical', namespace: NS, service },
        annotations: { summary: `5xx rate above 5% on ${service}` },
        state: 'firing',
        activeAt: new Date().toISOString(),
        value: '0.31',
      }));
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ status: 'success', data: { alerts } }));
    }
    const [service, endpoint] = url.pathname.split('/').filter(Boolean);
    if (!service || endpoint !== 'health' || !DRILL_SERVICES.includes(service)) return void res.writeHead(404).end();
    const live = liveVersion(kube, service);
    const ok = live.version !== BAD_RELEASE && live.ready;
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: ok ? 'ok' : 'failing', version: live.version }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A keiko_drill database at the Alembic fixture's head, when PostgreSQL and Alembic are here. */
async function prepareDatabase(repoRoot: string, workspace: string, env: NodeJS.ProcessEnv): Promise<DrillDatabase | { skipped: string }> {
  const admin = env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const source = path.join(repoRoot, 'test/fixtures/alembic');
  if (!fs.existsSync(source)) return { skipped: `the Alembic fixture project is not at ${source}` };
  const client = new pg.Client({ connectionString: admin, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('DROP DATABASE IF EXISTS keiko_drill WITH (FORCE)');
    await client.query('CREATE DATABASE keiko_drill');
  } catch (error) {
    return {
      skipped: `no PostgreSQL at ${admin.replace(/:[^:@/]*@/, ':***@')} (${error instanceof Error ? error.message : String(error)}); start one, or set DATABASE_URL`,
    };
  } finally {
    await client.end().catch(() => undefined);
  }
  const url = new URL(admin);
  url.pathname = '/keiko_drill';
  const alembicDir = path.join(workspace, 'alembic');
  fs.cpSync(source, alembicDir, { recursive: true });
  const upgrade = await runTool('alembic', ['upgrade', 'head'], { cwd: alembicDir, env: { DATABASE_URL: url.toString() } }).catch((error: unknown) => ({
    exitCode: 127,
    stderr: String(error),
    stdout: '',
    timedOut: false,
  }));
  if (upgrade.exitCode !== 0)
    return { skipped: `alembic is not usable here (${upgrade.stderr.trim().split('\n').pop()}); install it: apt-get install -y alembic python3-psycopg2` };
  return { url: url.toString(), alembicDir };
}

const BACKUP_INGRESS = backupIngressYaml({ host: 'api.keiko.com', metadata: `  namespace: ${NS}\n` });

export async function startDrillPlatform(options: { repoRoot: string; env: NodeJS.ProcessEnv; withDatabase: boolean }): Promise<DrillPlatform> {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-drill-'));
  fs.mkdirSync(path.join(workspace, 'infra/kubernetes/emergency'), { recursive: true });
  fs.writeFileSync(path.join(workspace, 'infra/kubernetes/emergency/backup-ingress.yaml'), BACKUP_INGRESS);
  const [kube, vercel, database] = await Promise.all([
    startKubeEmulator({ fixture: runbookFixture(), controller: { podReadyMs: 120, podTerminateMs: 30 } }),
    startVercelEmulator({ aliasJobMs: 300, deployments: [{ ref: 'v1.1.0' }, { ref: 'v1.2.0' }, { ref: BAD_RELEASE }] }),
    options.withDatabase ? prepareDatabase(options.repoRoot, workspace, options.env) : Promise.resolve({ skipped: 'not part of this scenario' }),
  ]);
  const observed = await startObservedServices(kube);
  return {
    kube,
    vercel,
    healthUrlTemplate: `${observed.url}/{service}/health`,
    prometheusUrl: observed.url,
    workspace,
    database,
    async state() {
      const services = Object.fromEntries(DRILL_SERVICES.map((s) => [s, liveVersion(kube, s).version]));
      const frontend = vercel.state.production()?.meta.githubCommitRef ?? '?';
      let revision = 'skipped';
      if ('url' in database) {
        const client = new pg.Client({ connectionString: database.url });
        await client.connect();
        try {
          const version = (await client.query<{ v: string }>('SELECT version_num AS v FROM alembic_version')).rows[0]?.v ?? 'base';
          const users = (await client.query<{ n: string }>('SELECT count(*) AS n FROM users')).rows[0]?.n ?? '0';
          revision = `${version} (users: ${users} rows)`;
        } finally {
          await client.end();
        }
      }
      return { services, frontend, database: revision };
    },
    async close() {
      observed.server.close();
      await Promise.all([kube.close(), vercel.close()]);
    },
  };
}
