import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeTarget, realTarget } from '../helpers/kube-targets.js';
import { kubectlFor } from '../helpers/kubectl.js';
import { ROOT, runAction } from '../helpers/run-action.js';

// Helm stores its releases through client-go's typed clients, which speak protobuf: the emulator (JSON only)
// cannot hold them, so the Helm-managed rollback is tested here, against the real control plane, with the Helm
// binary scripts/go-tools.sh builds from its Go module.
const TOOLS = process.env.KEIKO_TOOLS_BIN ?? path.join(ROOT, '.cache/tools/bin');
const CHART = path.join(ROOT, 'test/fixtures/helm/chat-service');

let target: KubeTarget;
let adminConfig: string;
beforeAll(async () => {
  target = await realTarget();
  adminConfig = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-helm-admin-')), 'kubeconfig');
  fs.writeFileSync(adminConfig, target.kubeconfig, { mode: 0o600 });
});
afterAll(async () => {
  await target.cleanup();
  await target.close();
});

function helm(...args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(path.join(TOOLS, 'helm'), args, { env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), KUBECONFIG: adminConfig } });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('rollback-service on-managed: helm (real control plane, real helm)', () => {
  it('rolls a Helm-managed deployment back through helm rollback: helm history and the cluster agree', async () => {
    const namespace = await target.seed([]);
    for (const [i, tag] of ['v1.1.0', 'v1.2.0', 'v1.3.0'].entries()) {
      const step = await helm(
        i === 0 ? 'install' : 'upgrade',
        'chat-service',
        CHART,
        '--namespace',
        namespace,
        '--set',
        `image.tag=${tag}`,
        '--wait',
        '--timeout',
        '60s',
      );
      expect(step.code, step.out).toBe(0);
    }
    const run = await runAction(
      'rollback-service',
      { namespace, kubeconfig: target.actionKubeconfig, services: 'chat-service', 'on-managed': 'helm' },
      { env: { PATH: `${TOOLS}:${process.env.PATH ?? ''}` } },
    );
    expect(run.code, run.stdout).toBe(0);
    const [result] = JSON.parse(run.outputs.result ?? '[]') as { status: string; 'to-version': string; message: string }[];
    expect(result).toMatchObject({ status: 'rolled-back', 'to-version': 'v1.2.0' });
    expect(result?.message).toContain("rolled back with helm rollback chat-service 2: Helm's record and the cluster agree");
    // Helm's record: a new revision that rolled back to 2, deployed; the cluster: the image of revision 2
    const history = JSON.parse((await helm('history', 'chat-service', '--namespace', namespace, '--output', 'json')).out) as {
      revision: number;
      status: string;
      description: string;
    }[];
    expect(history.at(-1)).toMatchObject({ revision: 4, status: 'deployed', description: 'Rollback to 2' });
    const values = await helm('get', 'values', 'chat-service', '--namespace', namespace, '--output', 'json');
    expect(JSON.parse(values.out)).toMatchObject({ image: { tag: 'v1.2.0' } });
    const image = await kubectlFor(target.kubeconfig)(
      'get',
      'deployment',
      'chat-service',
      '-n',
      namespace,
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    );
    expect(image.stdout).toBe('registry.keiko.io/chat-service:v1.2.0');
    // the kubeconfig reached Helm through a private file, never its arguments or the log
    expect(run.stdout).not.toContain(target.actionKubeconfig.slice(0, 40));
  });
});
