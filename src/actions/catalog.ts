import { type ActionDefinition, type ActionHost, runAction, runPostStep } from '../core/action.js';

interface LoadedAction {
  run(host: ActionHost): Promise<unknown>;
  post(host: ActionHost): Promise<void>;
}

function loaded<S extends ActionDefinition['schema'], O extends string, C>(definition: ActionDefinition<S, O, C>): LoadedAction {
  return { run: (host) => runAction(definition, host), post: (host) => runPostStep(definition, host) };
}

/**
 * Every action by name, each loaded only when it runs: a step of rollback-service never loads PostgreSQL,
 * Vercel or the checks (the whole bundle costs about 0.3 s to load on a busy 2-core runner). The CLI and the
 * build use the eager registry (registry.ts); a test keeps the two lists equal.
 */
export const ACTION_LOADERS = {
  'rollback-service': async () => loaded((await import('./rollback-service/definition.js')).rollbackServiceAction),
  'rollback-database': async () => loaded((await import('./rollback-database/definition.js')).rollbackDatabaseAction),
  'rollback-frontend': async () => loaded((await import('./rollback-frontend/definition.js')).rollbackFrontendAction),
  'emergency-reroute': async () => loaded((await import('./emergency-reroute/definition.js')).emergencyRerouteAction),
  verify: async () => loaded((await import('./verify/definition.js')).verifyAction),
} satisfies Record<string, () => Promise<LoadedAction>>;

export type CatalogName = keyof typeof ACTION_LOADERS;

export async function runCatalogAction(name: CatalogName, host: ActionHost): Promise<void> {
  await (await ACTION_LOADERS[name]()).run(host);
}

export async function runCatalogPost(name: CatalogName, host: ActionHost): Promise<void> {
  await (await ACTION_LOADERS[name]()).post(host);
}
