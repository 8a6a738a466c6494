import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { KubeTarget } from '../helpers/kube-targets.js';
import { kubectlFor } from '../helpers/kubectl.js';
import { runAction } from '../helpers/run-action.js';

interface Result {
  service: string;
  status: string;
  'from-version': string;
  'to-version': string;
  message: string;
}

/**
 * The rollback-service scenarios, written once and run against every target (the emulator in
 * `npm test`, the real control plane in `npm run test:real-kube`). A difference between the two is a
 * bug in the emulator, or named here with the reason.
 */
/** `suite`: describe.concurrent where every scenario's namespace is its own and the server is local (the emulator). */
export function rollbackServiceScenarios(target: () => KubeTarget, suite: (name: string, body: () => void) => void = describe): void {
  const rollback = (namespace: string, inputs: Record<string, string>) =>
    runAction('rollback-service', { namespace, kubeconfig: target().actionKubeconfig, ...inputs });
  const results = (text: string | undefined): Result[] => JSON.parse(text ?? '[]') as Result[];

  suite('rollback-service scenarios', () => {
    it('previous rolls back to v1.2.0; previous again stays, writing nothing', async () => {
      const namespace = await target().seed(['chat-service']);
      const first = await rollback(namespace, { services: 'chat-service' });
      expect(first.code, first.stdout).toBe(0);
      expect(results(first.outputs.result)[0]).toMatchObject({ status: 'rolled-back', 'from-version': 'v1.3.0', 'to-version': 'v1.2.0' });
      const revision = await target().revision(namespace, 'chat-service');
      const again = await rollback(namespace, { services: 'chat-service' });
      expect(results(again.outputs.result)[0]?.status).toBe('unchanged');
      expect(await target().revision(namespace, 'chat-service')).toBe(revision);
      expect(await target().liveImage(namespace, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.2.0');
    });

    it('a StatefulSet and a DaemonSet roll back as kubectl rollout undo does; the same run again stays, writing nothing', async () => {
      const workloads = ['statefulset/vector-db', 'daemonset/log-agent'];
      const [ours, theirs] = await Promise.all([target().seed(workloads), target().seed(workloads)]);
      const first = await rollback(ours, { services: workloads.join(',') });
      expect(first.code, first.stdout).toBe(0);
      expect(results(first.outputs.result).map((r) => [r.service, r.status, r['to-version']])).toEqual([
        ['statefulset/vector-db', 'rolled-back', 'v1.2.0'],
        ['daemonset/log-agent', 'rolled-back', 'v1.2.0'],
      ]);
      const kubectl = kubectlFor(target().kubeconfig);
      for (const workload of workloads) {
        expect((await kubectl('rollout', 'undo', workload, '-n', theirs)).code).toBe(0);
        expect((await kubectl('rollout', 'status', workload, '-n', theirs, '--timeout=60s')).code).toBe(0);
        // the same history (revision numbers) and the same live image as kubectl's undo
        const history = async (namespace: string) => (await kubectl('rollout', 'history', workload, '-n', namespace)).stdout.replace(/^.*\n/, '');
        expect(await history(ours)).toBe(await history(theirs));
        expect(await target().liveImage(ours, workload)).toBe(await target().liveImage(theirs, workload));
      }
      const generations = await Promise.all(workloads.map((w) => target().revision(ours, w)));
      const again = await rollback(ours, { services: workloads.join(',') });
      expect(results(again.outputs.result).map((r) => r.status)).toEqual(['unchanged', 'unchanged']);
      expect(await Promise.all(workloads.map((w) => target().revision(ours, w)))).toEqual(generations);
    });

    it('configuration comes back with the code: a snapshot before the deploy, then the rollback restores ConfigMap and Secret before the template', async () => {
      const namespace = await target().seed([]);
      const kubectl = kubectlFor(target().kubeconfig);
      const apply = async (object: object): Promise<void> => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-scn-')), 'object.json');
        fs.writeFileSync(file, JSON.stringify(object));
        const applied = await kubectl('apply', '-n', namespace, '-f', file);
        expect(applied.code, applied.stderr).toBe(0);
      };
      const b64 = (text: string): string => Buffer.from(text).toString('base64');
      const release = async (version: string, logLevel: string, key: string): Promise<void> => {
        await apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'chat-config' }, data: { LOG_LEVEL: logLevel } });
        await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'chat-secrets' }, type: 'Opaque', data: { API_KEY: b64(key) } });
        const labels = { app: 'chat-service' };
        await apply({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'chat-service', labels },
          spec: {
            replicas: 1,
            selector: { matchLabels: labels },
            template: {
              metadata: { labels },
              spec: {
                containers: [
                  {
                    name: 'chat-service',
                    image: `registry.keiko.io/chat-service:${version}`,
                    envFrom: [{ configMapRef: { name: 'chat-config' } }, { secretRef: { name: 'chat-secrets' } }],
                  },
                ],
              },
            },
          },
        });
        expect((await kubectl('rollout', 'status', 'deployment/chat-service', '-n', namespace, '--timeout=60s')).code).toBe(0);
      };
      await release('v1.2.0', 'info', 'old-key');
      const snapshot = await rollback(namespace, { services: 'chat-service', mode: 'snapshot' });
      expect(snapshot.code, snapshot.stdout).toBe(0);
      await release('v1.3.0', 'debug', 'new-key');
      const run = await rollback(namespace, { services: 'chat-service' });
      expect(run.code, run.stdout).toBe(0);
      expect(results(run.outputs.result)[0]).toMatchObject({ status: 'rolled-back', 'to-version': 'v1.2.0' });
      const data = async (kind: string, name: string): Promise<unknown> =>
        JSON.parse((await kubectl('get', kind, name, '-n', namespace, '-o', 'json')).stdout).data;
      expect(await data('configmap', 'chat-config')).toEqual({ LOG_LEVEL: 'info' });
      expect(await data('secret', 'chat-secrets')).toEqual({ API_KEY: b64('old-key') });
      expect(run.stdout).not.toContain('old-key');
      expect(run.stdout).not.toContain(b64('new-key'));
    });

    it('revision:1 and a version tag resolve like kubectl rollout undo --to-revision', async () => {
      const namespace = await target().seed(['chat-service', 'search-service']);
      const byRevision = await rollback(namespace, { services: 'chat-service', target: 'revision:1' });
      expect(results(byRevision.outputs.result)[0]).toMatchObject({ status: 'rolled-back', 'to-version': 'v1.1.0' });
      const byTag = await rollback(namespace, { services: 'search-service', target: 'v1.1.0' });
      expect(results(byTag.outputs.result)[0]).toMatchObject({ status: 'rolled-back', 'to-version': 'v1.1.0' });
      expect(await target().liveImage(namespace, 'search-service')).toBe('registry.keiko.io/search-service:v1.1.0');
    });

    it('the plan job with the read-only Role: plans and verifies; the writer executes that plan', async () => {
      const namespace = await target().seed(['chat-service']);
      const revision = await target().revision(namespace, 'chat-service');
      const planner = target().plannerKubeconfig;
      const dry = await runAction('rollback-service', { namespace, kubeconfig: planner, services: 'chat-service', 'dry-run': 'true' });
      expect(dry.code, dry.stdout).toBe(0);
      const [planned] = results(dry.outputs.result);
      expect(planned?.status).toBe('planned');
      // the real authorizer refuses even a dryRun=All patch without the patch verb; the emulator has no authorizer
      if (target().name === 'real')
        expect(planned?.message).toBe(
          'planned with read-only credentials: the patch was not dry-run on the server (that needs the patch verb); nothing changed',
        );
      const health = await runAction('verify', { namespace, kubeconfig: planner, services: 'chat-service', retries: '0', 'fail-on-unhealthy': 'false' });
      expect(health.outputs.healthy, health.stdout).toBe('true');
      expect(await target().revision(namespace, 'chat-service')).toBe(revision);
      const run = await rollback(namespace, { plan: dry.outputs.plan ?? '' });
      expect(results(run.outputs.result)[0]).toMatchObject({ status: 'rolled-back', 'to-version': 'v1.2.0' });
    });

    it('a dry run changes nothing; its plan, executed twice, rolls back once', async () => {
      const namespace = await target().seed(['chat-service', 'search-service']);
      const revision = await target().revision(namespace, 'chat-service');
      const dry = await rollback(namespace, { services: 'chat-service,search-service', 'dry-run': 'true' });
      expect(results(dry.outputs.result).map((r) => r.status)).toEqual(['planned', 'planned']);
      expect(await target().revision(namespace, 'chat-service')).toBe(revision);
      const run = await rollback(namespace, { plan: dry.outputs.plan ?? '' });
      expect(results(run.outputs.result).map((r) => r.status)).toEqual(['rolled-back', 'rolled-back']);
      const again = await rollback(namespace, { plan: dry.outputs.plan ?? '' });
      expect(results(again.outputs.result).map((r) => r.status)).toEqual(['unchanged', 'unchanged']);
    });

    it("kubectl get shows the real server's columns: the runbook's `kubectl get pods` has READY and STATUS", async () => {
      const namespace = await target().seed(['chat-service']);
      const kubectl = kubectlFor(target().kubeconfig);
      const header = async (kind: string): Promise<string[]> =>
        ((await kubectl('get', kind, '-n', namespace)).stdout.split('\n')[0] ?? '').trim().split(/\s{2,}/);
      expect(await header('pods')).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
      expect(await header('deployments')).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
      expect(await header('replicasets')).toEqual(['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']);
      const pods = (await kubectl('get', 'pods', '-n', namespace, '--no-headers')).stdout.trim().split('\n');
      expect(pods).toHaveLength(2);
      for (const line of pods) expect(line).toMatch(/^chat-service-\w+-\w{5}\s+1\/1\s+Running\s+0\s+\d+s$/);
      expect((await kubectl('get', 'deployment', 'chat-service', '-n', namespace, '--no-headers')).stdout.trim()).toMatch(
        /^chat-service\s+2\/2\s+2\s+2\s+\d+s$/,
      );
    });

    it('kubectl scale goes through the scale subresource, and the rollout that follows completes', async () => {
      const namespace = await target().seed(['chat-service']);
      const kubectl = kubectlFor(target().kubeconfig);
      const scaled = await kubectl('scale', 'deployment/chat-service', '-n', namespace, '--replicas=3');
      expect(scaled.code, scaled.stderr).toBe(0);
      expect(scaled.stdout.trim()).toBe('deployment.apps/chat-service scaled');
      expect((await kubectl('rollout', 'status', 'deployment/chat-service', '-n', namespace, '--timeout=60s')).code).toBe(0);
      expect((await kubectl('get', 'deployment', 'chat-service', '-n', namespace, '--no-headers')).stdout.trim()).toMatch(
        /^chat-service\s+3\/3\s+3\s+3\s+\d+s$/,
      );
    });
    it('a rollback leaves the deployment controller\'s Events: ScalingReplicaSet, "Scaled up replica set …"', async () => {
      const namespace = await target().seed(['chat-service']);
      const run = await rollback(namespace, { services: 'chat-service' });
      expect(run.code, run.stdout).toBe(0);
      const kubectl = kubectlFor(target().kubeconfig);
      const events = JSON.parse((await kubectl('get', 'events', '-n', namespace, '-o', 'json')).stdout) as {
        items: { reason: string; message: string; involvedObject: { kind: string; name: string } }[];
      };
      const scaling = events.items.filter(
        (e) => e.reason === 'ScalingReplicaSet' && e.involvedObject.kind === 'Deployment' && e.involvedObject.name === 'chat-service',
      );
      expect(scaling.map((e) => e.message)).toContainEqual(expect.stringMatching(/^Scaled up replica set chat-service-\w+ from \d+ to \d+$/));
      expect(scaling.map((e) => e.message)).toContainEqual(expect.stringMatching(/^Scaled down replica set chat-service-\w+ from \d+ to \d+$/));
    });

    it('a Secret applied with kubectl comes back with its data and type', async () => {
      const namespace = await target().seed(['chat-service']);
      const kubectl = kubectlFor(target().kubeconfig);
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-secret-')), 'secret.yaml');
      fs.writeFileSync(
        file,
        `apiVersion: v1\nkind: Secret\nmetadata:\n  name: chat-db\n  namespace: ${namespace}\ntype: Opaque\ndata:\n  password: ${Buffer.from('s3cr3t').toString('base64')}\n`,
      );
      const applied = await kubectl('apply', '-f', file);
      expect(applied.code, applied.stderr).toBe(0);
      const read = await kubectl('get', 'secret', 'chat-db', '-n', namespace, '-o', 'jsonpath={.type} {.data.password}');
      expect(read.stdout).toBe(`Opaque ${Buffer.from('s3cr3t').toString('base64')}`);
    });

    it('rollout pause then resume of a finished deployment: Progressing comes back to NewReplicaSetAvailable', async () => {
      const namespace = await target().seed(['chat-service']);
      const kubectl = kubectlFor(target().kubeconfig);
      const progressing = (reason: string) =>
        kubectl(
          'wait',
          'deployment/chat-service',
          '-n',
          namespace,
          `--for=jsonpath={.status.conditions[?(@.type=="Progressing")].reason}=${reason}`,
          '--timeout=60s',
        );
      expect((await kubectl('rollout', 'pause', 'deployment/chat-service', '-n', namespace)).code).toBe(0);
      expect((await progressing('DeploymentPaused')).code).toBe(0);
      expect((await kubectl('rollout', 'resume', 'deployment/chat-service', '-n', namespace)).code).toBe(0);
      const resumed = await progressing('NewReplicaSetAvailable');
      expect(resumed.code, resumed.stderr).toBe(0);
    });
    it("the official Python client's watch without a resourceVersion starts with ADDED for every deployment", async () => {
      const namespace = await target().seed(['chat-service', 'search-service']);
      const config = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-python-')), 'kubeconfig');
      fs.writeFileSync(config, target().kubeconfig);
      const script = path.resolve(import.meta.dirname, '..', 'fixtures', 'python', 'watch_deployments.py');
      const run = await promisify(execFile)('/usr/bin/python3', [script, config, namespace, 'chat-service', 'search-service'], { timeout: 60_000 });
      const lines = run.stdout.trim().split('\n');
      expect(lines.filter((l) => l.startsWith('ADDED ')).sort()).toEqual(['ADDED chat-service', 'ADDED search-service']);
      expect(lines.at(-1)).toBe('done');
    });
    it('a broken release (CrashLoopBackOff) is rolled back to the previous one, which comes up healthy', async () => {
      const namespace = await target().seed(['chat-service']);
      const kubectl = kubectlFor(target().kubeconfig);
      // the bad release: its pods crash (the image tag convention both targets follow), its rollout never finishes
      expect(
        (await kubectl('set', 'image', 'deployment/chat-service', '-n', namespace, 'chat-service=registry.keiko.io/chat-service:v1.4.0-crashloop')).code,
      ).toBe(0);
      const run = await rollback(namespace, { services: 'chat-service' });
      expect(run.code, run.stdout).toBe(0);
      expect(results(run.outputs.result)[0]).toMatchObject({ status: 'rolled-back', 'from-version': 'v1.4.0-crashloop', 'to-version': 'v1.3.0' });
      expect(await target().liveImage(namespace, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.3.0');
    });

    it('a rollback to a release whose image cannot be pulled fails fast, naming ImagePullBackOff', async () => {
      const namespace = await target().seed(['chat-service'], ['v1.1.0', 'v1.2.0']);
      const kubectl = kubectlFor(target().kubeconfig);
      expect(
        (await kubectl('set', 'image', 'deployment/chat-service', '-n', namespace, 'chat-service=registry.keiko.io/chat-service:v1.3.0-pullfail')).code,
      ).toBe(0);
      expect((await kubectl('set', 'image', 'deployment/chat-service', '-n', namespace, 'chat-service=registry.keiko.io/chat-service:v1.3.1')).code).toBe(0);
      expect((await kubectl('rollout', 'status', 'deployment/chat-service', '-n', namespace, '--timeout=60s')).code).toBe(0);
      const run = await rollback(namespace, { services: 'chat-service', target: 'v1.3.0-pullfail', 'fail-after': '10s' });
      expect(run.code).toBe(1);
      const [result] = results(run.outputs.result);
      expect(result?.status).toBe('failed');
      expect(result?.message).toContain('ImagePullBackOff');
    });

    it('a rollback to revision:1 leaves exactly what `kubectl rollout undo --to-revision=1` leaves (template, history)', async () => {
      const ours = await target().seed(['chat-service']);
      const theirs = await target().seed(['chat-service']);
      const kubectl = kubectlFor(target().kubeconfig);
      const run = await rollback(ours, { services: 'chat-service', target: 'revision:1' });
      expect(run.code, run.stdout).toBe(0);
      expect((await kubectl('rollout', 'undo', 'deployment/chat-service', '--to-revision=1', '-n', theirs)).code).toBe(0);
      expect((await kubectl('rollout', 'status', 'deployment/chat-service', '-n', theirs, '--timeout=60s')).code).toBe(0);
      const template = async (namespace: string): Promise<unknown> => {
        const deployment = JSON.parse((await kubectl('get', 'deployment', 'chat-service', '-n', namespace, '-o', 'json')).stdout) as {
          spec: { template: { metadata: { annotations?: Record<string, string> } } };
        };
        // our change-cause annotation says who rolled back and why; kubectl's undo sets none
        delete deployment.spec.template.metadata.annotations?.['kubernetes.io/change-cause'];
        return deployment.spec.template;
      };
      expect(await template(ours)).toEqual(await template(theirs));
      const revisions = async (namespace: string): Promise<string[]> =>
        (await kubectl('rollout', 'history', 'deployment/chat-service', '-n', namespace)).stdout
          .split('\n')
          .filter((l) => /^\d+\s/.test(l))
          .map((l) => l.split(/\s+/)[0] ?? '');
      expect(await revisions(ours)).toEqual(await revisions(theirs));
      expect(await revisions(ours)).toEqual(['2', '3', '4']);
    });

    it("the real server's refusals are named: a deployment that does not exist, and a write the Role does not allow", async () => {
      const namespace = await target().seed(['chat-service']);
      const missing = await rollback(namespace, { services: 'chat-servic' });
      expect(missing.code).toBe(1);
      expect(missing.errorLines).toEqual([`::error::Input 'services' names deployment "chat-servic", which does not exist in namespace "${namespace}"`]);
      // the emulator has no authorizer (its 403 answers are injected faults, test/faults/kubernetes.test.ts)
      if (target().name !== 'real') return;
      const denied = await runAction('rollback-service', { namespace, kubeconfig: target().plannerKubeconfig, services: 'chat-service' });
      expect(denied.code).toBe(1);
      expect(denied.errorLines).toHaveLength(1);
      // the first write the read-only Role refuses is the Lease: named with the verb, the resource and the Role to bind
      expect(denied.errorLines[0]).toContain('Kubernetes API denied create leases');
      expect(denied.errorLines[0]).toContain('deploy/rbac/keiko-rollback-role.yaml');
      expect(await target().liveImage(namespace, 'chat-service')).toBe('registry.keiko.io/chat-service:v1.3.0');
    });

    it('four services at once, one whose previous release cannot be pulled: three roll back, that one fails and is named', async () => {
      const services = ['chat-service', 'search-service', 'document-service', 'auth-service'];
      const namespace = await target().seed(services);
      const kubectl = kubectlFor(target().kubeconfig);
      // auth-service's previous release is one whose image cannot be pulled (a bad hotfix, replaced at once)
      expect(
        (await kubectl('set', 'image', 'deployment/auth-service', '-n', namespace, 'auth-service=registry.keiko.io/auth-service:v1.3.1-pullfail')).code,
      ).toBe(0);
      expect((await kubectl('set', 'image', 'deployment/auth-service', '-n', namespace, 'auth-service=registry.keiko.io/auth-service:v1.3.2')).code).toBe(0);
      expect((await kubectl('rollout', 'status', 'deployment/auth-service', '-n', namespace, '--timeout=60s')).code).toBe(0);
      const run = await rollback(namespace, { services: services.join(','), 'fail-after': '10s' });
      expect(run.code).toBe(1);
      const byService = Object.fromEntries(results(run.outputs.result).map((r) => [r.service, r]));
      for (const service of ['chat-service', 'search-service', 'document-service'])
        expect(byService[service], service).toMatchObject({ status: 'rolled-back', 'to-version': 'v1.2.0' });
      expect(byService['auth-service']?.status).toBe('failed');
      expect(byService['auth-service']?.message).toContain('ImagePullBackOff');
      expect(run.outputs.failed).toBe('auth-service');
      expect(run.outputs['rolled-back']?.split(',').sort()).toEqual(['chat-service', 'document-service', 'search-service']);
      expect(await target().liveImage(namespace, 'search-service')).toBe('registry.keiko.io/search-service:v1.2.0');
    });
  });
}
