import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { type KubeTarget, realTarget } from '../helpers/kube-targets.js';
import { kubectlFor } from '../helpers/kubectl.js';
import { platformScenarios } from '../scenarios/platform.js';
import { rollbackServiceScenarios } from '../scenarios/rollback-service.js';

// the same scenarios as test/e2e/scenarios-emulator.test.ts, against the real control plane
let target: KubeTarget;
beforeAll(async () => {
  target = await realTarget();
});
afterAll(async () => target.close());

it('is the real API server, reporting its own version', async () => {
  const version = JSON.parse((await kubectlFor(target.kubeconfig)('version', '-o', 'json')).stdout) as { serverVersion: { gitVersion: string } };
  console.log(`real control plane: kube-apiserver ${version.serverVersion.gitVersion}`);
  expect(version.serverVersion.gitVersion).toMatch(/^v1\.\d+\.\d+$/);
});

// each scenario's namespace goes when it ends: broken releases left behind (kwok restarts a crash-looping
// container without pause) would otherwise slow every later scenario on a 2-core machine
afterEach(async () => target.cleanup());

platformScenarios(() => target);
rollbackServiceScenarios(() => target);
