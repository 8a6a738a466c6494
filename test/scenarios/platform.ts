import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { backupIngressYaml } from '../../src/sandbox/kube/manifests.js';
import type { KubeTarget } from '../helpers/kube-targets.js';
import { kubectlFor } from '../helpers/kubectl.js';
import { runAction } from '../helpers/run-action.js';

/**
 * emergency-reroute, verify and the Lease, written once and run against every target (the emulator in
 * `npm test`, the real control plane in `npm run test:real-kube`), with the action's credentials: on the real
 * server that is the user bound only to the shipped Role, so the real authorizer checks the Role for each of them.
 * Emulator-only, and why: Prometheus through the API server's service proxy needs a real endpoint behind the
 * Service (kwok's pods have no network), and fault storms (429s, dropped watches) only the emulator can inject.
 */
const ingress = (namespace: string, host: string): string =>
  backupIngressYaml({ host, metadata: `  namespace: ${namespace}\n  labels:\n    keiko.io/route: backup\n` });

/** `suite`: describe.concurrent where every scenario's namespace is its own and the server is local (the emulator). */
export function platformScenarios(target: () => KubeTarget, suite: (name: string, body: () => void) => void = describe): void {
  const kubectl = (...args: string[]) => kubectlFor(target().kubeconfig)(...args);
  const results = (text: string | undefined): { status: string; message: string }[] => JSON.parse(text ?? '[]') as { status: string; message: string }[];

  suite('emergency-reroute scenarios', () => {
    it('server-side apply meets another field manager: refused by name, taken over with force, set env as kubectl does, restored exactly', async () => {
      const namespace = await target().seed(['gateway-bff'], ['v1.2.0']);
      const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-scn-reroute-'));
      fs.mkdirSync(path.join(workspace, 'infra/kubernetes/emergency'), { recursive: true });
      fs.writeFileSync(path.join(workspace, 'infra/kubernetes/emergency/backup-ingress.yaml'), ingress(namespace, 'backup.keiko.com'));
      // someone created the ingress by hand during the incident (client-side apply: another field manager)
      fs.writeFileSync(path.join(workspace, 'live.yaml'), ingress(namespace, 'api.keiko.com'));
      expect((await kubectl('apply', '-f', path.join(workspace, 'live.yaml'))).code).toBe(0);
      const templateBefore = (await kubectl('get', 'deployment/gateway-bff', '-n', namespace, '-o', 'jsonpath={.spec.template.spec.containers[0].env}')).stdout;
      const reroute = (inputs: Record<string, string>) =>
        runAction('emergency-reroute', { namespace, kubeconfig: target().actionKubeconfig, ...inputs }, { cwd: workspace });

      const blocked = await reroute({});
      expect(blocked.code).toBe(1);
      expect(blocked.errorLines).toHaveLength(1);
      expect(blocked.errorLines[0]).toContain('Ingress/backup-ingress is owned by another field manager');
      expect(blocked.errorLines[0]).toContain('conflict with "kubectl-client-side-apply"');

      const forced = await reroute({ force: 'true' });
      expect(forced.code, forced.stdout).toBe(0);
      expect((await kubectl('get', 'ingress', 'backup-ingress', '-n', namespace, '-o', 'jsonpath={.spec.rules[0].host}')).stdout).toBe('backup.keiko.com');
      expect((await kubectl('set', 'env', 'deployment/gateway-bff', '--list', '-n', namespace)).stdout).toContain(
        'CIRCUIT_BREAKER_ENABLED=true\nFAILURE_THRESHOLD=5',
      );
      expect((await kubectl('rollout', 'status', 'deployment/gateway-bff', '-n', namespace, '--timeout=60s')).code).toBe(0);

      const restored = await reroute({ mode: 'restore' });
      expect(restored.code, restored.stdout).toBe(0);
      expect((await kubectl('get', 'ingress', 'backup-ingress', '-n', namespace, '-o', 'jsonpath={.spec.rules[0].host}')).stdout).toBe('api.keiko.com');
      expect((await kubectl('get', 'deployment/gateway-bff', '-n', namespace, '-o', 'jsonpath={.spec.template.spec.containers[0].env}')).stdout).toBe(
        templateBefore,
      );
    });
  });

  suite('verify scenarios', () => {
    it('pods and deployments: healthy as seeded; a crash-looping release is unhealthy, named with the pod reason', async () => {
      const namespace = await target().seed(['chat-service', 'search-service'], ['v1.2.0']);
      const verify = () =>
        runAction('verify', {
          namespace,
          kubeconfig: target().actionKubeconfig,
          services: 'chat-service,search-service',
          retries: '0',
          'fail-on-unhealthy': 'false',
        });
      const healthy = await verify();
      expect(healthy.outputs.healthy, healthy.stdout).toBe('true');
      expect(
        (await kubectl('set', 'image', 'deployment/chat-service', 'chat-service=registry.keiko.io/chat-service:v1.3.0-crashloop', '-n', namespace)).code,
      ).toBe(0);
      // the event, not a delay: wait until the new pod reports CrashLoopBackOff
      for (;;) {
        const reasons = (
          await kubectl('get', 'pods', '-n', namespace, '-l', 'app=chat-service', '-o', 'jsonpath={.items[*].status.containerStatuses[0].state.waiting.reason}')
        ).stdout;
        if (reasons.includes('CrashLoopBackOff')) break;
      }
      const broken = await verify();
      expect(broken.outputs.healthy).toBe('false');
      expect(broken.outputs.failed).toMatch(/deployment:chat-service|pods/);
      expect(broken.outputs.failed).not.toContain('deployment:search-service');
      expect(broken.stdout).toMatch(/::warning::unhealthy \(severity \w+\)/);
      expect(JSON.stringify(JSON.parse(broken.outputs.report ?? '{}'))).toContain('CrashLoopBackOff');
      // end the crash loop: on the real control plane kwok restarts its container without pause, load the later
      // scenarios should not carry
      expect((await kubectl('scale', 'deployment/chat-service', '--replicas=0', '-n', namespace)).code).toBe(0);
    });
  });

  suite('the Lease', () => {
    it('a rollback held by another run waits, then fails naming the holder and writes nothing; after the holder lets go it runs', async () => {
      const namespace = await target().seed(['chat-service']);
      const revision = (
        await kubectl('get', 'deployment', 'chat-service', '-n', namespace, '-o', "jsonpath={.metadata.annotations['deployment\\.kubernetes\\.io/revision']}")
      ).stdout;
      const now = new Date().toISOString().replace('Z', '000Z');
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-scn-lease-')), 'lease.json');
      fs.writeFileSync(
        file,
        JSON.stringify({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: 'keiko-rollback-chat-service', namespace },
          spec: { holderIdentity: 'keiko/platform/77/1/rollback', leaseDurationSeconds: 600, acquireTime: now, renewTime: now },
        }),
      );
      expect((await kubectl('apply', '-f', file)).code).toBe(0);
      const rollback = (timeout: string) =>
        runAction('rollback-service', { namespace, kubeconfig: target().actionKubeconfig, services: 'chat-service', timeout });
      const blocked = await rollback('6s');
      expect(blocked.code).toBe(1);
      expect(blocked.errorLines[0]).toContain('another rollback is running: lease keiko-rollback-chat-service is held by keiko/platform/77/1/rollback since');
      expect(
        (await kubectl('get', 'deployment', 'chat-service', '-n', namespace, '-o', "jsonpath={.metadata.annotations['deployment\\.kubernetes\\.io/revision']}"))
          .stdout,
      ).toBe(revision);
      expect((await kubectl('delete', 'lease', 'keiko-rollback-chat-service', '-n', namespace)).code).toBe(0);
      // well inside the test's own limit, so a slow server is reported by the action, not cut off by the test
      const after = await rollback('60s');
      expect(after.code, after.stdout).toBe(0);
      expect(results(after.outputs.result)[0]?.status).toBe('rolled-back');
    });
  });
}
