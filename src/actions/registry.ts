import { type ActionDefinition, type ActionRunner, runnerOf } from '../core/action.js';
import { emergencyRerouteAction } from './emergency-reroute/definition.js';
import { type ActionManifest, manifestOf } from './manifest.js';
import { rollbackDatabaseAction } from './rollback-database/definition.js';
import { rollbackFrontendAction } from './rollback-frontend/definition.js';
import { rollbackServiceAction } from './rollback-service/definition.js';
import { verifyAction } from './verify/definition.js';

export interface RegisteredAction extends ActionRunner {
  manifest: ActionManifest;
  /** The validators of its inputs (rules across inputs included). */
  schema: ActionDefinition['schema'];
}

// the one place that erases each action's own input, output and client types
function register<S extends ActionDefinition['schema'], O extends string, C>(definition: ActionDefinition<S, O, C>): RegisteredAction {
  return {
    manifest: manifestOf(definition as unknown as ActionDefinition),
    schema: definition.schema,
    ...runnerOf(definition),
  };
}

/** Every action, loaded at once (the CLI and the build); the entry loads one at a time through catalog.ts. */
export const ACTIONS = {
  'rollback-service': register(rollbackServiceAction),
  'rollback-database': register(rollbackDatabaseAction),
  'rollback-frontend': register(rollbackFrontendAction),
  'emergency-reroute': register(emergencyRerouteAction),
  verify: register(verifyAction),
} satisfies Record<string, RegisteredAction>;

export type ActionName = keyof typeof ACTIONS;
export const ACTION_NAMES = Object.keys(ACTIONS) as ActionName[];

export function actionForCommand(command: string): RegisteredAction | undefined {
  return Object.values(ACTIONS).find((action) => action.manifest.command === command || action.manifest.name === command);
}
