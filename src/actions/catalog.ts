import { type ActionHost, type ActionRunner, runnerOf } from '../core/action.js';
import { markStartup } from '../core/startup.js';

/**
 * Every action by name, each loaded only when it runs: a step of rollback-service never loads PostgreSQL,
 * Vercel or the checks (the whole bundle costs about 0.3 s to load on a busy 2-core runner). The CLI and the
 * build use the eager registry (registry.ts); a test keeps the two lists equal.
 */
export const ACTION_LOADERS = {
  'rollback-service': async () => runnerOf((await import('./rollback-service/definition.js')).rollbackServiceAction),
  'rollback-database': async () => runnerOf((await import('./rollback-database/definition.js')).rollbackDatabaseAction),
  'rollback-frontend': async () => runnerOf((await import('./rollback-frontend/definition.js')).rollbackFrontendAction),
  'emergency-reroute': async () => runnerOf((await import('./emergency-reroute/definition.js')).emergencyRerouteAction),
  verify: async () => runnerOf((await import('./verify/definition.js')).verifyAction),
} satisfies Record<string, () => Promise<ActionRunner>>;

export type CatalogName = keyof typeof ACTION_LOADERS;

export async function runCatalogAction(name: CatalogName, host: ActionHost): Promise<void> {
  const runner = await ACTION_LOADERS[name]();
  markStartup('action');
  await runner.run(host);
}

export async function runCatalogPost(name: CatalogName, host: ActionHost): Promise<void> {
  await (await ACTION_LOADERS[name]()).post(host);
}
