import { afterAll, beforeAll, describe } from 'vitest';
import { emulatorTarget, type KubeTarget } from '../helpers/kube-targets.js';
import { platformScenarios } from '../scenarios/platform.js';
import { rollbackServiceScenarios } from '../scenarios/rollback-service.js';

// the same scenarios as test/real-kube/scenarios.test.ts, against the emulator
let target: KubeTarget;
beforeAll(async () => {
  target = await emulatorTarget();
});
afterAll(async () => target.close());

// each scenario seeds its own namespace: on the local emulator they run side by side (the real control plane runs them one by one)
rollbackServiceScenarios(() => target, describe.concurrent);
platformScenarios(() => target, describe.concurrent);
