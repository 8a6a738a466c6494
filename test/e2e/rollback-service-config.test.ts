import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KubeEmulator } from '../../src/sandbox/kube/index.js';
import { findResource } from '../../src/sandbox/kube/resources.js';
import { type JsonObject, meta, obj } from '../../src/sandbox/kube/types.js';
import { runCli } from '../helpers/cli.js';
import { DEPLOYMENTS, kubeEmulators, liveImage, NS, notAllowedBy, verbsUsed } from '../helpers/kube-fixtures.js';
import { runAction } from '../helpers/run-action.js';

const CONFIG_MAPS = findResource('', 'v1', 'configmaps')!;
const SECRETS = findResource('', 'v1', 'secrets')!;
const b64 = (text: string): string => Buffer.from(text).toString('base64');

const start = kubeEmulators();

/** chat-service at v1.2.0 reading chat-config and chat-secrets (envFrom); v1.3.0 not deployed yet. */
async function platform(): Promise<KubeEmulator> {
  const e = await start({
    fixture: {
      namespaces: [
        {
          name: NS,
          deployments: [
            { name: 'chat-service', releases: ['v1.1.0', 'v1.2.0'], replicas: 1, envFrom: { configMaps: ['chat-config'], secrets: ['chat-secrets'] } },
          ],
        },
      ],
    },
  });
  e.store.create(CONFIG_MAPS, { metadata: { name: 'chat-config', namespace: NS }, data: { LOG_LEVEL: 'info', MODEL: 'keiko-7b' } });
  e.store.create(SECRETS, { metadata: { name: 'chat-secrets', namespace: NS }, type: 'Opaque', data: { API_KEY: b64('old-key-123') } });
  return e;
}

/** The deploy of v1.3.0: new configuration (a changed key, a new key, a rotated secret), then the new image. */
async function deployV130(e: KubeEmulator): Promise<void> {
  const cm = e.store.get(CONFIG_MAPS, NS, 'chat-config')!;
  e.store.update(CONFIG_MAPS, { ...cm, data: { LOG_LEVEL: 'debug', MODEL: 'keiko-7b', FEATURE_X: 'on' } });
  const secret = e.store.get(SECRETS, NS, 'chat-secrets')!;
  e.store.update(SECRETS, { ...secret, data: { API_KEY: b64('new-key-456') } });
  const d = e.store.get(DEPLOYMENTS, NS, 'chat-service')!;
  const template = obj(obj(d.spec).template);
  const containers = (obj(template.spec).containers as JsonObject[]).map((c) => ({ ...c, image: 'registry.keiko.io/chat-service:v1.3.0' }));
  e.store.update(DEPLOYMENTS, { ...d, spec: { ...obj(d.spec), template: { ...template, spec: { ...obj(template.spec), containers } } } });
}

/** Resolves once chat-service's rollout to its live template is complete (an event of the store, not a delay). */
function rolledOut(e: KubeEmulator): Promise<void> {
  const done = (): boolean => {
    const d = e.store.get(DEPLOYMENTS, NS, 'chat-service')!;
    const status = obj(d.status);
    return status.observedGeneration === meta(d).generation && status.updatedReplicas === 1 && status.replicas === 1 && status.availableReplicas === 1;
  };
  return new Promise((resolve) => {
    if (done()) return resolve();
    const stop = e.store.subscribe(() => {
      if (!done()) return;
      stop();
      resolve();
    });
  });
}

/** A snapshot of `source` for template `gone5d4c`, which no ReplicaSet has. */
function staleSnapshot(source: string, content: JsonObject): JsonObject {
  return {
    metadata: {
      name: `keiko-snap-gone5d4c-${source}`,
      namespace: NS,
      labels: { 'rollback.keiko.io/snapshot-of': 'chat-service', 'rollback.keiko.io/pod-template-hash': 'gone5d4c' },
      annotations: { 'rollback.keiko.io/source': source },
    },
    immutable: true,
    ...content,
  };
}

const run = (e: KubeEmulator, inputs: Record<string, string>) =>
  runAction('rollback-service', { environment: 'production', kubeconfig: e.kubeconfig, services: 'chat-service', ...inputs });

describe('configuration rolled back with the code (mode: snapshot, then a rollback)', () => {
  it('a ConfigMap and a Secret changed by a deploy come back with the rollback; the plan lists changed keys, never Secret values', async () => {
    const e = await platform();
    const snap = await run(e, { mode: 'snapshot' });
    expect(snap.code, snap.stdout).toBe(0);
    const [taken] = JSON.parse(snap.outputs.result ?? '[]') as { 'template-hash': string; objects: { name: string; snapshot: string; status: string }[] }[];
    expect(taken?.objects.map((o) => [o.name, o.status])).toEqual([
      ['chat-config', 'created'],
      ['chat-secrets', 'created'],
    ]);
    const copy = e.store.get(SECRETS, NS, taken?.objects[1]?.snapshot ?? '')!;
    expect(copy.immutable).toBe(true);
    expect(copy.type).toBe('Opaque');
    expect(meta(copy).labels).toMatchObject({
      'rollback.keiko.io/snapshot-of': 'chat-service',
      'rollback.keiko.io/pod-template-hash': taken?.['template-hash'],
    });
    // a second snapshot of the same template and content writes nothing new
    const again = await run(e, { mode: 'snapshot' });
    expect((JSON.parse(again.outputs.result ?? '[]') as { objects: { status: string }[] }[])[0]?.objects.map((o) => o.status)).toEqual([
      'unchanged',
      'unchanged',
    ]);

    await deployV130(e);
    await rolledOut(e);
    const dry = await run(e, { 'dry-run': 'true' });
    expect(dry.code, dry.stdout).toBe(0);
    const plan = JSON.parse(dry.outputs.plan ?? '{}') as {
      services: { config: { snapshot: boolean; restore: { name: string; keys: { key: string; from: string; to: string }[] }[] } }[];
    };
    const restore = plan.services[0]?.config.restore ?? [];
    expect(restore.map((r) => [r.name, r.keys.map((k) => `${k.key}: ${k.from} → ${k.to}`)])).toEqual([
      ['chat-config', ['FEATURE_X: on → (absent)', 'LOG_LEVEL: debug → info']],
      ['chat-secrets', [expect.stringMatching(/^API_KEY: sha256:[0-9a-f]{12} → sha256:[0-9a-f]{12}$/)]],
    ]);
    for (const text of [dry.stdout, dry.summary, dry.outputs.plan ?? '']) {
      for (const secret of ['old-key-123', 'new-key-456', b64('old-key-123'), b64('new-key-456')]) expect(text).not.toContain(secret);
    }
    expect(dry.summary).toContain('| ConfigMap/chat-config | LOG_LEVEL | debug | info |');
    // the dry run wrote nothing
    expect(obj(e.store.get(CONFIG_MAPS, NS, 'chat-config')!.data).LOG_LEVEL).toBe('debug');

    const rolled = await run(e, { plan: dry.outputs.plan ?? '' });
    expect(rolled.code, rolled.stdout).toBe(0);
    expect(obj(e.store.get(CONFIG_MAPS, NS, 'chat-config')!.data)).toEqual({ LOG_LEVEL: 'info', MODEL: 'keiko-7b' });
    expect(obj(e.store.get(SECRETS, NS, 'chat-secrets')!.data)).toEqual({ API_KEY: b64('old-key-123') });
    expect(liveImage(e, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.2.0');
    expect(JSON.parse(rolled.outputs.result ?? '[]')[0].message).toContain('restored ConfigMap/chat-config, Secret/chat-secrets from the target');
    // the configuration was written before the template: the old code started with its old configuration
    const order = e.requests.filter(
      (r) => ['update', 'patch'].includes(r.verb) && r.query.dryRun !== 'All' && ['configmaps', 'secrets', 'deployments'].includes(r.resource ?? ''),
    );
    expect(order.map((r) => r.resource)).toEqual(['configmaps', 'secrets', 'deployments']);
    // the Role allows every request, and each verb it grants on secrets is one this flow uses
    expect(notAllowedBy(e, 'keiko-rollback-role.yaml')).toEqual([]);
    expect(verbsUsed(e, ['secrets'])).toEqual(['create secrets', 'get secrets', 'list secrets', 'update secrets']);
  });

  it('without a snapshot the plan says plainly that configuration is not rolled back', async () => {
    const e = await platform();
    await deployV130(e);
    await rolledOut(e);
    const dry = await run(e, { 'dry-run': 'true' });
    expect(dry.code, dry.stdout).toBe(0);
    expect(dry.stdout).toContain("configuration is NOT rolled back (no snapshot of the target's template; take them with mode: snapshot before each deploy)");
    // both objects were written after the target's ReplicaSet was made
    expect(dry.stdout).toMatch(
      /changed since the target revision was made: ConfigMap\/chat-config \(written [\dT:Z-]+\), Secret\/chat-secrets \(written [\dT:Z-]+\)/,
    );
    expect(dry.summary).toContain('**chat-service: configuration is not rolled back**');
    const rolled = await run(e, {});
    expect(rolled.code).toBe(0);
    expect(obj(e.store.get(CONFIG_MAPS, NS, 'chat-config')!.data).LOG_LEVEL).toBe('debug');
  });

  it('snapshots of templates whose ReplicaSets were pruned are removed with them; the others stay', async () => {
    const e = await platform();
    // snapshots of a template no ReplicaSet has any more (revisionHistoryLimit pruned it)
    e.store.create(CONFIG_MAPS, staleSnapshot('chat-config', { data: { LOG_LEVEL: 'trace' } }));
    e.store.create(SECRETS, staleSnapshot('chat-secrets', { type: 'Opaque', data: { API_KEY: b64('older-key') } }));
    const first = await run(e, { mode: 'snapshot' });
    expect(first.code, first.stdout).toBe(0);
    const [result] = JSON.parse(first.outputs.result ?? '[]') as { 'template-hash': string; pruned: string[] }[];
    expect(result?.pruned).toEqual(['ConfigMap/keiko-snap-gone5d4c-chat-config', 'Secret/keiko-snap-gone5d4c-chat-secrets']);
    expect(notAllowedBy(e, 'keiko-rollback-role.yaml')).toEqual([]);
    expect(verbsUsed(e, ['secrets'])).toContain('delete secrets');
    const left = e.store
      .list(CONFIG_MAPS, NS)
      .map((c) => String(meta(c).name))
      .filter((n) => n.startsWith('keiko-snap-'));
    expect(left).toEqual([`keiko-snap-${result?.['template-hash']}-chat-config`]);
  });

  it.each([
    [{ mode: 'snapshots' }, '::error::Input \'mode\' must be one of rollback | snapshot | resume-sync, got "snapshots"'],
    [
      { mode: 'snapshot', services: 'statefulset/vector-db' },
      "::error::Input 'services' names statefulset/vector-db: mode: snapshot stores the configuration of deployments",
    ],
  ])('bad input %j: one ::error::, nothing written', async (inputs, line) => {
    const e = await platform();
    const bad = await run(e, inputs);
    expect(bad.errorLines).toEqual([expect.stringContaining(line.replace('::error::', ''))]);
    expect(bad.errorLines[0]?.startsWith(line)).toBe(true);
  });
});

describe('the CLI form', () => {
  it('keiko-rollback service --mode snapshot --services … stores the same snapshot', async () => {
    const e = await platform();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-snap-cli-'));
    fs.writeFileSync(path.join(dir, 'kubeconfig'), e.kubeconfig);
    const cli = await runCli(['service', '--mode', 'snapshot', '--services', 'chat-service', '--environment', 'production'], {
      KUBECONFIG: path.join(dir, 'kubeconfig'),
    });
    expect(cli.code, cli.stdout + cli.stderr).toBe(0);
    expect(cli.stdout + cli.stderr).toMatch(/✓ chat-service: snapshotted \(2 object\(s\) stored for template \w+\)/);
    const names = e.store
      .list(SECRETS, NS)
      .map((s) => String(meta(s).name))
      .filter((n) => n.startsWith('keiko-snap-'));
    expect(names).toHaveLength(1);
  });
});
