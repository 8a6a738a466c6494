import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type KubeEmulator, startKubeEmulator } from '../../src/sandbox/kube/index.js';
import { kubectlFor } from './kubectl.js';
import { ROOT } from './run-action.js';

/**
 * Where a Kubernetes scenario runs: our emulator, or the real control plane of scripts/real-kube.sh
 * (kube-apiserver, kube-controller-manager, kube-scheduler, etcd, kwok). The scenarios are the same.
 */
export interface KubeTarget {
  name: 'emulator' | 'real';
  kubeconfig: string;
  /**
   * What the actions run with. Real: a user bound only to the shipped Role in each seeded namespace, so
   * the real authorizer proves the Role is enough. Emulator (no authorizer): the admin's.
   */
  actionKubeconfig: string;
  /** Real: a user bound only to the read-only Role (the plan job's credentials). Emulator: the admin's. */
  plannerKubeconfig: string;
  /** A fresh namespace holding `services`, each rolled out through `releases` (revision 1, 2, 3 …). */
  seed(services: string[], releases?: string[]): Promise<string>;
  liveImage(namespace: string, service: string): Promise<string>;
  /** Deletes the namespaces seeded so far (real server: their pods stop loading kwok and the controllers). */
  cleanup(): Promise<void>;
  revision(namespace: string, service: string): Promise<string>;
  close(): Promise<void>;
}

const REGISTRY = 'registry.keiko.io';
const kubectlRef = (service: string): string => (service.includes('/') ? service : `deployment/${service}`);
let counter = 0;

async function kubectlTarget(
  name: KubeTarget['name'],
  kubeconfig: string,
  close: () => Promise<void>,
  users?: { actionKubeconfig: string; plannerKubeconfig: string },
): Promise<KubeTarget> {
  const kubectl = kubectlFor(kubeconfig);
  const run = async (...args: string[]): Promise<string> => {
    const result = await kubectl(...args);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const apply = async (object: object): Promise<void> => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-seed-')), 'object.json');
    fs.writeFileSync(file, JSON.stringify(object));
    await run('apply', '-f', file);
  };
  const seeded: string[] = [];
  return {
    name,
    kubeconfig,
    actionKubeconfig: users?.actionKubeconfig ?? kubeconfig,
    plannerKubeconfig: users?.plannerKubeconfig ?? kubeconfig,
    async seed(services, releases = ['v1.1.0', 'v1.2.0', 'v1.3.0']) {
      const namespace = `keiko-scn-${process.pid % 10000}-${++counter}`;
      // apply, not `kubectl create`: the typed create commands send protobuf, which the emulator does not speak (JSON only)
      await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
      seeded.push(namespace);
      if (users) {
        await run('apply', '-n', namespace, '-f', path.join(ROOT, 'deploy/rbac/keiko-rollback-role.yaml'));
        await run('create', 'rolebinding', 'keiko-rollback', '-n', namespace, '--role=keiko-rollback', '--user=keiko-rollback');
        await run('apply', '-n', namespace, '-f', path.join(ROOT, 'deploy/rbac/keiko-rollback-readonly-role.yaml'));
        await run('create', 'rolebinding', 'keiko-planner', '-n', namespace, '--role=keiko-rollback-readonly', '--user=keiko-planner');
      }
      for (const service of services) {
        const [first, ...rest] = releases;
        // `statefulset/<name>` and `daemonset/<name>` as rollback-service takes them; a bare name is a Deployment
        const [kind, name] = service.includes('/') ? (service.split('/') as [string, string]) : ['deployment', service];
        const labels = { app: name };
        const template = { metadata: { labels }, spec: { containers: [{ name, image: `${REGISTRY}/${name}:${first}` }] } };
        const spec =
          kind === 'statefulset'
            ? { replicas: 2, serviceName: name, selector: { matchLabels: labels }, template }
            : kind === 'daemonset'
              ? { selector: { matchLabels: labels }, template }
              : { replicas: 2, selector: { matchLabels: labels }, template };
        const kinds: Record<string, string> = { deployment: 'Deployment', statefulset: 'StatefulSet', daemonset: 'DaemonSet' };
        await apply({ apiVersion: 'apps/v1', kind: kinds[kind], metadata: { name, namespace, labels }, spec });
        await run('rollout', 'status', `${kind}/${name}`, '-n', namespace, '--timeout=60s');
        for (const release of rest) {
          await run('set', 'image', `${kind}/${name}`, '-n', namespace, `${name}=${REGISTRY}/${name}:${release}`);
          await run('rollout', 'status', `${kind}/${name}`, '-n', namespace, '--timeout=60s');
        }
      }
      return namespace;
    },
    liveImage: (namespace, service) => run('get', kubectlRef(service), '-n', namespace, '-o', 'jsonpath={.spec.template.spec.containers[0].image}'),
    // a Deployment's revision annotation; a StatefulSet's or DaemonSet's generation (they carry no revision of their own)
    revision: (namespace, service) =>
      service.includes('/')
        ? run('get', service, '-n', namespace, '-o', 'jsonpath={.metadata.generation}')
        : run('get', 'deployment', service, '-n', namespace, '-o', "jsonpath={.metadata.annotations['deployment\\.kubernetes\\.io/revision']}"),
    async cleanup() {
      const namespaces = seeded.splice(0);
      if (name === 'real' && namespaces.length) await run('delete', 'namespace', '--wait=false', ...namespaces);
    },
    close,
  };
}

/** The emulator, seeded by the same kubectl commands as the real control plane. */
export async function emulatorTarget(): Promise<KubeTarget> {
  const emulator: KubeEmulator = await startKubeEmulator();
  return kubectlTarget('emulator', emulator.kubeconfig, () => emulator.close());
}

/** The real control plane: `KEIKO_REAL_KUBECONFIG` is the admin kubeconfig `scripts/real-kube.sh start` printed. */
export async function realTarget(): Promise<KubeTarget> {
  const file = process.env.KEIKO_REAL_KUBECONFIG;
  if (!file || !fs.existsSync(file))
    throw new Error('KEIKO_REAL_KUBECONFIG is not set: run `npm run test:real-kube` (it starts the control plane with scripts/real-kube.sh)');
  const read = (name: string): string => fs.readFileSync(path.join(path.dirname(file), `${name}.kubeconfig`), 'utf8');
  return kubectlTarget('real', fs.readFileSync(file, 'utf8'), async () => undefined, {
    actionKubeconfig: read('keiko-rollback'),
    plannerKubeconfig: read('keiko-planner'),
  });
}
