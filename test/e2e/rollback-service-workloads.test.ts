import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Fixture, KubeEmulator } from '../../src/sandbox/kube/index.js';
import { findResource } from '../../src/sandbox/kube/resources.js';
import { type KubeObject, meta, obj, stringMap } from '../../src/sandbox/kube/types.js';
import { kubeEmulators, NS, writes } from '../helpers/kube-fixtures.js';
import { kubectlFor } from '../helpers/kubectl.js';
import { ROOT, runAction } from '../helpers/run-action.js';

const STATEFUL_SETS = findResource('apps', 'v1', 'statefulsets')!;
const DAEMON_SETS = findResource('apps', 'v1', 'daemonsets')!;
const REVISIONS = findResource('apps', 'v1', 'controllerrevisions')!;
const PODS = findResource('', 'v1', 'pods')!;
const RECORD = 'rollback.keiko.io/rolled-back-from';

const start = kubeEmulators();
const fixture = (partition = 0): Fixture => ({
  namespaces: [
    {
      name: NS,
      deployments: [{ name: 'chat-service', releases: ['v1.1.0', 'v1.2.0', 'v1.3.0'], replicas: 1 }],
      statefulSets: [{ name: 'vector-db', releases: ['v1.1.0', 'v1.2.0', 'v1.3.0'], replicas: 3, partition }],
      daemonSets: [{ name: 'log-agent', releases: ['v2.0.0', 'v2.1.0', 'v2.2.0'] }],
    },
  ],
});

const rollback = (e: KubeEmulator, inputs: Record<string, string>) =>
  runAction('rollback-service', { environment: 'production', kubeconfig: e.kubeconfig, ...inputs });
const results = (text: string | undefined): { service: string; status: string; 'to-version': string; message: string }[] => JSON.parse(text ?? '[]');

/** What `kubectl rollout undo` leaves: the template, the history (revision → template), the pods' images; our record annotation aside. */
function leftBehind(e: KubeEmulator, kind: 'statefulset' | 'daemonset', name: string): object {
  const workload = e.store.get(kind === 'statefulset' ? STATEFUL_SETS : DAEMON_SETS, NS, name) as KubeObject;
  const history = e.store
    .list(REVISIONS, NS)
    .filter((r) => String(meta(r).name).startsWith(`${name}-`))
    .map((r) => ({ name: meta(r).name, revision: r.revision, data: r.data }))
    .sort((a, b) => Number(a.revision) - Number(b.revision));
  const pods = e.store
    .list(PODS, NS)
    .filter((p) => stringMap(meta(p).labels).app === name)
    .map((p) => [meta(p).name, (obj(p.spec).containers as { image: string }[])[0]?.image, stringMap(meta(p).labels)['controller-revision-hash']]);
  const { [RECORD]: _record, ...annotations } = stringMap(meta(workload).annotations);
  return { template: obj(workload.spec).template, annotations, generation: meta(workload).generation, history, pods };
}

async function kubectlUndo(e: KubeEmulator, workload: string, toRevision?: number): Promise<void> {
  const kubectl = kubectlFor(e.kubeconfig);
  const undo = await kubectl('rollout', 'undo', workload, '-n', NS, ...(toRevision ? [`--to-revision=${toRevision}`] : []));
  expect(undo.code, undo.stderr).toBe(0);
  const status = await kubectl('rollout', 'status', workload, '-n', NS, '--timeout=30s');
  expect(status.code, status.stderr).toBe(0);
}

describe('StatefulSets and DaemonSets, as `kubectl rollout undo` does them', () => {
  it.each([
    ['statefulset/vector-db', 'previous', undefined, 'v1.2.0'],
    ['statefulset/vector-db', 'revision:1', 1, 'v1.1.0'],
    ['daemonset/log-agent', 'previous', undefined, 'v2.1.0'],
    ['daemonset/log-agent', 'revision:1', 1, 'v2.0.0'],
  ] as const)('%s to %s leaves exactly what kubectl leaves (template, ControllerRevisions, pods)', async (service, target, toRevision, version) => {
    const [ours, theirs] = await Promise.all([start({ fixture: fixture() }), start({ fixture: fixture() })]);
    if (!ours || !theirs) throw new Error('emulators did not start');
    const run = await rollback(ours, { services: service, target });
    expect(run.code, run.stdout).toBe(0);
    expect(results(run.outputs.result)[0]).toMatchObject({ service, status: 'rolled-back', 'to-version': version });
    await kubectlUndo(theirs, service, toRevision);
    const [kind, name] = service.split('/') as ['statefulset' | 'daemonset', string];
    const mine = leftBehind(ours, kind, name) as { pods: string[][] };
    const kubectls = leftBehind(theirs, kind, name) as { pods: string[][] };
    // pod names of a DaemonSet are per node; the images and revision labels must agree
    expect({ ...mine, pods: mine.pods.map(([n, ...rest]) => [kind === 'statefulset' ? n : '', ...rest]) }).toEqual({
      ...kubectls,
      pods: kubectls.pods.map(([n, ...rest]) => [kind === 'statefulset' ? n : '', ...rest]),
    });
    expect(mine.pods.every((p) => p[1]?.endsWith(`:${version}`))).toBe(true);
  });

  it('a Deployment, a StatefulSet and a DaemonSet in one run; the same run again says unchanged and writes nothing', async () => {
    const e = await start({ fixture: fixture() });
    const services = 'chat-service,statefulset/vector-db,daemonset/log-agent';
    const run = await rollback(e, { services });
    expect(run.code, run.stdout).toBe(0);
    expect(results(run.outputs.result).map((r) => [r.service, r.status, r['to-version']])).toEqual([
      ['chat-service', 'rolled-back', 'v1.2.0'],
      ['statefulset/vector-db', 'rolled-back', 'v1.2.0'],
      ['daemonset/log-agent', 'rolled-back', 'v2.1.0'],
    ]);
    // kubectl's words: with rollingUpdate.partition set (here 0) a StatefulSet's rollout is "partitioned"
    expect(run.stdout).toMatch(/✓ statefulset\/vector-db: rolled-back \(\d+ms\) partitioned roll out complete: 3 new pods have been updated\.\.\./);
    expect(run.stdout).toMatch(/✓ daemonset\/log-agent: rolled-back \(\d+ms\) daemon set "log-agent" successfully rolled out/);
    expect(run.summary).toContain('| statefulset/vector-db | ✅ rolled-back | v1.3.0 → v1.2.0 | 3 → 2 |');
    // one Lease per workload, named by kind
    expect(e.requests.filter((r) => r.resource === 'leases' && r.verb === 'create').map((r) => r.path.split('/').pop())).toHaveLength(3);
    const before = writes(e).length;
    const again = await rollback(e, { services });
    expect(results(again.outputs.result).map((r) => r.status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(writes(e).slice(before)).toEqual([]);
    // every request of both runs is one the shipped Role allows
    const role = parseYaml(fs.readFileSync(path.join(ROOT, 'deploy/rbac/keiko-rollback-role.yaml'), 'utf8')) as {
      rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    };
    const used = [...new Set(e.requests.map((r) => `${r.group ?? ''}|${r.resource}|${r.verb}`))];
    expect(used).toContain('apps|controllerrevisions|list');
    for (const key of used) {
      const [group, resource, verb] = key.split('|');
      const allowed = role.rules.some(
        (rule) => rule.apiGroups.includes(group ?? '') && rule.resources.includes(resource ?? '') && rule.verbs.includes(verb ?? ''),
      );
      expect(allowed, `${verb} ${group}/${resource}`).toBe(true);
    }
  });

  it('a StatefulSet with a partition: only the ordinals at or above it change, as kubectl rollout status counts them', async () => {
    const [e, theirs] = await Promise.all([start({ fixture: fixture(2) }), start({ fixture: fixture(2) })]);
    if (!e || !theirs) throw new Error('emulators did not start');
    const run = await rollback(e, { services: 'statefulset/vector-db' });
    expect(run.code, run.stdout).toBe(0);
    await kubectlUndo(theirs, 'statefulset/vector-db');
    expect(leftBehind(e, 'statefulset', 'vector-db')).toEqual(leftBehind(theirs, 'statefulset', 'vector-db'));
    expect(run.stdout).toMatch(/✓ statefulset\/vector-db: rolled-back \(\d+ms\) partitioned roll out complete: 1 new pods have been updated\.\.\./);
    const images = e.store
      .list(PODS, NS)
      .filter((p) => stringMap(meta(p).labels).app === 'vector-db')
      .map((p) => `${meta(p).name} ${(obj(p.spec).containers as { image: string }[])[0]?.image}`)
      .sort();
    // below the partition the pods stay at the StatefulSet's current revision: they never took v1.2.0 or v1.3.0
    expect(images).toEqual([
      'vector-db-0 registry.keiko.io/vector-db:v1.1.0',
      'vector-db-1 registry.keiko.io/vector-db:v1.1.0',
      'vector-db-2 registry.keiko.io/vector-db:v1.2.0',
    ]);
  });

  it('a StatefulSet rolled back to a release whose image cannot be pulled fails fast, naming the pod', async () => {
    const e = await start({ fixture: fixture() });
    e.markBadImage('registry.keiko.io/vector-db:v1.2.0', 'ImagePullBackOff');
    const run = await rollback(e, { services: 'statefulset/vector-db', 'fail-after': '1s', timeout: '30s' });
    expect(run.code).toBe(1);
    const [result] = results(run.outputs.result);
    expect(result?.status).toBe('failed');
    expect(result?.message).toMatch(/pod vector-db-2: container vector-db ImagePullBackOff \(image registry\.keiko\.io\/vector-db:v1\.2\.0\)/);
    expect(result?.message).toContain('kubectl rollout status statefulset/vector-db -n keiko-production');
  });

  it.each([
    ['statefulset/', '::error::Input \'services\' has "statefulset/" has no name after "statefulset/": write statefulset/<name>'],
    ['cronjob/nightly', '::error::Input \'services\' has "cronjob/nightly": kind cronjob is not rolled back by rollback-service; it takes deployment/<name>'],
    ['statefulset/ghost-db', '::error::Input \'services\' names statefulset "ghost-db", which does not exist in namespace "keiko-production"'],
  ])('bad input %s: one ::error:: naming the input, nothing written', async (services, line) => {
    const e = await start({ fixture: fixture() });
    const run = await rollback(e, { services });
    expect(run.code).toBe(1);
    expect(run.errorLines).toHaveLength(1);
    expect(run.errorLines[0]?.startsWith(line), run.errorLines[0]).toBe(true);
    expect(writes(e)).toEqual([]);
  });
});
