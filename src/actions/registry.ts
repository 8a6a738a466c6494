import { type ActionHost, type ActionName, type ActionResult, runAction } from '../core/action.js';
import { emergencyRerouteAction } from './emergency-reroute/definition.js';
import { manifest as emergencyRerouteManifest } from './emergency-reroute/manifest.js';
import type { ActionManifest } from './manifest.js';
import { rollbackDatabaseAction } from './rollback-database/definition.js';
import { manifest as rollbackDatabaseManifest } from './rollback-database/manifest.js';
import { rollbackFrontendAction } from './rollback-frontend/definition.js';
import { manifest as rollbackFrontendManifest } from './rollback-frontend/manifest.js';
import { rollbackServiceAction } from './rollback-service/definition.js';
import { manifest as rollbackServiceManifest } from './rollback-service/manifest.js';
import { verifyAction } from './verify/definition.js';
import { manifest as verifyManifest } from './verify/manifest.js';

export interface RegisteredAction {
  manifest: ActionManifest;
  run(host: ActionHost): Promise<ActionResult | undefined>;
}

export const ACTIONS: Record<ActionName, RegisteredAction> = {
  'rollback-service': { manifest: rollbackServiceManifest, run: (host) => runAction(rollbackServiceAction, host) },
  'rollback-database': { manifest: rollbackDatabaseManifest, run: (host) => runAction(rollbackDatabaseAction, host) },
  'rollback-frontend': { manifest: rollbackFrontendManifest, run: (host) => runAction(rollbackFrontendAction, host) },
  'emergency-reroute': { manifest: emergencyRerouteManifest, run: (host) => runAction(emergencyRerouteAction, host) },
  verify: { manifest: verifyManifest, run: (host) => runAction(verifyAction, host) },
};

export function actionForCommand(command: string): RegisteredAction | undefined {
  return Object.values(ACTIONS).find((action) => action.manifest.command === command || action.manifest.name === command);
}
